#!/usr/bin/env bash
# The PKI of "Kubernetes the Hard Way" (one CA for everything), with k8s-pki pipes instead of
# cfssl. Usage: hard-way-pki.sh OUT "WORKER [WORKER...]" API_SERVER_IP
#
# OUT/ca.{crt,key}; admin, kube-controller-manager, kube-scheduler, kube-proxy client certs and
# kubeconfigs; per worker a kubelet client certificate (system:node:W in system:nodes) and a
# serving certificate for its name and IP, with its kubeconfig; the API server's certificate
# (service CIDR 10.32.0.0/24 as in the guide); the service-account key pair.
set -euo pipefail
out=${1:-./hard-way}; read -r -a workers <<<"${2:-worker-0 worker-1 worker-2}"; api=${3:-10.240.0.10}
server="https://$api:6443"
mkdir -p "$out"

k8s-genkey | k8s-csr --profile ca --cn Kubernetes | k8s-sign --self-sign --out "$out/ca"

client() { # NAME PROFILE [k8s-csr flags]: certificate and kubeconfig
    local name=$1 profile=$2; shift 2
    k8s-genkey | k8s-csr --profile "$profile" "$@" | k8s-sign --ca "$out/ca" --out "$out/$name"
    k8s-kubeconfig --ca-cert "$out/ca.crt" --cert "$out/$name.crt" --key "$out/$name.key" \
        --server "$server" --out "$out/$name.kubeconfig"
}
client admin admin &
client kube-controller-manager controller-manager &
client kube-scheduler scheduler &
client kube-proxy kube-proxy &
for i in "${!workers[@]}"; do
    w=${workers[$i]}; ip=10.240.0.2$i
    client "$w" kubelet --node-name "$w" &
    k8s-genkey | k8s-csr --profile kubelet-serving --node-name "$w" --advertise-address "$ip" \
        | k8s-sign --ca "$out/ca" --out "$out/$w-serving" &
done
k8s-genkey | k8s-csr --profile apiserver --node-name controller-0 --advertise-address "$api" \
    --service-cidr 10.32.0.0/24 --san 127.0.0.1 | k8s-sign --ca "$out/ca" --out "$out/kubernetes" &
k8s-genkey --public --out "$out/service-account" &

status=0
for job in $(jobs -p); do wait "$job" || status=1; done
((status == 0)) || { echo "hard-way-pki: a step failed" >&2; exit 1; }
echo "built $out:"; (cd "$out" && ls | sed 's/^/  /')
