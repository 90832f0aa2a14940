#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that reads untrusted bytes, with cargo-fuzz
# (libFuzzer) on the nightly toolchain; cargo-fuzz is installed from crates.io when missing.
# Each target runs for SECONDS (default 60) from the corpus kept in fuzz/corpus/TARGET; new
# inputs go to target/fuzz-corpus/TARGET. The targets are built once, then run FUZZ_JOBS at a
# time (default: one per core; a libFuzzer run uses one core). Every target runs to its end; a
# crash leaves its input in fuzz/artifacts/TARGET and makes the run fail: copy the input to
# fuzz/regressions/TARGET/ so that `make test` replays it for ever (lib/tests/fuzz_corpus.rs).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
jobs=${FUZZ_JOBS:-$(nproc)}
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
build=(--release)

# One build for all targets: the runs below find it done (the same flags, or cargo rebuilds).
echo "fuzz: building ${#targets[@]} targets"
for t in "${targets[@]}"; do cargo +nightly fuzz build "${build[@]}" "$t"; done

logs=target/fuzz-logs
mkdir -p "$logs"
fuzz_one() {
    local t=$1 rc=0
    mkdir -p "target/fuzz-corpus/$t"
    cargo +nightly fuzz run "${build[@]}" "$t" "target/fuzz-corpus/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        >"$logs/$t.log" 2>&1 || rc=$?
    echo "$rc" >"$logs/$t.rc"
}
for t in "${targets[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    rm -f "$logs/$t.rc"
    fuzz_one "$t" &
done
wait

crashed=()
for t in "${targets[@]}"; do
    echo "fuzz: $t for ${seconds}s"
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|thread .* panicked|Done)' \
        "$logs/$t.log" || true
    [ "$(cat "$logs/$t.rc" 2>/dev/null)" = 0 ] || crashed+=("$t")
done
if [ ${#crashed[@]} -gt 0 ]; then
    echo "fuzz: a crash in ${crashed[*]}: see fuzz/artifacts/TARGET/ and $logs/TARGET.log" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $jobs at a time, no crash"
