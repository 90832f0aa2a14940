#!/usr/bin/env bash
# Renews a kubeadm PKI like `kubeadm certs renew all`: every leaf certificate under pki/ (and
# under nodes/N/ for extra nodes) and every kubeconfig's client certificate is re-issued with the
# same subject, SANs and usages and a new key of the same algorithm and size (--keep-keys keeps
# the old keys); renewed kubeconfigs embed the current pki/ca.crt. The CAs are never renewed, and
# kubelet.conf only with --kubelet: kubeadm leaves it to the kubelet's own certificate rotation.
# Old files go to DIR/backup-TIMESTAMP/ first. Ends with which component reads each renewed file
# (and so must restart), then the k8s-verify audit.
#
#   examples/renew-pki.sh DIR [--within DAYS] [--keep-keys] [--days N] [--kubelet]
#
# --within DAYS renews only what expires within DAYS days.
set -euo pipefail
dir=${1:?usage: renew-pki.sh DIR [--within DAYS] [--keep-keys] [--days N] [--kubelet]}; shift
within=""; keep=0; days=365; kubelet=false
while (($#)); do
    case $1 in
        --within) within=$2; shift 2 ;;
        --keep-keys) keep=1; shift ;;
        --days) days=$2; shift 2 ;;
        --kubelet) kubelet=true; shift ;;
        *) echo "renew-pki: unknown option $1" >&2; exit 2 ;;
    esac
done
pki="$dir/pki"
# Not while a k8s-rotate step is being applied: it would renew half-written files.
if [ -f "$pki/rotation.json" ] && ! jq -e '.applying == null' "$pki/rotation.json" >/dev/null; then
    echo "renew-pki: a rotation step is being applied ($(jq -r .applying "$pki/rotation.json")): run it again to finish it first" >&2
    exit 4
fi
# In issue/clients the signer is the new CA but server certificates must stay with the old one
# until `k8s-rotate issue --step servers`: renewing them now would skip that step.
if [ -f "$pki/rotation.json" ] && jq -e '[.targets[].phase] | index("issue/clients")' "$pki/rotation.json" >/dev/null; then
    echo "renew-pki: a rotation is in issue/clients: server certificates stay with the old CA until k8s-rotate issue --step servers (renew one with k8s-sign --ca $pki/rotation/ca.old)" >&2
    exit 4
fi
backup="$dir/backup-$(date -u +%Y%m%dT%H%M%SZ)"
# Two runs within one second never share (and overwrite) a backup directory.
n=1; base=$backup; while [ -e "$backup" ]; do backup="$base.$n"; n=$((n + 1)); done

# The kubeadm release the tree carries, as the audit reads it from its certificates' groups (the
# newest when they do not tell): a renewal starts NotBefore as that release does (the CA's
# NotBefore before 1.31), as `kubeadm certs renew` of that release would.
release=$(k8s-verify --pki-dir "$dir" --format json 2>/dev/null | jq -r '.kubernetesVersion // empty' || true)
version=(${release:+--kubernetes-version "$release"})

# Whether a certificate (on stdin) is due: always, or when it expires within --within days.
due() { [ -z "$within" ] || ! openssl x509 -noout -checkend $((within * 86400)) >/dev/null; }

# Which files to renew, and the CA of each, come from the profile table (`k8s-csr --list-profiles`):
# LEAF:CA pairs of file stems under pki/, the same for each extra node's copies, and the kubeconfigs.
profiles=$(k8s-csr --list-profiles --format json)
leaf_pairs=$(jq -r '.[] | select(.kind == "certificate") | "\(.file | ltrimstr("pki/")):\(.signerFile | ltrimstr("pki/"))"' <<<"$profiles")
node_pairs=$(jq -r '.[] | select(.perNode != null and (.perNode | startswith("pki/"))) | "\(.perNode | ltrimstr("pki/")):\(.signerFile | ltrimstr("pki/"))"' <<<"$profiles")
# Kubeconfigs kubeadm renews (renewedByKubeadm: not kubelet.conf), and kubelet.conf with --kubelet.
ours='.kind == "kubeconfig" and (.renewedByKubeadm or $kubelet)'
mapfile -t confs < <(jq -r --argjson kubelet "$kubelet" ".[] | select($ours) | .file" <<<"$profiles")
node_confs=$(jq -r --argjson kubelet "$kubelet" ".[] | select($ours and .perNode != null) | .perNode" <<<"$profiles")

