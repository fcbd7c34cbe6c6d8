#!/usr/bin/env bash
# Starts a whole `recur launch` run on this machine, one process per rank, as torchrun or srun
# would on a cluster: rank 0 coordinates, ranks 1…S serve the parameter slices, the rest work.
# Everything listens on 127.0.0.1 (plain TCP is allowed there); all ranks stop together at the
# end, on Ctrl-C, or when one fails.
#
#   deploy/local/launch.sh RUN_DIR [WORLD_SIZE] [PS_SHARDS] [-- recur train flags…]
#   deploy/local/launch.sh runs/launch 5 2 -- --hidden 256 --steps 300 --lanes-per-shard 4
#
# MASTER_PORT (default 29500) is the coordinator's port; server k uses MASTER_PORT + 1 + k.
# RECUR (default .build/release/recur) is the binary.
set -euo pipefail
run_dir=${1:?usage: launch.sh RUN_DIR [WORLD_SIZE] [PS_SHARDS] [-- flags]}
shift
world=4 shards=1
if [ $# -gt 0 ] && [ "$1" != "--" ]; then world=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then shards=$1; shift; fi
[ "${1:-}" = "--" ] && shift
[ "$world" -ge $((shards + 2)) ] || { echo "launch.sh: WORLD_SIZE $world leaves no worker with $shards server(s)" >&2; exit 2; }
recur=${RECUR:-.build/release/recur}
export MASTER_ADDR=127.0.0.1 MASTER_PORT=${MASTER_PORT:-29500} WORLD_SIZE=$world
mkdir -p "$run_dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
for rank in $(seq $((world - 1)) -1 1); do
  RANK=$rank "$recur" launch --ps-shards "$shards" --run-dir "$run_dir" "$@" 2>"$run_dir/rank-$rank.log" &
  pids+=($!)
done
RANK=0 "$recur" launch --ps-shards "$shards" --run-dir "$run_dir" "$@" 2> >(tee "$run_dir/rank-0.log" >&2)
echo "done: $run_dir (logs: $run_dir/rank-*.log)"
