#!/usr/bin/env bash
# kubeadm's external-CA flow (`kubeadm certs generate-csr`) in three steps, with the CA key
# never on the node:
#
#   [K8S_VERSION=1.28] [CONTROL_PLANE_ENDPOINT=lb:6443] \
#   external-ca.sh csrs  NODE_DIR NODE ADVERTISE_IP   # on the node: keys + CSRs, no CA needed
#   external-ca.sh sign  CA_DIR NODE_DIR              # where the CA lives: one batch per CA
#   external-ca.sh finish NODE_DIR [ADVERTISE_IP]     # on the node: certificates into place
#
# CA_DIR holds pki/ca.{crt,key}, pki/etcd/ca.{crt,key}, pki/front-proxy-ca.{crt,key}. `csrs`
# writes what `kubeadm certs generate-csr` writes: each certificate's key and CSR, and for each
# kubeconfig a NAME.conf holding its key and server only (k8s-kubeconfig --partial) beside
# NAME.conf.csr. The CSRs request no usages, as kubeadm's do (k8s-csr --no-usages): the signer
# applies kubeadm's table (--profile auto). Keys and CSRs are 0600. `finish` puts each signed
# NAME.conf.crt and the CA into its NAME.conf (k8s-kubeconfig --complete), so it also finishes a
# directory that kubeadm itself wrote. The servers were chosen by `csrs` (ADVERTISE_IP of
# `finish` is accepted and unused).
set -euo pipefail
step=${1:?usage: external-ca.sh csrs|sign|finish ...}; shift

ver=()
if [ -n "${K8S_VERSION:-}" ]; then ver=(--kubernetes-version "$K8S_VERSION"); fi
cpe=()
if [ -n "${CONTROL_PLANE_ENDPOINT:-}" ]; then cpe=(--control-plane-endpoint "$CONTROL_PLANE_ENDPOINT"); fi

# The files and their CAs come from the profile table (`k8s-csr --list-profiles`) of the release.
profiles=$(k8s-csr "${ver[@]}" --list-profiles --format json)
# PROFILE:FILE for the certificates under pki/, and for the kubeconfigs.
certificates=$(jq -r '.[] | select(.kind == "certificate") | "\(.name):\(.file)"' <<<"$profiles")
kubeconfigs=$(jq -r '.[] | select(.kind == "kubeconfig") | "\(.name):\(.file)"' <<<"$profiles")
# The files a CA (its stem, e.g. pki/etcd/ca) signs.
signed_by() { jq -r --arg ca "$1" '.[] | select(.signerFile == $ca and (.kind == "certificate" or .kind == "kubeconfig")) | .file' <<<"$profiles"; }

case $step in
csrs)
    out=$1; node=$2; ip=$3; pki="$out/pki"
    csr() { # PROFILE [k8s-csr flags...]
        local profile=$1; shift
        k8s-csr "${ver[@]}" --profile "$profile" --node-name "$node" --advertise-address "$ip" "${cpe[@]}" --no-usages "$@"
    }
    for pair in $certificates; do
        k8s-genkey | csr "${pair%%:*}" --out "$out/${pair#*:}"
    done
    for pair in $kubeconfigs; do
        k8s-genkey | csr "${pair%%:*}" \
            | k8s-kubeconfig --partial --advertise-address "$ip" "${cpe[@]}" "${ver[@]}" --out "$out/${pair#*:}"
    done
    k8s-genkey --public --out "$pki/sa"
    ;;
sign)
    ca=$1; node=$2
    # One k8s-sign per CA, every CSR of that CA in one batch; certificates land beside the CSRs.
    for signer in pki/ca pki/etcd/ca pki/front-proxy-ca; do
        csrs=()
        for file in $(signed_by "$signer"); do
            if [ -f "$node/$file.csr" ]; then csrs+=("$node/$file.csr"); fi
        done
        k8s-sign --ca "$ca/$signer" --profile auto --beside "${csrs[@]}"
    done
    # The node needs the CA certificates (never the keys).
    mkdir -p "$node/pki/etcd"
    cp "$ca/pki/ca.crt" "$node/pki/ca.crt"
    cp "$ca/pki/etcd/ca.crt" "$node/pki/etcd/ca.crt"
    cp "$ca/pki/front-proxy-ca.crt" "$node/pki/front-proxy-ca.crt"
    ;;
finish)
    out=$1
    for pair in $kubeconfigs; do
        conf=$out/${pair#*:}
        [ -f "$conf.crt" ] || continue
        k8s-kubeconfig --complete "$conf" --cert "$conf.crt" --ca-cert "$out/pki/ca.crt"
        rm -f "$conf.crt" "$conf.csr"
    done
    rm -f "$out"/pki/*.csr "$out"/pki/etcd/*.csr
    k8s-verify --pki-dir "$out"
    ;;
*) echo "external-ca: unknown step $step" >&2; exit 2 ;;
esac