# Renewal re-issues only what the tree's CAs issued: every certificate due is checked first, so
# that a planted one (O=system:masters from another CA) stops the run before anything changes.
foreign=0
for pair in $leaf_pairs; do
    leaf=${pair%%:*}; ca=${pair#*:}
    for crt in "$pki/$leaf.crt" "$dir"/nodes/*/pki/"$leaf.crt"; do
        [ -f "$crt" ] && due < "$crt" || continue
        k8s-csr --from-cert "$crt" --issued-by "$pki/$ca.crt" --key "${crt%.crt}.key" --reuse-key >/dev/null || foreign=1
    done
done
if ((foreign)); then
    echo "renew-pki: nothing renewed: a certificate above was not issued by its CA in $pki" >&2
    exit 4
fi

# k8s-sign --force keeps each file it replaces beside it as FILE.bak-STAMP (the newest sorts
# last): it moves into this run's backup directory under its own name.
to_backup() { # FILE DIR
    local kept=("$1".bak-*)
    if [ -e "${kept[-1]}" ]; then mv "${kept[-1]}" "$2/$(basename "$1")"; fi
}

# k8s-sign with its stderr passed on, less the "replaced" lines: those backups move on.
sign_err=$(mktemp)
trap 'rm -f "$sign_err"' EXIT
signed() {
    local rc=0
    "$@" 2>"$sign_err" || rc=$?
    grep -v '^k8s-sign: replaced ' "$sign_err" >&2 || true
    return "$rc"
}

renewed=(); refused=()
# Leaf certificates under pki/ and the CA that signs each.
for pair in $leaf_pairs; do
    leaf=${pair%%:*}; ca=${pair#*:}
    [ -f "$pki/$leaf.crt" ] || continue
    due < "$pki/$leaf.crt" || continue
    to="$(dirname "$backup/pki/$leaf")"
    mkdir -p "$to"
    if ((keep)); then
        cp -p "$pki/$leaf.key" "$to/"
        k8s-csr --from-cert "$pki/$leaf.crt" --issued-by "$pki/$ca.crt" --key "$pki/$leaf.key" --reuse-key \
            | signed k8s-sign --ca "$pki/$ca" "${version[@]}" --days "$days" --cert-out "$pki/$leaf.crt" --force
    else
        k8s-genkey --like "$pki/$leaf.crt" | k8s-csr --from-cert "$pki/$leaf.crt" --issued-by "$pki/$ca.crt" \
            | signed k8s-sign --ca "$pki/$ca" "${version[@]}" --days "$days" --out "$pki/$leaf" --force
        to_backup "$pki/$leaf.key" "$to"
    fi
    to_backup "$pki/$leaf.crt" "$to"
    renewed+=("pki/$leaf.crt")
done

# Extra nodes laid out by examples/kubeadm-pki.sh (nodes/N/pki/etcd/{server,peer}, nodes/N/pki/kubelet).
for nodedir in "$dir"/nodes/*/; do
    [ -d "$nodedir" ] || continue
    for pair in $node_pairs; do
        leaf=${pair%%:*}; ca=${pair#*:}; crt="$nodedir/pki/$leaf.crt"
        [ -f "$crt" ] || continue
        due < "$crt" || continue
        rel=${nodedir#"$dir"/}
        to="$backup/$rel/pki/$(dirname "$leaf")"
        mkdir -p "$to"
        if ((keep)); then
            cp -p "$nodedir/pki/$leaf.key" "$to/"
            k8s-csr --from-cert "$crt" --issued-by "$pki/$ca.crt" --key "$nodedir/pki/$leaf.key" --reuse-key \
                | signed k8s-sign --ca "$pki/$ca" "${version[@]}" --days "$days" --cert-out "$crt" --force
        else
            k8s-genkey --like "$crt" | k8s-csr --from-cert "$crt" --issued-by "$pki/$ca.crt" \
                | signed k8s-sign --ca "$pki/$ca" "${version[@]}" --days "$days" --out "$nodedir/pki/$leaf" --force
            to_backup "$nodedir/pki/$leaf.key" "$to"
        fi
        to_backup "$crt" "$to"
        renewed+=("$rel""pki/$leaf.crt")
    done
done

# Kubeconfigs: the client certificate is renewed in place (k8s-kubeconfig keeps FILE.bak-*).
for nodedir in "$dir"/nodes/*/; do
    for conf in $node_confs; do [ -f "$nodedir/$conf" ] && confs+=("${nodedir#"$dir"/}$conf"); done
done
for conf in "${confs[@]}"; do
    [ -f "$dir/$conf" ] || continue
    k8s-kubeconfig --extract --in "$dir/$conf" 2>/dev/null | due || continue
    rc=0
    k8s-kubeconfig --renew "$dir/$conf" --ca "$pki/ca" "${version[@]}" --days "$days" $( ((keep)) && echo --reuse-key ) >/dev/null 2>"$dir/.renew-err" || rc=$?
    if ((rc == 4)); then
        # Refused (a client certificate the cluster CA did not issue): said, and the run fails.
        echo "renew-pki: not renewed: $(cat "$dir/.renew-err")" >&2
        refused+=("$conf")
        rm -f "$dir/.renew-err"
        continue
    elif ((rc)); then
        # kubelet.conf usually points at /var/lib/kubelet/pki (rotated by the kubelet): leave it.
        echo "renew-pki: skipped $conf: $(cat "$dir/.renew-err")" >&2
        rm -f "$dir/.renew-err"
        continue
    fi
    rm -f "$dir/.renew-err"
    mkdir -p "$backup/$(dirname "$conf")"
    mv "$dir/$conf".bak-* "$backup/$(dirname "$conf")/"
    renewed+=("$conf")
done

echo "renewed ${#renewed[@]} certificates${renewed:+: ${renewed[*]}}"
[ -d "$backup" ] && echo "old files in $backup"

# Who reads each renewed file (the component flags, k8s-verify --flags): each of those processes
# must restart to use it, as kubeadm says after certs renew; a static pod restarts when its
# manifest leaves /etc/kubernetes/manifests and comes back. A file under nodes/N/ is read on N.
if ((${#renewed[@]})); then
    flags=$(k8s-verify --pki-dir "$dir" --flags --format json)
    echo "to load them:"
    for f in "${renewed[@]}"; do
        rel=$(sed -E 's|^nodes/[^/]+/||' <<<"$f"); node=""
        [ "$rel" = "$f" ] || node=" on $(cut -d/ -f2 <<<"$f")"
        readers=$(jq -r --arg crt "$rel" --arg key "${rel%.crt}.key" '[.[] | select(.file == $crt or .file == $key)
            | select(.component != "kubectl")] | group_by(.component)
            | map("\(.[0].component) (\(map(.flag) | join(", ")))") | join("; ")' <<<"$flags")
        if [ -n "$readers" ]; then
            echo "  $f: restart$node $readers"
        elif [[ $f == *.conf ]]; then
            echo "  $f: nothing to restart (kubectl and other clients read it on each run)"
        else
            echo "  $f: no kubeadm component flag names it: restart whatever reads it$node"
        fi
    done
fi
k8s-verify --pki-dir "$dir" || audit=$?
if ((${#refused[@]})); then
    echo "renew-pki: ${#refused[@]} kubeconfig(s) refused: ${refused[*]}" >&2
    exit 4
fi
exit "${audit:-0}"

