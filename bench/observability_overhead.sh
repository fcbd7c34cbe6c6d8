#!/usr/bin/env bash
# What a run's views cost: the same single-process training with a metrics line at every step
# (each one also a TensorBoard event and a rewrite of recur.prom) against one line at the end,
# alternating, on the same corpus and shapes. The figure of a run is the training seconds its last
# metrics line records (`seconds`); the overhead is every-step / end-only − 1. Runs log every 10
# steps by default, so their cost is about a tenth of this.
#
#   bench/observability_overhead.sh [--binary .build/release/recur] [--hidden 128] [--steps 300]
#                                   [--rounds 5] [--corpus FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=.build/release/recur hidden=128 steps=300 rounds=5
corpus=../shared/data/tinyshakespeare/input.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --hidden) hidden=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || swift build -c release --product recur >&2
corpusflag=()
if [ -f "$corpus" ]; then corpusflag=(--corpus "$corpus"); else echo "no $corpus: built-in corpus" >&2; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seconds() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["seconds"])' "$1/metrics.jsonl"; }
run() {  # run DIR LOG_EVERY
  rm -rf "$1"
  "$binary" train --single-process --threads 2 "${corpusflag[@]}" --hidden "$hidden" --layers 2 --batch 32 --bptt 64 \
    --steps "$steps" --log-every "$2" --val-fraction 0 --quiet --run-dir "$1" >/dev/null
  seconds "$1"
}
echo "H=$hidden steps=$steps; load average $(cut -d' ' -f1-3 /proc/loadavg)"
ratios=()
for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then every=$(run "$work/a" 1); once=$(run "$work/b" 1000000)
  else once=$(run "$work/b" 1000000); every=$(run "$work/a" 1); fi
  events=$(ls "$work/a/tensorboard" | wc -l)
  ratio=$(python3 -c "print(round($every / $once, 4))")
  ratios+=("$ratio")
  echo "round $r: every step ${every} s, end only ${once} s, ratio $ratio ($events event file)"
done
python3 - "${ratios[@]}" <<'PY'
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print(f"every-step / end-only: median {statistics.median(r):.4f}, min {min(r):.4f}, max {max(r):.4f} over {len(r)} rounds;"
      f" overhead at --log-every 1: {100 * (statistics.median(r) - 1):.2f}%")
PY
