#!/usr/bin/env bash
# Two builds of recur side by side: the same single-process and local-cluster runs with binary A
# and binary B, alternating which goes first in each round, on the same corpus and shapes. Prints
# every round's tokens/s and the B/A ratio of each mode, with their medians. Use it to check that
# a change does not slow training: build the old commit into one scratch folder and the new one
# into another, then
#
#   bench/builds_ab.sh --a .build-old/release/recur --b .build/release/recur [--hidden 512] \
#                      [--steps 12] [--repeat 6] [--workers 2] [--corpus FILE]
#
# Single process: --threads 2. Cluster: --workers W --threads 1 (shared memory, the default).
# The figure of one run is the mean of its per-step tokens/s after the first three steps.
set -euo pipefail
cd "$(dirname "$0")/.."
a="" b="" hidden=512 steps=12 repeat=6 workers=2 lanes=16
corpus=../shared/data/tinyshakespeare/input.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --a) a=$2; shift 2 ;;
    --b) b=$2; shift 2 ;;
    --hidden) hidden=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --lanes-per-shard) lanes=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$a" ] && [ -x "$b" ] || { echo "give two recur binaries: --a OLD --b NEW" >&2; exit 2; }
corpusflag=()
if [ -f "$corpus" ]; then corpusflag=(--corpus "$corpus"); else echo "no $corpus: built-in corpus" >&2; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=("${corpusflag[@]}" --hidden "$hidden" --layers 2 --batch 32 --bptt 100 --lanes-per-shard "$lanes"
       --steps "$steps" --log-every 1 --val-fraction 0 --quiet)
rate() { python3 -c 'import json,sys; r=[json.loads(l)["tokens_per_second"] for l in open(sys.argv[1]) if "step" in l][3:]; print(round(sum(r)/len(r)))' "$1"; }
run() {  # run BIN MODE DIR
  rm -rf "$3"
  case "$2" in
    single) "$1" train --single-process --threads 2 "${flags[@]}" --run-dir "$3" >/dev/null 2>&1 ;;
    cluster) "$1" train --workers "$workers" --threads 1 "${flags[@]}" --run-dir "$3" >/dev/null 2>&1 ;;
  esac
}
echo "A: $a ($(cd "$(dirname "$a")" && git log -1 --format=%h 2>/dev/null || echo '?'))  B: $b"
echo "H=$hidden steps=$steps workers=$workers; load average $(cut -d' ' -f1-3 /proc/loadavg)"
single=() cluster=()
for i in $(seq 1 "$repeat"); do
  order=(a b); [ $((i % 2)) = 0 ] && order=(b a)
  for mode in single cluster; do
    for w in "${order[@]}"; do
      bin=$a; [ "$w" = b ] && bin=$b
      run "$bin" "$mode" "$work/$mode-$w"
    done
    ra=$(rate "$work/$mode-a/metrics.jsonl"); rb=$(rate "$work/$mode-b/metrics.jsonl")
    same=$(cmp -s "$work/$mode-a/checkpoints/latest/model.safetensors" "$work/$mode-b/checkpoints/latest/model.safetensors" \
           && echo yes || echo NO)
    ratio=$(python3 -c "print(round($rb/$ra, 3))")
    echo "round $i $mode (${order[*]}): A $ra, B $rb tokens/s, B/A $ratio, weights identical: $same"
    if [ "$mode" = single ]; then single+=("$ratio"); else cluster+=("$ratio"); fi
  done
done
python3 - "${single[*]}" "${cluster[*]}" <<'EOF'
import statistics, sys
for name, xs in (("single process", sys.argv[1]), ("cluster", sys.argv[2])):
    r = [float(x) for x in xs.split()]
    print(f"{name} B/A: median {statistics.median(r):.3f}, mean {statistics.mean(r):.3f}, "
          f"min {min(r):.3f}, max {max(r):.3f} over {len(r)} rounds")
EOF
