#!/usr/bin/env bash
# Builds the package and its tests with ThreadSanitizer or AddressSanitizer and runs a subset of the
# suite under it; fails on a failing test or on any sanitizer report, from the test process or from
# a `recur` process the cluster tests spawn.
#
#   scripts/sanitize.sh thread  [--filter REGEX]   # default: the roles, cluster and transport tests
#   scripts/sanitize.sh address [--filter REGEX]   # default: the model, IO, data and wire tests
#
# Each mode builds into its own scratch path (.build-tsan, .build-asan). `--sanitize` instruments
# every target, C targets included, and the `recur` executable the cluster tests spawn is built into
# the same folder, beside the test bundle, where `ClusterTestCase.binary()` looks for it.
#
# Reports go to files (`log_path`), one per process, so that a report from a spawned `recur`, whose
# stderr the cluster tests capture, still fails the run; they are printed at the end.
# TSAN_OPTIONS or ASAN_OPTIONS from the environment are appended (the last value of an option wins),
# e.g. TSAN_OPTIONS=halt_on_error=0 to see every report of a run rather than the first.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: $0 thread|address [--filter REGEX]" >&2; exit 2; }
[ $# -ge 1 ] || usage
mode=$1; shift
filter=""
while [ $# -gt 0 ]; do
  case $1 in
    --filter) [ $# -ge 2 ] || usage; filter=$2; shift 2 ;;
    *) usage ;;
  esac
done

reports=$(mktemp -d "${TMPDIR:-/tmp}/recur-$mode-reports.XXXXXX")
case $mode in
  thread)
    scratch=.build-tsan
    : "${filter:=RecurRolesTests|RecurClusterTests|RecurTransportTests}"
    # halt_on_error: the first race ends the process with exitcode 66, so that no run with a race
    # passes. second_deadlock_stack: both stacks of a lock-order inversion.
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 print_suppressions=0 suppressions=$PWD/scripts/tsan.supp log_path=$reports/tsan ${TSAN_OPTIONS:-}"
    ;;
  address)
    scratch=.build-asan
    : "${filter:=RecurModelTests|RecurIOTests|RecurDataTests|RecurWireTests}"
    # LeakSanitizer is on (detect_leaks=1): a protobuf-c message unpacked and never freed, or a
    # buffer retained for a zero-copy send and never released, would show up here; what XCTest
    # holds until exit is suppressed in scripts/lsan.supp. halt_on_error is ASan's default: the
    # first error ends the process.
    export LSAN_OPTIONS="print_suppressions=0 suppressions=$PWD/scripts/lsan.supp ${LSAN_OPTIONS:-}"
    export ASAN_OPTIONS="detect_leaks=1 detect_stack_use_after_return=1 strict_string_checks=1 log_path=$reports/asan ${ASAN_OPTIONS:-}"
    ;;
  *) usage ;;
esac

flags=(-c debug --scratch-path "$scratch" --sanitize="$mode")
start=$SECONDS
swift build --build-tests "${flags[@]}"
built=$SECONDS
echo "sanitize.sh: $mode build took $((built - start)) s"

set +e
swift test --skip-build "${flags[@]}" --disable-swift-testing --filter "$filter" 2>&1 | tee "$reports/test.log"
status=${PIPESTATUS[0]}
set -e
echo "sanitize.sh: $mode tests ($filter) took $((SECONDS - built)) s"

shopt -s nullglob
# A process's log holds a report when it has a sanitizer's ERROR or WARNING line (a log can hold
# only the statistics of the suppressions that matched).
found=()
for f in "$reports"/tsan.* "$reports"/asan.*; do
  grep -qE "(ERROR|WARNING): (Thread|Address|Leak)Sanitizer" "$f" && found+=("$f")
done
if [ ${#found[@]} -gt 0 ]; then
  for f in "${found[@]}"; do echo "== $f"; cat "$f"; done
  echo "sanitize.sh: ${#found[@]} process(es) reported (logs in $reports)"
  exit 1
fi
[ "$status" -eq 0 ] || { echo "sanitize.sh: the tests failed (status $status; log in $reports/test.log)"; exit "$status"; }
echo "sanitize.sh: $mode: no sanitizer reports, tests passed"
rm -rf "$reports"
