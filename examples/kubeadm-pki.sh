#!/usr/bin/env bash
# Builds kubeadm's cluster PKI with k8s-pki pipes: three CAs, the leaf certificates, the
# service-account key pair. Usage: kubeadm-pki.sh OUT "NODE [NODE...]" ADVERTISE_IP
set -euo pipefail
out=${1:-./cluster}; nodes=${2:-node-1}; ip=${3:-10.0.0.10}
node=${nodes%% *}
pki="$out/pki"
p=(--node-name "$node" --advertise-address "$ip")

# Three CAs, self-signed, 10 years.
k8s-genkey | k8s-csr --profile ca             | k8s-sign --self-sign --out "$pki/ca"
k8s-genkey | k8s-csr --profile etcd-ca        | k8s-sign --self-sign --out "$pki/etcd/ca"
k8s-genkey | k8s-csr --profile front-proxy-ca | k8s-sign --self-sign --out "$pki/front-proxy-ca"

# Leaves, 1 year, each signed by its CA.
k8s-genkey | k8s-csr --profile apiserver "${p[@]}"     | k8s-sign --ca "$pki/ca" --out "$pki/apiserver"
k8s-genkey | k8s-csr --profile apiserver-kubelet-client | k8s-sign --ca "$pki/ca" --out "$pki/apiserver-kubelet-client"
k8s-genkey | k8s-csr --profile front-proxy-client      | k8s-sign --ca "$pki/front-proxy-ca" --out "$pki/front-proxy-client"
k8s-genkey | k8s-csr --profile etcd-server "${p[@]}"   | k8s-sign --ca "$pki/etcd/ca" --out "$pki/etcd/server"
k8s-genkey | k8s-csr --profile etcd-peer "${p[@]}"     | k8s-sign --ca "$pki/etcd/ca" --out "$pki/etcd/peer"
k8s-genkey | k8s-csr --profile etcd-healthcheck-client | k8s-sign --ca "$pki/etcd/ca" --out "$pki/etcd/healthcheck-client"
k8s-genkey | k8s-csr --profile apiserver-etcd-client   | k8s-sign --ca "$pki/etcd/ca" --out "$pki/apiserver-etcd-client"

# The service-account signing key pair.
k8s-genkey --public --out "$pki/sa"

# Check every certificate against its CA, as a TLS peer would.
for c in apiserver:ca:sslserver apiserver-kubelet-client:ca:sslclient front-proxy-client:front-proxy-ca:sslclient \
         etcd/server:etcd/ca:sslserver etcd/peer:etcd/ca:sslclient etcd/healthcheck-client:etcd/ca:sslclient \
         apiserver-etcd-client:etcd/ca:sslclient; do
    IFS=: read -r leaf ca purpose <<<"$c"
    openssl verify -x509_strict -purpose "$purpose" -CAfile "$pki/$ca.crt" "$pki/$leaf.crt" >/dev/null
done
echo "built $out:"
(cd "$out" && find . -type f | sort | sed 's|^\./|  |')
