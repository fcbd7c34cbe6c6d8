#!/usr/bin/env bash
# Builds and runs Recur's libFuzzer harnesses (Fuzz/): one decoder of untrusted bytes per harness.
#
#   scripts/fuzz.sh --list                      the harnesses
#   scripts/fuzz.sh TARGET [libFuzzer args]     build if needed, run TARGET on Fuzz/corpus/TARGET/
#   scripts/fuzz.sh --all -runs=N [args]        every harness in turn, N inputs each, then a table
#   scripts/fuzz.sh --seeds                     rewrite Fuzz/corpus/ with the project's encoders
#
# The harnesses are built with -sanitize=fuzzer,address into .build-fuzz/ (git-ignored), apart
# from the normal build. New corpus entries go to a temporary folder, deleted afterwards unless
# RECUR_FUZZ_KEEP=1; the committed seeds are only read. Crashing inputs are written to
# .build-fuzz/artifacts/TARGET/. Defaults (later arguments override them): inputs up to 64 KiB,
# 2 GiB of memory, 10 s per input.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
scratch=${RECUR_FUZZ_SCRATCH:-$root/.build-fuzz}
targets=(wire safetensors manifest trainer-state json curve-keys corpus classify tag z85 tensorboard metrics-log model-file run-config pairs)
defaults=(-max_len=65536 -rss_limit_mb=2048 -timeout=10)

usage() { sed -n '3,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

is_target() { local t; for t in "${targets[@]}"; do [[ $t == "$1" ]] && return 0; done; return 1; }

# Builds the named harnesses (one `swift build --product` each: the package also holds
# fuzz-seeds, which has its own main and must not be linked with libFuzzer). `--sanitize fuzzer`
# tells SwiftPM not to alias `main` to the harness module's empty entry point (libFuzzer brings
# its own); the sanitizers themselves are then given as one -sanitize=fuzzer,address, because the
# driver keeps only the last -sanitize option and `--sanitize fuzzer --sanitize address` leaves
# the libraries without coverage counters. C is compiled with fuzzer-no-link,address. Dead
# stripping is off because it drops the coverage counters' sections.
build() {
    local t log
    log=$(mktemp)
    for t in "$@"; do
        if ! swift build --package-path "$root/Fuzz" --scratch-path "$scratch" -c release \
            --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address \
            --disable-dead-strip --product "$t" >"$log" 2>&1; then
            grep -v "Cannot export local symbol" "$log" >&2
            rm -f "$log"
            echo "fuzz.sh: building $t failed" >&2
            exit 1
        fi
    done
    rm -f "$log"
}

# Runs one built harness on its seeds; its libFuzzer output goes to stderr and to $2.
run() {
    local t=$1 log=$2; shift 2
    local work artifacts status=0
    work=$(mktemp -d "${TMPDIR:-/tmp}/recur-fuzz-$t.XXXXXX")
    artifacts="$scratch/artifacts/$t"
    mkdir -p "$artifacts"
    # The Swift runtime's backtracer would take over a crash; libFuzzer must see the signal.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        "$scratch/release/$t" "${defaults[@]}" -artifact_prefix="$artifacts/" "$@" \
        "$work" "$root/Fuzz/corpus/$t" 2>&1 | tee "$log" >&2 || status=$?
    if [[ ${RECUR_FUZZ_KEEP:-0} == 1 ]]; then echo "fuzz.sh: new corpus entries kept in $work" >&2
    else rm -rf "$work"; fi
    return "$status"
}

[[ $# -ge 1 ]] || usage
case $1 in
--list)
    printf '%s\n' "${targets[@]}"
    ;;
--seeds)
    swift build --package-path "$root/Fuzz" --scratch-path "$root/.build-fuzz-seeds" -c release --product fuzz-seeds
    rm -rf "$root/Fuzz/corpus"
    "$root/.build-fuzz-seeds/release/fuzz-seeds" "$root/Fuzz/corpus"
    ;;
--all)
    shift
    build "${targets[@]}"
    summary=$(mktemp)
    failed=()
    for t in "${targets[@]}"; do
        log=$(mktemp)
        start=$(date +%s.%N)
        run "$t" "$log" "$@" || failed+=("$t")
        seconds=$(echo "$(date +%s.%N) - $start" | bc)
        # libFuzzer's last status line: "#N DONE cov: C ft: F corp: ..."
        last=$(grep -E '^#[0-9]+' "$log" | tail -1)
        inputs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
        cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | cut -d' ' -f2 || true)
        ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | cut -d' ' -f2 || true)
        printf '%-14s %10s %6s %6s %8.1f\n' "$t" "${inputs:-?}" "${cov:-?}" "${ft:-?}" "$seconds" >>"$summary"
        rm -f "$log"
    done
    printf '%-14s %10s %6s %6s %8s\n' target inputs cov ft seconds
    cat "$summary"
    rm -f "$summary"
    if [[ ${#failed[@]} -gt 0 ]]; then echo "fuzz.sh: failed: ${failed[*]}" >&2; exit 1; fi
    ;;
-*)
    usage
    ;;
*)
    is_target "$1" || { echo "fuzz.sh: no harness '$1' (see --list)" >&2; exit 2; }
    t=$1
    shift
    build "$t"
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    run "$t" "$log" "$@"
    ;;
esac
