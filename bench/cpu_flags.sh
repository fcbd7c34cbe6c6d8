#!/usr/bin/env bash
# cpu_flags.sh: what the CPU choice of Package.swift costs. Builds `recur` twice in release, as
# shipped (the kernels compiled for Haswell: AVX2 and FMA) and portable (the last `-target-cpu`
# set back to baseline x86-64, the rebuild `recur` names on a CPU without AVX2), and runs
# `recur train --single-process` with each, alternating which goes first, on two shapes:
# LSTM H=512 L=2 B=32 T=100 and LSTM H=128 L=2 B=50 T=50.
# Prints each pair's steady-state tokens/s, their ratio (haswell / portable) and the median ratio
# per shape, and the load average before and after.
#
# Usage: bench/cpu_flags.sh [--rounds N] [--corpus FILE] [--threads N] [--skip-build]
#   --rounds N    pairs per shape (default 3)
#   --corpus FILE text to train on (default ../shared/data/tinyshakespeare/input.txt from the repo
#                 root, or the built-in synthetic corpus when that file is missing)
#   --threads N   threads of each run (default 2)
#   --skip-build  use the binaries in .build-haswell and .build-portable as they are
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 threads=2 build=1 corpus=../shared/data/tinyshakespeare/input.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --skip-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$build" = 1 ]; then
  swift build -c release --product recur --scratch-path .build-haswell >/dev/null
  swift build -c release --product recur --scratch-path .build-portable -Xswiftc -target-cpu -Xswiftc x86-64 >/dev/null
fi
data=()
[ -r "$corpus" ] && data=(--corpus "$corpus")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Steady-state tokens/s: mean of the per-step figures after the first three steps.
rate() { python3 -c 'import json,sys; r=[json.loads(l)["tokens_per_second"] for l in open(sys.argv[1])][3:]; print(round(sum(r)/len(r)))' "$1"; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); corpus: ${data[1]:-built-in}; threads $threads"
# hidden batch bptt steps
for shape in "512 32 100 12" "128 50 50 40"; do
  read -r hidden batch bptt steps <<<"$shape"
  ratios=()
  for i in $(seq 1 "$rounds"); do
    order=(haswell portable)
    [ $((i % 2)) = 0 ] && order=(portable haswell)
    for build in "${order[@]}"; do
      rm -rf "${work:?}/$build"
      ".build-$build/release/recur" train --single-process --threads "$threads" "${data[@]}" --cell lstm \
        --hidden "$hidden" --layers 2 --batch "$batch" --bptt "$bptt" --steps "$steps" --log-every 1 \
        --val-fraction 0 --quiet --run-dir "$work/$build" >/dev/null 2>&1
    done
    fast=$(rate "$work/haswell/metrics.jsonl"); slow=$(rate "$work/portable/metrics.jsonl")
    ratio=$(python3 -c "print(round($fast/$slow, 3))")
    ratios+=("$ratio")
    echo "LSTM H=$hidden B=$batch T=$bptt round $i (${order[*]}): haswell $fast, portable $slow tokens/s, ratio $ratio"
  done
  python3 -c 'import statistics,sys; print(f"LSTM H={sys.argv[1]}: median haswell/portable {statistics.median(float(x) for x in sys.argv[2:]):.3f}")' \
    "$hidden" "${ratios[@]}"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
