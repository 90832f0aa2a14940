#!/usr/bin/env bash
# Builds kubeadm's cluster PKI (shared/kubeadm-pki.md) with nothing but k8s-pki pipes.
#
#   [K8S_VERSION=1.28] [CONTROL_PLANE_ENDPOINT=lb:6443] [FORCE=1] examples/kubeadm-pki.sh OUT "NODE [NODE...]" ADVERTISE_IP
#
# OUT/pki/ gets the three CAs, the API server's and etcd's certificates, the front-proxy
# client and sa.key/sa.pub; OUT/ gets admin.conf, super-admin.conf, kubelet.conf,
# controller-manager.conf and scheduler.conf, exactly as kubeadm lays them out for the first
# control-plane node. Every extra node N gets OUT/nodes/N/ with its own etcd server and peer
# certificates, kubelet.conf and kubelet serving certificate; node i's IP is ADVERTISE_IP + i.
# Each kubeconfig points where kubeadm points it: admin.conf and super-admin.conf at the
# control-plane endpoint (CONTROL_PLANE_ENDPOINT, e.g. a load balancer's lb.example:6443; without
# it, https://ADVERTISE_IP:6443), controller-manager.conf and scheduler.conf at the node's own API
# server, kubelet.conf at the endpoint up to 1.32 and at the node's own API server from 1.33.
#
# Each step is the openssl workflow in pipe form: genrsa | req -new | x509 -req.
set -euo pipefail
out=${1:-./cluster}
read -r -a nodes <<<"${2:-node-1}"
ip=${3:-10.0.0.10}
pki="$out/pki"
first=${nodes[0]}
# A PKI already there is never overwritten: FORCE=1 (make pki FORCE=1) moves it aside first.
if [ -e "$out/pki/ca.crt" ] || [ -e "$out/pki/ca.key" ]; then
    if [ -z "${FORCE:-}" ]; then
        echo "kubeadm-pki: $out already holds a PKI ($out/pki/ca.crt): make pki FORCE=1 moves it to $out.bak-TIMESTAMP and builds a new one (or give another OUT=DIR)" >&2
        exit 5
    fi
    old="$out.bak-$(date -u +%Y%m%dT%H%M%SZ)"
    n=1; base=$old; while [ -e "$old" ]; do old="$base.$n"; n=$((n + 1)); done
    mv "$out" "$old"
    echo "kubeadm-pki: the old PKI is now $old" >&2
fi
# K8S_VERSION=1.28 writes what that kubeadm release wrote (its groups, no super-admin.conf, leaves
# starting when their CA started); unset: the newest release k8s-pki follows (docs/kubeadm.md,
# the release table). csr and sign are k8s-csr and k8s-sign told the release.
ver=()
if [ -n "${K8S_VERSION:-}" ]; then ver=(--kubernetes-version "$K8S_VERSION"); fi
cpe=()
if [ -n "${CONTROL_PLANE_ENDPOINT:-}" ]; then cpe=(--control-plane-endpoint "$CONTROL_PLANE_ENDPOINT"); fi
csr() { k8s-csr "${ver[@]}" "$@"; }
sign() { k8s-sign "${ver[@]}" "$@"; }

# The i-th address after ip (node-1 gets ip itself); for IPv6, the last group counts up.
nth_ip() {
    if [[ $ip == *:* ]]; then printf '%s:%x\n' "${ip%:*}" $((16#${ip##*:} + $1)); return; fi
    local IFS=.; read -r a b c d <<<"$ip"; echo "$a.$b.$c.$((d + $1))"
}

# 1. Three CAs, self-signed, 10 years: the cluster CA signs the API server and every client,
#    the etcd CA only etcd's certificates, the front-proxy CA only the aggregation client.
k8s-genkey | csr --profile ca             | sign --self-sign --out "$pki/ca"
k8s-genkey | csr --profile etcd-ca        | sign --self-sign --out "$pki/etcd/ca"
k8s-genkey | csr --profile front-proxy-ca | sign --self-sign --out "$pki/front-proxy-ca"

# 2. The control plane's certificates, 1 year, each signed by its CA. Independent pipelines
#    run side by side: RSA key generation is the slow part.
node=(--node-name "$first" --advertise-address "$ip")
k8s-genkey | csr --profile apiserver "${node[@]}" "${cpe[@]}" | sign --ca "$pki/ca" --out "$pki/apiserver" &
k8s-genkey | csr --profile apiserver-kubelet-client | sign --ca "$pki/ca" --out "$pki/apiserver-kubelet-client" &
k8s-genkey | csr --profile front-proxy-client       | sign --ca "$pki/front-proxy-ca" --out "$pki/front-proxy-client" &
k8s-genkey | csr --profile etcd-server "${node[@]}"  | sign --ca "$pki/etcd/ca" --out "$pki/etcd/server" &
k8s-genkey | csr --profile etcd-peer "${node[@]}"    | sign --ca "$pki/etcd/ca" --out "$pki/etcd/peer" &
k8s-genkey | csr --profile etcd-healthcheck-client  | sign --ca "$pki/etcd/ca" --out "$pki/etcd/healthcheck-client" &
k8s-genkey | csr --profile apiserver-etcd-client    | sign --ca "$pki/etcd/ca" --out "$pki/apiserver-etcd-client" &

# 3. The service-account token signing key pair (not a certificate).
k8s-genkey --public --out "$pki/sa" &

# 4. Kubeconfigs: a client certificate from the cluster CA, wrapped with the CA and the server URL
#    kubeadm writes for that identity on the node at ADDRESS. The CN is the user Kubernetes sees,
#    the O values its groups.
kubeconfig() { # FILE ADDRESS PROFILE [k8s-csr flags...]
    local file=$1 address=$2 profile=$3; shift 3
    k8s-genkey | csr --profile "$profile" "$@" | sign --ca "$pki/ca" \
        | k8s-kubeconfig --ca-cert "$pki/ca.crt" --advertise-address "$address" "${cpe[@]}" "${ver[@]}" --out "$file"
}
kubeconfig "$out/admin.conf" "$ip" admin &
if csr --list-profiles | grep -q '^super-admin '; then kubeconfig "$out/super-admin.conf" "$ip" super-admin & fi
kubeconfig "$out/kubelet.conf" "$ip" kubelet --node-name "$first" &
kubeconfig "$out/controller-manager.conf" "$ip" controller-manager &
kubeconfig "$out/scheduler.conf" "$ip" scheduler &

# 5. More nodes: each its own etcd member certificates, kubelet identity and serving cert.
for i in "${!nodes[@]}"; do
    ((i > 0)) || continue
    n=${nodes[$i]}; dir="$out/nodes/$n"; nip=$(nth_ip "$i")
    args=(--node-name "$n" --advertise-address "$nip")
    k8s-genkey | csr --profile etcd-server "${args[@]}" | sign --ca "$pki/etcd/ca" --out "$dir/pki/etcd/server" &
    k8s-genkey | csr --profile etcd-peer "${args[@]}"   | sign --ca "$pki/etcd/ca" --out "$dir/pki/etcd/peer" &
    k8s-genkey | csr --profile kubelet-serving "${args[@]}" | sign --ca "$pki/ca" --out "$dir/pki/kubelet" &
    kubeconfig "$dir/kubelet.conf" "$nip" kubelet --node-name "$n" &
done
if ((${#nodes[@]} > 1)); then
    k8s-genkey | csr --profile kubelet-serving "${node[@]}" | sign --ca "$pki/ca" --out "$out/nodes/$first/pki/kubelet" &
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
