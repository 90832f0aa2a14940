#!/usr/bin/env bash
# The same kubeadm PKI with cfssl/cfssljson (Kubernetes the Hard Way style), for `make bench`.
set -euo pipefail
out=$1; node=node-1; ip=10.0.0.10
pki=$out/pki; mkdir -p "$pki/etcd"; cd "$out"
cat > config.json <<'JSON'
{"signing":{"default":{"expiry":"8760h"},"profiles":{
 "server":{"usages":["signing","key encipherment","server auth"],"expiry":"8760h"},
 "client":{"usages":["signing","key encipherment","client auth"],"expiry":"8760h"},
 "peer":{"usages":["signing","key encipherment","server auth","client auth"],"expiry":"8760h"}}}}
JSON
csr() { # CN [O] -> JSON
    local names=""; [ -n "${2:-}" ] && names=",\"names\":[{\"O\":\"$2\"}]"
    printf '{"CN":"%s","key":{"algo":"rsa","size":2048}%s}' "$1" "$names"
}
ca() { csr "$2" | cfssl gencert -initca - 2>/dev/null | cfssljson -bare "$1"; }
leaf() { # FILE CA PROFILE CN [O] [HOSTS]
    csr "$4" "${5:-}" | cfssl gencert -ca "$2.pem" -ca-key "$2-key.pem" -config config.json -profile "$3" \
        ${6:+-hostname "$6"} - 2>/dev/null | cfssljson -bare "$1"
}
kubeconfig() { # FILE CN [O]
    leaf "$1.tmp" "$pki/ca" client "$2" "${3:-}"
    printf 'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: %s\n    server: https://%s:6443\n  name: kubernetes\nusers:\n- name: u\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\n' \
        "$(base64 -w0 "$pki/ca.pem")" "$ip" "$(base64 -w0 "$1.tmp.pem")" "$(base64 -w0 "$1.tmp-key.pem")" > "$1"
    rm -f "$1".tmp*
}
ca "$pki/ca" kubernetes
ca "$pki/etcd/ca" etcd-ca
ca "$pki/front-proxy-ca" front-proxy-ca
leaf "$pki/apiserver" "$pki/ca" server kube-apiserver "" \
    "kubernetes,kubernetes.default,kubernetes.default.svc,kubernetes.default.svc.cluster.local,$node,10.96.0.1,$ip"
leaf "$pki/apiserver-kubelet-client" "$pki/ca" client kube-apiserver-kubelet-client kubeadm:cluster-admins
leaf "$pki/front-proxy-client" "$pki/front-proxy-ca" client front-proxy-client
leaf "$pki/etcd/server" "$pki/etcd/ca" peer "$node" "" "$node,localhost,$ip,127.0.0.1,::1"
leaf "$pki/etcd/peer" "$pki/etcd/ca" peer "$node" "" "$node,localhost,$ip,127.0.0.1,::1"
leaf "$pki/etcd/healthcheck-client" "$pki/etcd/ca" client kube-etcd-healthcheck-client
leaf "$pki/apiserver-etcd-client" "$pki/etcd/ca" client kube-apiserver-etcd-client
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
kubeconfig "$out/admin.conf" kubernetes-admin system:masters
kubeconfig "$out/super-admin.conf" kubernetes-super-admin system:masters
kubeconfig "$out/kubelet.conf" "system:node:$node" system:nodes
kubeconfig "$out/controller-manager.conf" system:kube-controller-manager
kubeconfig "$out/scheduler.conf" system:kube-scheduler
