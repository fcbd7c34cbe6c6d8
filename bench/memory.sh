#!/usr/bin/env bash
# memory.sh: peak resident memory of every process of a run, single process and local cluster.
#
# Runs `recur train --single-process --threads 2` and `recur train --workers W --threads 1` on the
# same model and prints the peak RSS of the single process, the launcher, the coordinator, each
# parameter-server shard and each worker. The single process's figure is GNU time's "Maximum
# resident set size"; the cluster's roles are child processes, so a poller reads each one's
# VmHWM (the kernel's own high-water mark of its RSS) from /proc every 50 ms until it exits: the
# last reading is the peak, short of whatever the final 50 ms added.
#
# Usage: bench/memory.sh [--hidden 512] [--layers 2] [--batch 32] [--bptt 100] [--steps 12]
#                        [--workers 2] [--ps-shards 1] [--lanes-per-shard 16] [--corpus FILE]
#                        [--skip-build]
#   --corpus FILE   default ../shared/data/tinyshakespeare/input.txt beside the repository
set -euo pipefail
cd "$(dirname "$0")/.."
hidden=512 layers=2 batch=32 bptt=100 steps=12 workers=2 shards=1 lanes=16 build=1
corpus=../shared/data/tinyshakespeare/input.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --hidden) hidden=$2; shift 2 ;;
    --layers) layers=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --bptt) bptt=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --ps-shards) shards=$2; shift 2 ;;
    --lanes-per-shard) lanes=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --skip-build) build=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -r "$corpus" ] || { echo "error: cannot read corpus '$corpus' (pass --corpus FILE)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: GNU time is needed (apt-get install time)" >&2; exit 2; }
[ "$build" = 1 ] && swift build -c release --product recur >/dev/null
bin=$(realpath .build/release/recur)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=(--corpus "$corpus" --hidden "$hidden" --layers "$layers" --batch "$batch" --bptt "$bptt"
       --steps "$steps" --val-fraction 0 --quiet)

OPENBLAS_NUM_THREADS=2 /usr/bin/time -v -o "$work/single.time" \
  "$bin" train --single-process --threads 2 "${model[@]}" --run-dir "$work/single" >/dev/null 2>"$work/single.err" \
  || { cat "$work/single.err" >&2; exit 1; }
single=$(awk -F: '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/single.time")

"$bin" train --workers "$workers" --ps-shards "$shards" --lanes-per-shard "$lanes" --threads 1 "${model[@]}" \
  --run-dir "$work/cluster" >/dev/null 2>"$work/cluster.err" &
launcher=$!
python3 - "$launcher" >"$work/peaks.txt" <<'EOF'
import os, sys, time
root = int(sys.argv[1])
peaks = {}  # pid -> (role, kB)
def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []
def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
def role(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().split(b"\0")
        return args[1].decode() if len(args) > 1 else "?"
    except OSError:
        return "?"
for _ in range(20 * 60 * 30):  # 30 minutes at most
    if not os.path.exists(f"/proc/{root}"):
        break
    for pid in [root] + children(root):
        kb = hwm(pid)
        if kb is not None:
            name = "launcher" if pid == root else role(pid)
            peaks[pid] = (name, max(kb, peaks.get(pid, (name, 0))[1]))
    time.sleep(0.05)
for pid, (name, kb) in sorted(peaks.items(), key=lambda p: (p[1][0], p[0])):
    print(f"{name} {pid} {kb / 1024:.0f}")
EOF
wait "$launcher" || { cat "$work/cluster.err" >&2; exit 1; }

echo "LSTM H=$hidden L=$layers B=$batch T=$bptt, $steps steps; cluster: $workers workers, $shards server shard(s), $lanes lanes per shard"
echo
echo "| process | peak RSS (MB) |"
echo "|---|---|"
echo "| single process (--threads 2) | $single |"
while read -r name pid mb; do
  case "$name" in
    launcher) label="launcher (recur train --workers)" ;;
    ps) label="parameter server (recur ps)" ;;
    *) label="$name (recur $name)" ;;
  esac
  echo "| $label | $mb |"
done <"$work/peaks.txt"
