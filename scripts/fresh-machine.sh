#!/usr/bin/env bash
# Runs the README's commands as a fresh machine would, to prove they need nothing this machine's
# caches hide: a clean clone of the committed HEAD, an empty CARGO_HOME (no registry cache, no
# installed cargo subcommands), no target/, CI=true and no stdin. The rustup toolchains and the
# Debian packages stay the machine's: `make test` installs the packages it needs itself.
#
#   scripts/fresh-machine.sh [TARGET...]    make targets to run in order (default: pki test)
#   scripts/fresh-machine.sh ci             .ci/run instead (pki, fuzz, test, as CI runs them)
#
# FRESH_DIR=dir keeps the clone and the cargo home there (default: a new temporary directory,
# removed when every step passed). Prints each step's time, then one closing line.
set -euo pipefail
src=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
if [ -n "$(git -C "$src" status --porcelain --untracked-files=normal)" ]; then
    echo "fresh-machine: warning: uncommitted changes in $src are not in the clone; only HEAD is tested" >&2
fi
dir=${FRESH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/k8s-pki-fresh.XXXXXX")}
mkdir -p "$dir"
if [ -e "$dir/k8s-pki" ] || [ -e "$dir/cargo-home" ]; then
    echo "fresh-machine: $dir already holds a clone or a cargo home; name an empty FRESH_DIR" >&2
    exit 2
fi
git clone --quiet --no-local "$src" "$dir/k8s-pki"
mkdir "$dir/cargo-home"
export CARGO_HOME="$dir/cargo-home"
# Subcommands installed during the run (cargo-fuzz) land in the new CARGO_HOME; the rustup
# proxies (cargo, rustc) keep working from wherever they are on PATH.
export PATH="$CARGO_HOME/bin:$PATH"
export CI=true
unset CARGO_TARGET_DIR RUSTFLAGS
cd "$dir/k8s-pki"
echo "fresh-machine: clone of $(git rev-parse --short HEAD) in $dir/k8s-pki, CARGO_HOME=$CARGO_HOME"

[ $# -gt 0 ] || set -- pki test
start=$(date +%s)
for step in "$@"; do
    t0=$(date +%s)
    if [ "$step" = ci ]; then
        .ci/run </dev/null || { echo "fresh-machine: .ci/run failed after $(($(date +%s) - t0)) s (left in $dir)" >&2; exit 1; }
    else
        make "$step" </dev/null || { echo "fresh-machine: make $step failed after $(($(date +%s) - t0)) s (left in $dir)" >&2; exit 1; }
    fi
    echo "fresh-machine: $step passed in $(($(date +%s) - t0)) s"
done
echo "fresh-machine: $* passed from a clean clone with an empty CARGO_HOME in $(($(date +%s) - start)) s"
[ -n "${FRESH_DIR:-}" ] || rm -rf "$dir"
