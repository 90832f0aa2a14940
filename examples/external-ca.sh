#!/usr/bin/env bash
# kubeadm's external-CA flow (`kubeadm certs generate-csr`) in three steps, with the CA key
# never on the node:
#
#   external-ca.sh csrs  NODE_DIR NODE ADVERTISE_IP   # on the node: keys + CSRs, no CA needed
#   external-ca.sh sign  CA_DIR NODE_DIR              # where the CA lives: one batch per CA
#   external-ca.sh finish NODE_DIR ADVERTISE_IP       # on the node: kubeconfigs from the certs
#
# CA_DIR holds pki/ca.{crt,key}, pki/etcd/ca.{crt,key}, pki/front-proxy-ca.{crt,key}. The CSRs
# request no usages, like kubeadm's: the signer applies kubeadm's table (--profile auto).
set -euo pipefail
step=${1:?usage: external-ca.sh csrs|sign|finish ...}; shift

case $step in
csrs)
    out=$1; node=$2; ip=$3; pki="$out/pki"
    n=(--node-name "$node" --advertise-address "$ip")
    for p in apiserver apiserver-kubelet-client front-proxy-client apiserver-etcd-client; do
        k8s-genkey | k8s-csr --profile "$p" "${n[@]}" --out "$pki/$p"
    done
    for p in server peer healthcheck-client; do
        profile=etcd-$p
        k8s-genkey | k8s-csr --profile "$profile" "${n[@]}" --out "$pki/etcd/$p"
    done
    for conf in admin super-admin controller-manager scheduler kubelet; do
        k8s-genkey | k8s-csr --profile "$conf" "${n[@]}" --out "$out/$conf.conf"
    done
    k8s-genkey --public --out "$pki/sa"
    ;;
sign)
    ca=$1; node=$2
    # One k8s-sign per CA, every CSR of that CA in one batch; certificates land beside the CSRs.
    k8s-sign --ca "$ca/pki/ca" --profile auto --beside \
        "$node/pki/apiserver.csr" "$node/pki/apiserver-kubelet-client.csr" \
        "$node"/{admin,super-admin,controller-manager,scheduler,kubelet}.conf.csr
    k8s-sign --ca "$ca/pki/etcd/ca" --profile auto --beside \
        "$node/pki/etcd/server.csr" "$node/pki/etcd/peer.csr" "$node/pki/etcd/healthcheck-client.csr" \
        "$node/pki/apiserver-etcd-client.csr"
    k8s-sign --ca "$ca/pki/front-proxy-ca" --profile auto --beside "$node/pki/front-proxy-client.csr"
    # The node needs the CA certificates (never the keys).
    mkdir -p "$node/pki/etcd"
    cp "$ca/pki/ca.crt" "$node/pki/ca.crt"
    cp "$ca/pki/etcd/ca.crt" "$node/pki/etcd/ca.crt"
    cp "$ca/pki/front-proxy-ca.crt" "$node/pki/front-proxy-ca.crt"
    ;;
finish)
    out=$1; ip=$2
    for conf in admin super-admin controller-manager scheduler kubelet; do
        k8s-kubeconfig --ca-cert "$out/pki/ca.crt" --cert "$out/$conf.conf.crt" --key "$out/$conf.conf.key" \
            --server "https://$ip:6443" --out "$out/$conf.conf"
        rm -f "$out/$conf.conf.crt" "$out/$conf.conf.key" "$out/$conf.conf.csr"
    done
    rm -f "$out"/pki/*.csr "$out"/pki/etcd/*.csr
    k8s-verify --pki-dir "$out"
    ;;
*) echo "external-ca: unknown step $step" >&2; exit 2 ;;
esac
