#!/usr/bin/env bash
# Builds kubeadm's cluster PKI (shared/kubeadm-pki.md) with nothing but k8s-pki pipes.
#
#   [K8S_VERSION=1.28] examples/kubeadm-pki.sh OUT "NODE [NODE...]" ADVERTISE_IP
#
# OUT/pki/ gets the three CAs, the API server's and etcd's certificates, the front-proxy
# client and sa.key/sa.pub; OUT/ gets admin.conf, super-admin.conf, kubelet.conf,
# controller-manager.conf and scheduler.conf, exactly as kubeadm lays them out for the first
# control-plane node. Every extra node N gets OUT/nodes/N/ with its own etcd server and peer
# certificates, kubelet.conf and kubelet serving certificate; node i's IP is ADVERTISE_IP + i.
#
# Each step is the openssl workflow in pipe form: genrsa | req -new | x509 -req.
set -euo pipefail
out=${1:-./cluster}
read -r -a nodes <<<"${2:-node-1}"
ip=${3:-10.0.0.10}
server="https://$ip:6443"
pki="$out/pki"
first=${nodes[0]}
# K8S_VERSION=1.28 writes what that kubeadm release wrote (its groups, no super-admin.conf);
# unset: the newest release k8s-pki follows (docs/kubeadm.md, the release table).
ver=()
if [ -n "${K8S_VERSION:-}" ]; then ver=(--kubernetes-version "$K8S_VERSION"); fi
csr() { k8s-csr "${ver[@]}" "$@"; }

# The i-th address after ip (node-1 gets ip itself).
nth_ip() { local IFS=.; read -r a b c d <<<"$ip"; echo "$a.$b.$c.$((d + $1))"; }

# 1. Three CAs, self-signed, 10 years: the cluster CA signs the API server and every client,
#    the etcd CA only etcd's certificates, the front-proxy CA only the aggregation client.
k8s-genkey | csr --profile ca             | k8s-sign --self-sign --out "$pki/ca"
k8s-genkey | csr --profile etcd-ca        | k8s-sign --self-sign --out "$pki/etcd/ca"
k8s-genkey | csr --profile front-proxy-ca | k8s-sign --self-sign --out "$pki/front-proxy-ca"

# 2. The control plane's certificates, 1 year, each signed by its CA. Independent pipelines
#    run side by side: RSA key generation is the slow part.
node=(--node-name "$first" --advertise-address "$ip")
k8s-genkey | csr --profile apiserver "${node[@]}"    | k8s-sign --ca "$pki/ca" --out "$pki/apiserver" &
k8s-genkey | csr --profile apiserver-kubelet-client | k8s-sign --ca "$pki/ca" --out "$pki/apiserver-kubelet-client" &
k8s-genkey | csr --profile front-proxy-client       | k8s-sign --ca "$pki/front-proxy-ca" --out "$pki/front-proxy-client" &
k8s-genkey | csr --profile etcd-server "${node[@]}"  | k8s-sign --ca "$pki/etcd/ca" --out "$pki/etcd/server" &
k8s-genkey | csr --profile etcd-peer "${node[@]}"    | k8s-sign --ca "$pki/etcd/ca" --out "$pki/etcd/peer" &
k8s-genkey | csr --profile etcd-healthcheck-client  | k8s-sign --ca "$pki/etcd/ca" --out "$pki/etcd/healthcheck-client" &
k8s-genkey | csr --profile apiserver-etcd-client    | k8s-sign --ca "$pki/etcd/ca" --out "$pki/apiserver-etcd-client" &

# 3. The service-account token signing key pair (not a certificate).
k8s-genkey --public --out "$pki/sa" &

# 4. Kubeconfigs: a client certificate from the cluster CA, wrapped with the CA and the server URL.
#    The CN is the user Kubernetes sees, the O values its groups.
kubeconfig() { # FILE PROFILE [k8s-csr flags...]
    local file=$1 profile=$2; shift 2
    k8s-genkey | csr --profile "$profile" "$@" | k8s-sign --ca "$pki/ca" \
        | k8s-kubeconfig --ca-cert "$pki/ca.crt" --server "$server" --out "$file"
}
kubeconfig "$out/admin.conf" admin &
if csr --list-profiles | grep -q '^super-admin '; then kubeconfig "$out/super-admin.conf" super-admin & fi
kubeconfig "$out/kubelet.conf" kubelet --node-name "$first" &
kubeconfig "$out/controller-manager.conf" controller-manager &
kubeconfig "$out/scheduler.conf" scheduler &

# 5. More nodes: each its own etcd member certificates, kubelet identity and serving cert.
for i in "${!nodes[@]}"; do
    ((i > 0)) || continue
    n=${nodes[$i]}; dir="$out/nodes/$n"; nip=$(nth_ip "$i")
    args=(--node-name "$n" --advertise-address "$nip")
    k8s-genkey | csr --profile etcd-server "${args[@]}" | k8s-sign --ca "$pki/etcd/ca" --out "$dir/pki/etcd/server" &
    k8s-genkey | csr --profile etcd-peer "${args[@]}"   | k8s-sign --ca "$pki/etcd/ca" --out "$dir/pki/etcd/peer" &
    k8s-genkey | csr --profile kubelet-serving "${args[@]}" | k8s-sign --ca "$pki/ca" --out "$dir/pki/kubelet" &
    kubeconfig "$dir/kubelet.conf" kubelet --node-name "$n" &
done
if ((${#nodes[@]} > 1)); then
    k8s-genkey | csr --profile kubelet-serving "${node[@]}" | k8s-sign --ca "$pki/ca" --out "$out/nodes/$first/pki/kubelet" &
fi

# Wait for every pipeline; fail if any failed.
status=0
for job in $(jobs -p); do wait "$job" || status=1; done
((status == 0)) || { echo "kubeadm-pki: a step failed" >&2; exit 1; }

# 6. Check: every certificate against its CA, as its TLS peer would (openssl verify), and the
#    whole tree with k8s-verify where it is installed. (K8S_PKI_NO_CHECK=1 skips this, for benchmarks.)
if [ -n "${K8S_PKI_NO_CHECK:-}" ]; then exit 0; fi
check() { openssl verify -x509_strict -purpose "$3" -CAfile "$pki/$2.crt" "$1" >/dev/null; }
check "$pki/apiserver.crt" ca sslserver
check "$pki/apiserver-kubelet-client.crt" ca sslclient
check "$pki/front-proxy-client.crt" front-proxy-ca sslclient
check "$pki/etcd/server.crt" etcd/ca sslserver
check "$pki/etcd/peer.crt" etcd/ca sslclient
check "$pki/etcd/healthcheck-client.crt" etcd/ca sslclient
check "$pki/apiserver-etcd-client.crt" etcd/ca sslclient
if command -v k8s-verify >/dev/null 2>&1; then
    k8s-verify --pki-dir "$out" --node-name "$first" --advertise-address "$ip" "${ver[@]}" --format text
fi
echo "built $out:"
(cd "$out" && find . -type f | sort | sed 's|^\./|  |')
