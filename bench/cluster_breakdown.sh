#!/usr/bin/env bash
# Where the distributed step's time goes against the machine's ceiling, in one run:
#
#   ceiling  W single-threaded trainers side by side, B/W lanes each (what W cores do with
#            nothing but compute and each its own optimizer step): their step time
#   single   `recur train --single-process --threads W` on B lanes: its step time
#   cluster  `recur train --workers W --threads 1`, traced (RECUR_TRACE=1) and with the CPU time
#            of every thread sampled (bench/thread_cpu.py): its step time, split into
#            - compute per shard (a worker's forward and backward, weight waits taken out),
#            - straggler wait (the step's last shard done after its first),
#            - between steps (the last shard done to the next shard under way: bench/step_breakdown.py),
#            and the CPU the data path takes per step (server, libzmq I/O threads, coordinator).
#
# Step times are medians over the steps after the first three. The per-step CPU figures include
# each process's start (corpus, model, connections), so use at least 20 steps.
#
#   bench/cluster_breakdown.sh [--hidden 512] [--steps 30] [--workers 2] [--skip-build]
set -euo pipefail
cd "$(dirname "$0")/.."
hidden=512 steps=30 workers=2 build=1
corpus=../shared/data/tinyshakespeare/input.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --hidden) hidden=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --skip-build) build=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$build" = 1 ] && swift build -c release --product recur >/dev/null
bin=.build/release/recur
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lanes=$((32 / workers))
flags=(--corpus "$corpus" --hidden "$hidden" --layers 2 --bptt 100 --steps "$steps" --log-every 1 --val-fraction 0 --quiet)
# Median milliseconds per step of a run with `tokens` tokens per step, after three warm-up steps.
step_ms() { python3 -c 'import json,sys,statistics as s; r=[json.loads(l)["tokens_per_second"] for l in open(sys.argv[1])][3:]; print(round(s.median(1000*int(sys.argv[2])/x for x in r), 1))' "$1" "$2"; }

pids=()
for w in $(seq 1 "$workers"); do
  "$bin" train --single-process --threads 1 "${flags[@]}" --batch "$lanes" --lanes-per-shard "$lanes" --seed $((100 + w)) \
    --run-dir "$work/alone-$w" >/dev/null 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
ceiling=$(for w in $(seq 1 "$workers"); do step_ms "$work/alone-$w/metrics.jsonl" $((lanes * 100)); done | sort -n | tail -1)

"$bin" train --single-process --threads "$workers" "${flags[@]}" --batch 32 --lanes-per-shard "$lanes" \
  --run-dir "$work/single" >/dev/null 2>&1
single=$(step_ms "$work/single/metrics.jsonl" 3200)

python3 bench/thread_cpu.py --steps "$steps" > "$work/cpu.txt" &
sampler=$!
sleep 0.5
RECUR_TRACE=1 "$bin" train --workers "$workers" --threads 1 "${flags[@]}" --batch 32 --lanes-per-shard "$lanes" \
  --run-dir "$work/cluster" >/dev/null 2> "$work/trace.log"
wait "$sampler"
cluster=$(step_ms "$work/cluster/metrics.jsonl" 3200)
same=$(cmp -s "$work/single/checkpoints/latest/model.safetensors" "$work/cluster/checkpoints/latest/model.safetensors" && echo yes || echo NO)

echo "LSTM H=$hidden L=2 B=32 T=100, $workers workers, shards of $lanes lanes, $steps steps; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ceiling ($workers trainers x 1 thread, $lanes lanes each): $ceiling ms per step"
echo "single process, $workers threads:               $single ms per step ($(python3 -c "print(round($ceiling/$single, 3))") of the ceiling's speed)"
echo "cluster, $workers workers x 1 thread:             $cluster ms per step ($(python3 -c "print(round($ceiling/$cluster, 3))") of the ceiling's speed; cluster/single speed $(python3 -c "print(round($single/$cluster, 3))"); weights identical: $same)"
python3 bench/step_breakdown.py "$work/trace.log" | sed 's/^/  /'
echo "CPU per step of every thread (startup included):"
sed 's/^/  /' "$work/cpu.txt"
