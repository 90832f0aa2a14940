#!/usr/bin/env bash
# The same kubeadm PKI as examples/kubeadm-pki.sh, the classic way: openssl genrsa / req /
# x509 -req per certificate, base64 for the kubeconfigs. The peer in `make bench`.
set -euo pipefail
out=$1; node=node-1; ip=10.0.0.10
pki=$out/pki; mkdir -p "$pki/etcd"
ca() { # FILE CN
    openssl genrsa -out "$1.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 3650 -out "$1.crt" \
        -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" -addext "subjectAltName=DNS:$2"
}
leaf() { # FILE CA SUBJ EKU [SAN]
    local ext="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=$4"
    [ -n "${5:-}" ] && ext="$ext\nsubjectAltName=$5"
    openssl genrsa -out "$1.key" 2048 2>/dev/null
    openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
    openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 365 -sha256 \
        -extfile <(printf "$ext") -out "$1.crt" 2>/dev/null
}
kubeconfig() { # FILE SUBJ
    leaf "$1.tmp" "$pki/ca" "$2" clientAuth
    cat > "$1" <<YAML
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
    server: https://$ip:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: u
  name: u@kubernetes
current-context: u@kubernetes
kind: Config
users:
- name: u
  user:
    client-certificate-data: $(base64 -w0 "$1.tmp.crt")
    client-key-data: $(base64 -w0 "$1.tmp.key")
YAML
    rm -f "$1".tmp.*
}
ca "$pki/ca" kubernetes
ca "$pki/etcd/ca" etcd-ca
ca "$pki/front-proxy-ca" front-proxy-ca
leaf "$pki/apiserver" "$pki/ca" /CN=kube-apiserver serverAuth \
    "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:$node,IP:10.96.0.1,IP:$ip"
leaf "$pki/apiserver-kubelet-client" "$pki/ca" "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth
leaf "$pki/front-proxy-client" "$pki/front-proxy-ca" /CN=front-proxy-client clientAuth
etcd_san="DNS:$node,DNS:localhost,IP:$ip,IP:127.0.0.1,IP:::1"
leaf "$pki/etcd/server" "$pki/etcd/ca" "/CN=$node" serverAuth,clientAuth "$etcd_san"
leaf "$pki/etcd/peer" "$pki/etcd/ca" "/CN=$node" serverAuth,clientAuth "$etcd_san"
leaf "$pki/etcd/healthcheck-client" "$pki/etcd/ca" /CN=kube-etcd-healthcheck-client clientAuth
leaf "$pki/apiserver-etcd-client" "$pki/etcd/ca" /CN=kube-apiserver-etcd-client clientAuth
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
kubeconfig "$out/admin.conf" "/O=system:masters/CN=kubernetes-admin"
kubeconfig "$out/super-admin.conf" "/O=system:masters/CN=kubernetes-super-admin"
kubeconfig "$out/kubelet.conf" "/O=system:nodes/CN=system:node:$node"
kubeconfig "$out/controller-manager.conf" /CN=system:kube-controller-manager
kubeconfig "$out/scheduler.conf" /CN=system:kube-scheduler
