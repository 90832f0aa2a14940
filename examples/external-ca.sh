#!/usr/bin/env bash
# kubeadm's external-CA flow (`kubeadm certs generate-csr`) in three steps, with the CA key
# never on the node:
#
#   external-ca.sh csrs  NODE_DIR NODE ADVERTISE_IP   # on the node: keys + CSRs, no CA needed
#   external-ca.sh sign  CA_DIR NODE_DIR              # where the CA lives: one batch per CA
#   external-ca.sh finish NODE_DIR ADVERTISE_IP       # on the node: kubeconfigs from the certs
#
# CA_DIR holds pki/ca.{crt,key}, pki/etcd/ca.{crt,key}, pki/front-proxy-ca.{crt,key}. The CSRs
# request no usages, as kubeadm's do (k8s-csr --no-usages): the signer applies kubeadm's table
# (--profile auto). Keys and CSRs are 0600. `finish` also completes what `kubeadm certs
# generate-csr` wrote: its kubeconfigs hold the key themselves (NAME.conf beside NAME.conf.csr),
# and k8s-kubeconfig --complete puts the signed NAME.conf.crt and the CA into them.
set -euo pipefail
step=${1:?usage: external-ca.sh csrs|sign|finish ...}; shift

# The files and their CAs come from the profile table (`k8s-csr --list-profiles`).
profiles=$(k8s-csr --list-profiles --format json)
# PROFILE:FILE for the certificates under pki/ and the kubeconfigs.
issued=$(jq -r '.[] | select(.kind == "certificate" or .kind == "kubeconfig") | "\(.name):\(.file)"' <<<"$profiles")
kubeconfigs=$(jq -r '.[] | select(.kind == "kubeconfig") | .file' <<<"$profiles")
# The files a CA (its stem, e.g. pki/etcd/ca) signs.
signed_by() { jq -r --arg ca "$1" '.[] | select(.signerFile == $ca and (.kind == "certificate" or .kind == "kubeconfig")) | .file' <<<"$profiles"; }

case $step in
csrs)
    out=$1; node=$2; ip=$3; pki="$out/pki"
    n=(--node-name "$node" --advertise-address "$ip")
    for pair in $issued; do
        k8s-genkey | k8s-csr --profile "${pair%%:*}" "${n[@]}" --no-usages --out "$out/${pair#*:}"
    done
    k8s-genkey --public --out "$pki/sa"
    ;;
sign)
    ca=$1; node=$2
    # One k8s-sign per CA, every CSR of that CA in one batch; certificates land beside the CSRs.
    for signer in pki/ca pki/etcd/ca pki/front-proxy-ca; do
        csrs=()
        for file in $(signed_by "$signer"); do csrs+=("$node/$file.csr"); done
        k8s-sign --ca "$ca/$signer" --profile auto --beside "${csrs[@]}"
    done
    # The node needs the CA certificates (never the keys).
    mkdir -p "$node/pki/etcd"
    cp "$ca/pki/ca.crt" "$node/pki/ca.crt"
    cp "$ca/pki/etcd/ca.crt" "$node/pki/etcd/ca.crt"
    cp "$ca/pki/front-proxy-ca.crt" "$node/pki/front-proxy-ca.crt"
    ;;
finish)
    out=$1; ip=$2
    for conf in $kubeconfigs; do
        [ -f "$out/$conf.crt" ] || continue
        if [ -f "$out/$conf" ]; then # kubeadm's: the key is inside
            k8s-kubeconfig --complete "$out/$conf" --cert "$out/$conf.crt" --ca-cert "$out/pki/ca.crt"
        else
            k8s-kubeconfig --ca-cert "$out/pki/ca.crt" --cert "$out/$conf.crt" --key "$out/$conf.key" \
                --advertise-address "$ip" --out "$out/$conf"
        fi
        rm -f "$out/$conf.crt" "$out/$conf.key" "$out/$conf.csr"
    done
    rm -f "$out"/pki/*.csr "$out"/pki/etcd/*.csr
    k8s-verify --pki-dir "$out"
    ;;
*) echo "external-ca: unknown step $step" >&2; exit 2 ;;
esac
