#!/usr/bin/env bash
# Distributed against single-process throughput on one machine: `recur train --workers W
# --threads 1` beside `recur train --single-process --threads 2`, same model, data and shards,
# one after the other. Prints tokens/s of both, their ratio, whether the weights are identical,
# and the bytes each step puts on the wire.
#
# With --ceiling it also runs W single-threaded single-process trainers side by side, each on
# B/W lanes, and prints the sum of their tokens/s: what W workers could reach on this machine
# with nothing but compute (the cores share caches and memory bandwidth, so this is below W
# times one process alone).
#
# With --repeat N it runs N pairs instead of one, alternating which of the two goes first, and
# prints every pair's ratio with their median and mean: on a noisy machine one pair says little
# (the single process alone can move by 15% from one run to the next). With --compare-tcp each
# round also runs the cluster with --no-shared-memory (everything over loopback TCP), in rotating
# order, and prints both clusters' ratios to the single process.
#
#   bench/cluster_vs_single.sh [--hidden 512] [--steps 12] [--workers 2] [--lanes-per-shard 16] [--ps-shards 1]
#                              [--ceiling] [--repeat N [--compare-tcp]] [--skip-build]
set -euo pipefail
cd "$(dirname "$0")/.."
hidden=512 steps=12 workers=2 lanes=16 build=1 psshards=1 ceiling=0 repeat=0 tcp=0
corpus=../shared/data/tinyshakespeare/input.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --hidden) hidden=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --lanes-per-shard) lanes=$2; shift 2 ;;
    --ps-shards) psshards=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --skip-build) build=0; shift ;;
    --ceiling) ceiling=1; shift ;;
    --repeat) repeat=$2; shift 2 ;;
    --compare-tcp) tcp=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$build" = 1 ] && swift build -c release --product recur >/dev/null
bin=.build/release/recur
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--corpus "$corpus" --hidden "$hidden" --layers 2 --batch 32 --bptt 100 --lanes-per-shard "$lanes"
       --steps "$steps" --log-every 1 --val-fraction 0 --quiet)
# Steady-state tokens/s: mean of the per-step figures after the first three steps.
rate() { python3 -c 'import json,sys; r=[json.loads(l)["tokens_per_second"] for l in open(sys.argv[1])][3:]; print(round(sum(r)/len(r)))' "$1"; }
if [ "$repeat" -gt 0 ]; then
  ratios=() tcpratios=()
  summary() { python3 -c 'import statistics,sys; n=sys.argv[1]; r=[float(x) for x in sys.argv[2:]]; print(f"{n}: {len(r)} rounds, ratio median {statistics.median(r):.3f}, mean {statistics.mean(r):.3f}, min {min(r):.3f}, max {max(r):.3f}, above 1.0 in {sum(x >= 1 for x in r)}")' "$@"; }
  for i in $(seq 1 "$repeat"); do
    if [ "$tcp" = 1 ]; then
      case $((i % 3)) in 1) order=(single cluster tcp) ;; 2) order=(cluster tcp single) ;; *) order=(tcp single cluster) ;; esac
    else
      order=(single cluster)
      [ $((i % 2)) = 0 ] && order=(cluster single)
    fi
    for which in "${order[@]}"; do
      rm -rf "${work:?}/$which"
      case "$which" in
        single) "$bin" train --single-process --threads 2 "${flags[@]}" --run-dir "$work/single" >/dev/null 2>&1 ;;
        cluster) "$bin" train --workers "$workers" --ps-shards "$psshards" --threads 1 "${flags[@]}" --run-dir "$work/cluster" >/dev/null 2>&1 ;;
        tcp) "$bin" train --workers "$workers" --ps-shards "$psshards" --threads 1 --no-shared-memory "${flags[@]}" \
               --run-dir "$work/tcp" >/dev/null 2>&1 ;;
      esac
    done
    single=$(rate "$work/single/metrics.jsonl"); cluster=$(rate "$work/cluster/metrics.jsonl")
    same=$(cmp -s "$work/single/checkpoints/latest/model.safetensors" "$work/cluster/checkpoints/latest/model.safetensors" && echo yes || echo NO)
    ratio=$(python3 -c "print(round($cluster/$single, 3))")
    ratios+=("$ratio")
    line="round $i (${order[*]}): single $single, cluster $cluster tokens/s (ratio $ratio)"
    if [ "$tcp" = 1 ]; then
      overtcp=$(rate "$work/tcp/metrics.jsonl")
      tcpratio=$(python3 -c "print(round($overtcp/$single, 3))")
      tcpratios+=("$tcpratio")
      cmp -s "$work/single/checkpoints/latest/model.safetensors" "$work/tcp/checkpoints/latest/model.safetensors" || same="$same, TCP NO"
      line="$line, cluster over TCP $overtcp (ratio $tcpratio)"
    fi
    echo "$line, weights identical: $same"
  done
  summary "cluster / single" "${ratios[@]}"
  [ "$tcp" = 1 ] && summary "cluster over TCP / single" "${tcpratios[@]}"
  exit 0
fi
"$bin" train --single-process --threads 2 "${flags[@]}" --run-dir "$work/single" >/dev/null 2>&1
"$bin" train --workers "$workers" --ps-shards "$psshards" --threads 1 "${flags[@]}" --run-dir "$work/cluster" >/dev/null 2>&1
single=$(rate "$work/single/metrics.jsonl")
cluster=$(rate "$work/cluster/metrics.jsonl")
same=$(cmp -s "$work/single/checkpoints/latest/model.safetensors" "$work/cluster/checkpoints/latest/model.safetensors" && echo yes || echo NO)
params=$(python3 -c 'import json,struct,sys; f=open(sys.argv[1],"rb"); n=struct.unpack("<Q",f.read(8))[0]; h=json.loads(f.read(n)); print(sum((v["data_offsets"][1]-v["data_offsets"][0])//4 for k,v in h.items() if k!="__metadata__"))' "$work/single/checkpoints/latest/model.safetensors")
shards=$((32 / lanes))
# Per step: every shard's gradient to the server, the new weights to every worker, plus tasks
# and states (small).
wire=$(( (shards + workers) * params * 4 ))
echo "LSTM H=$hidden L=2 B=32 T=100, $shards shards of $lanes lanes, $params parameters"
echo "single-process --threads 2:  $single tokens/s"
echo "--workers $workers --ps-shards $psshards --threads 1: $cluster tokens/s   ratio $(python3 -c "print(round($cluster/$single, 2))")"
echo "weights identical: $same"
echo "tensor bytes moved per step: $wire ($(python3 -c "print(round($wire/1e6, 1))") MB: $shards gradients + $workers weight copies;" \
     "through shared memory here, over TCP with --no-shared-memory or across hosts)"
if [ "$ceiling" = 1 ]; then
  pids=()
  for w in $(seq 1 "$workers"); do
    "$bin" train --single-process --threads 1 "${flags[@]}" --batch $((32 / workers)) --seed $((100 + w)) \
      --run-dir "$work/alone-$w" >/dev/null 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  total=0
  for w in $(seq 1 "$workers"); do total=$((total + $(rate "$work/alone-$w/metrics.jsonl"))); done
  echo "ceiling, $workers single-threaded processes side by side on $((32 / workers)) lanes each: $total tokens/s" \
       "(cluster at $(python3 -c "print(round($cluster/$total, 2))") of it)"
fi
