#!/usr/bin/env bash
# Installs the Debian packages named on the command line that are not installed yet
# (apt-get update once, then apt-get install -y). kubectl must come with the machine.
set -euo pipefail
missing=()
for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v kubectl >/dev/null 2>&1; then
    echo "install-deps: kubectl is missing: it comes with the machine image; install it before running the tests" >&2
    exit 1
fi
