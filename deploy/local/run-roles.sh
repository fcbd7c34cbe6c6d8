#!/usr/bin/env bash
# Starts a parameter server, a coordinator and N workers by hand on this machine — the same
# processes `recur train --workers N` launches, each started separately as a scheduler would —
# and stops all of them when the coordinator ends, on Ctrl-C, or on error.
#
#   deploy/local/run-roles.sh RUN_DIR [WORKERS] [-- recur train flags…]
#   deploy/local/run-roles.sh runs/by-hand 3 -- --hidden 256 --steps 500 --lanes-per-shard 8
#
# Ports: PS_PORT (default 5555) and COORDINATOR_PORT (5556) on 127.0.0.1; RECUR (default
# .build/release/recur) is the binary.
set -euo pipefail
run_dir=${1:?usage: run-roles.sh RUN_DIR [WORKERS] [-- flags]}
shift
workers=2
if [ $# -gt 0 ] && [ "$1" != "--" ]; then workers=$1; shift; fi
[ "${1:-}" = "--" ] && shift
recur=${RECUR:-.build/release/recur}
ps_port=${PS_PORT:-5555}
co_port=${COORDINATOR_PORT:-5556}
run_id=$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')
mkdir -p "$run_dir"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$recur" ps --bind "tcp://127.0.0.1:$ps_port" --run-id "$run_id" >"$run_dir/ps.out" 2>"$run_dir/ps.log" &
pids+=($!)
"$recur" coordinator --bind "tcp://127.0.0.1:$co_port" --ps "tcp://127.0.0.1:$ps_port" --run-id "$run_id" \
  --run-dir "$run_dir" "$@" >"$run_dir/coordinator.out" 2>"$run_dir/coordinator.log" &
coordinator=$!
pids+=($coordinator)
for i in $(seq 0 $((workers - 1))); do
  "$recur" worker --connect "tcp://127.0.0.1:$co_port" --run-id "$run_id" --name "worker-$i" --threads 1 \
    >/dev/null 2>"$run_dir/worker-$i.log" &
  pids+=($!)
done
echo "run $run_id: ps, coordinator and $workers workers started; logs in $run_dir/*.log"
status=0
wait "$coordinator" || status=$?
echo "coordinator exited with status $status; $(tail -n 1 "$run_dir/coordinator.log")"
exit $status
