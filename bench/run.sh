#!/usr/bin/env bash
# make bench: k8s-pki against openssl (and cfssl) in one run on this machine, with ratios.
# Writes BENCHMARKS.md. Installs hyperfine and golang-cfssl when missing (apt).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/install-deps.sh hyperfine golang-cfssl openssl python3 jq
cargo build --locked --release --workspace --bins -q
export PATH="$root/target/release:$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results="$work/results.tsv"
: > "$results"
runs=${BENCH_RUNS:-5}

# hyperfine → median wall and mean user+sys seconds of one command.
measure() { # NAME RUNS PREPARE COMMAND
    local json="$work/h.json"
    hyperfine -N --style none --warmup 1 --runs "$2" ${3:+--prepare "$3"} --export-json "$json" "$4" >/dev/null 2>&1 \
        || hyperfine --style none --warmup 1 --runs "$2" ${3:+--prepare "$3"} --export-json "$json" "$4" >/dev/null
    python3 - "$json" "$1" >> "$results" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]}\t{r['median']:.6f}\t{r['user'] + r['system']:.6f}")
PY
}

echo "== full kubeadm PKI (3 CAs, 7 leaves, sa pair, 5 kubeconfigs)"
measure pki-ours "$runs" "rm -rf $work/o" "bash -c 'K8S_PKI_NO_CHECK=1 examples/kubeadm-pki.sh $work/o node-1 10.0.0.10 >/dev/null'"
measure pki-openssl "$runs" "rm -rf $work/s" "bash bench/openssl-pki.sh $work/s"
measure pki-cfssl "$runs" "rm -rf $work/c" "bash bench/cfssl-pki.sh $work/c"

echo "== batch signing: 2000 CSRs through one k8s-sign"
for algo in rsa ecdsa; do
    k8s-genkey --algo "$algo" | k8s-csr --profile ca --cn "bench-$algo" | k8s-sign --self-sign --out "$work/ca-$algo" 2>/dev/null
done
# RSA-2048 requester keys, as kubeadm's (20 keys, 100 CSRs each: key generation is not measured here).
k8s-genkey --count 20 > "$work/keys.pem"
for i in $(seq 100); do cat "$work/keys.pem"; done | k8s-csr --cn bench --usage client \
    | awk '/BEGIN CERTIFICATE REQUEST/{p=1} p{print} /END CERTIFICATE REQUEST/{p=0}' > "$work/csrs.pem"
awk '/BEGIN CERTIFICATE REQUEST/{n++} n==1' "$work/csrs.pem" | awk '{print} /END CERTIFICATE REQUEST/{exit}' > "$work/one.csr"
measure batch-rsa 3 "" "bash -c 'k8s-sign --ca $work/ca-rsa < $work/csrs.pem > /dev/null'"
measure batch-ecdsa 3 "" "bash -c 'k8s-sign --ca $work/ca-ecdsa < $work/csrs.pem > /dev/null'"
rsa_speed=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/{print $(NF-1)}')
ec_speed=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa/{print $(NF-1)}')
printf 'speed-rsa\t%s\t0\nspeed-ecdsa\t%s\t0\n' "$rsa_speed" "$ec_speed" >> "$results"
# The per-certificate process loops, on 100 CSRs (scaled to 2000 in the table).
split_dir="$work/split"; mkdir -p "$split_dir"
awk -v d="$split_dir" '/BEGIN CERTIFICATE REQUEST/{n++} n>0 && n<=100 {print > (d "/" n ".csr")}' "$work/csrs.pem"
measure loop-openssl 1 "" "bash -c 'for f in $split_dir/*.csr; do openssl x509 -req -in \$f -CA $work/ca-rsa.crt -CAkey $work/ca-rsa.key -set_serial 1 -days 365 -out /dev/null 2>/dev/null; done'"
printf '{"signing":{"default":{"expiry":"8760h","usages":["signing","key encipherment","client auth"]}}}' > "$work/cfssl.json"
measure loop-cfssl 1 "" "bash -c 'for f in $split_dir/*.csr; do cfssl sign -ca $work/ca-rsa.crt -ca-key $work/ca-rsa.key -config $work/cfssl.json \$f >/dev/null 2>&1; done'"

echo "== one step as a process: sign one CSR"
measure one-ours 30 "" "k8s-sign --ca $work/ca-ecdsa --in $work/one.csr --cert-out /dev/null"
measure one-openssl 30 "" "openssl x509 -req -in $work/one.csr -CA $work/ca-ecdsa.crt -CAkey $work/ca-ecdsa.key -set_serial 1 -days 365 -out /dev/null"

