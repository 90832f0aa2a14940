#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that reads untrusted bytes, with cargo-fuzz
# (libFuzzer) on the nightly toolchain; cargo-fuzz is installed from crates.io when missing.
# Each target runs for SECONDS (default 60) from the corpus kept in fuzz/corpus/TARGET; new
# inputs go to target/fuzz-corpus/TARGET. A crash stops the run and leaves its input in
# fuzz/artifacts/TARGET: copy it to fuzz/regressions/TARGET/ so that `make test` replays it
# forever (lib/tests/fuzz_corpus.rs).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: the nightly toolchain is missing: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    # As the README tells a user to: from crates.io, at the versions its lock file names.
    echo "fuzz: installing cargo-fuzz (cargo install --locked cargo-fuzz)" >&2
    cargo install --locked --quiet cargo-fuzz
fi
mapfile -t targets < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cargo +nightly fuzz list; fi)
for t in "${targets[@]}"; do
    mkdir -p "target/fuzz-corpus/$t"
    echo "fuzz: $t for ${seconds}s"
    cargo +nightly fuzz run --release "$t" "target/fuzz-corpus/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 2>&1 |
        grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|thread .* panicked|Done)' || true
    test "${PIPESTATUS[0]}" -eq 0 || { echo "fuzz: $t found a crash: see fuzz/artifacts/$t/" >&2; exit 1; }
done
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash"