echo "== RSA-2048 key generation, 50 keys"
measure keygen-ours 50 "" "k8s-genkey --key-out /dev/null"
measure keygen-openssl 50 "" "openssl genrsa -out /dev/null 2048"

echo "== audit: k8s-verify --pki-dir with 1000 nodes' kubelet kubeconfigs"
K8S_PKI_NO_CHECK=1 examples/kubeadm-pki.sh "$work/big" node-1 10.0.0.10 >/dev/null
make_nodes() { # FROM TO
    for i in $(seq "$1" "$2"); do
        n=node-$((i + 1000))
        k8s-genkey --algo ecdsa | k8s-csr --profile kubelet --node-name "$n" | k8s-sign --ca "$work/big/pki/ca" \
            | k8s-kubeconfig --ca-cert "$work/big/pki/ca.crt" --server https://10.0.0.10:6443 --out "$work/big/nodes/$n/kubelet.conf"
    done
}
for size in 250 500 1000; do
    mkdir -p "$work/big/nodes"; have=$(find "$work/big/nodes" -mindepth 1 -maxdepth 1 -type d | wc -l)
    make_nodes "$((have + 1))" "$size"
    measure "audit-$size" 3 "" "bash -c 'k8s-verify --pki-dir $work/big > /dev/null'"
done
mkdir -p "$work/certs"
for conf in "$work"/big/nodes/*/kubelet.conf; do
    k8s-kubeconfig --extract --in "$conf" | awk '/BEGIN CERTIFICATE/{n++} n==1' | awk '{print} /END CERTIFICATE/{exit}' > "$work/certs/$(basename "$(dirname "$conf")").crt"
done
measure audit-openssl-loop 1 "" "bash -c 'for c in $work/certs/*.crt; do openssl verify -CAfile $work/big/pki/ca.crt \$c >/dev/null; done'"
measure audit-openssl-one 3 "" "bash -c 'openssl verify -CAfile $work/big/pki/ca.crt $work/certs/*.crt >/dev/null'"

echo "== memory: 100,000 CSRs through one k8s-sign (max RSS)"
for i in $(seq 50); do cat "$work/csrs.pem"; done > "$work/csrs-100k.pem"
# Max RSS of one k8s-sign process each (a fresh python each time: ru_maxrss is a running maximum).
for pair in rss-2k:csrs.pem rss-100k:csrs-100k.pem; do
    python3 - "$work" "${pair%%:*}" "${pair#*:}" >> "$results" <<'PY'
import resource, subprocess, sys
w, name, f = sys.argv[1:4]
with open(f"{w}/{f}") as i:
    subprocess.run(["k8s-sign", "--ca", f"{w}/ca-ecdsa"], stdin=i, stdout=subprocess.DEVNULL, check=True)
print(f"{name}\t{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\t0")
PY
done

echo "== rotation: every step after prepare of an --all rotation of a 3-node tree (the new CA and SA keys come from prepare; the leaves' new keys are generated and counted)"
K8S_PKI_NO_CHECK=1 examples/kubeadm-pki.sh "$work/rot" "node-1 node-2 node-3" 10.0.0.10 >/dev/null
k8s-rotate prepare --pki-dir "$work/rot" --all --sa-min-soak 0s >/dev/null
steps="k8s-rotate issue --pki-dir $work/run --step clients --confirm prepare-restarts
k8s-rotate issue --pki-dir $work/run --step servers --confirm clients-refreshed
k8s-rotate distrust --pki-dir $work/run
k8s-rotate finish --pki-dir $work/run"
measure rotation 5 "bash -c 'rm -rf $work/run && cp -a $work/rot $work/run'" "bash -c '$(echo "$steps" | paste -sd';' -) >/dev/null'"

echo "== trust map: a 10,000-object cluster dump on one core, against jq reading the same JSON"
python3 bench/cluster-dump.py "$work/rot/pki/ca.crt" "$work/rot/pki/front-proxy-ca.crt" > "$work/dump.json"
measure trust-map 10 "" "bash -c 'taskset -c 0 k8s-verify --cluster-dump $work/dump.json --format json > /dev/null'"
measure trust-map-jq 10 "" "bash -c 'taskset -c 0 jq -c . $work/dump.json > /dev/null'"
python3 - "$work" >> "$results" <<'PY'
import os, resource, subprocess, sys
w = sys.argv[1]
subprocess.run(["k8s-verify", "--cluster-dump", f"{w}/dump.json", "--format", "json"], stdout=subprocess.DEVNULL)
print(f"trust-map-rss\t{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\t{os.path.getsize(f'{w}/dump.json') / 1024}")
PY

python3 bench/report.py "$results" BENCHMARKS.md
