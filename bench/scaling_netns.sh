#!/usr/bin/env bash
# Multi-host scaling on one machine. Each host is a network namespace on a bridge; every link is
# capped with tc (tbf at --rate; netem adds --delay too when the kernel has it). The coordinator
# runs on "head", parameter-server shard k on "ps<k>" (its own link), worker i on "w<i>", all via
# `recur launch` with CURVE keys. Model: LSTM H=512 L=2 B=32 T=100 on tiny-shakespeare, shards of
# --lanes-per-shard lanes. For W in 1 2 4 workers and S in 1 2 shards it prints the mean step time
# (steps after the warm-up), the bytes per step on the head's, the servers' and the workers' links,
# and whether the weights equal the first configuration's.
#
#   sudo bench/scaling_netns.sh [--steps 8] [--rate 1gbit] [--delay 0.2ms] [--lanes-per-shard 8]
#                               [--workers "1 2 4"] [--shards "1 2"] [--insecure] [--skip-build]
#                               [--corpus FILE]
# --corpus defaults to ../shared/data/tinyshakespeare/input.txt beside the repository.
# --insecure runs plain TCP instead of CURVE (to measure what encryption costs).
# Needs root, iproute2 and python3. Everything it makes is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=8 rate=1gbit delay=0.2ms lanes=8 build=1 insecure=0 workers_list="1 2 4" shards_list="1 2"
corpus=../shared/data/tinyshakespeare/input.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --delay) delay=$2; shift 2 ;;
    --lanes-per-shard) lanes=$2; shift 2 ;;
    --workers) workers_list=$2; shift 2 ;;
    --shards) shards_list=$2; shift 2 ;;
    --insecure) insecure=1; shift ;;
    --skip-build) build=0; shift ;;
    --corpus) corpus=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -r "$corpus" ] || { echo "error: cannot read corpus '$corpus' (pass --corpus FILE)" >&2; exit 2; }
corpus=$(realpath "$corpus")
[ "$build" = 1 ] && swift build -c release --product recur >/dev/null
bin=$(realpath .build/release/recur)
work=$(mktemp -d)
tag="rb$$"
hosts=(head ps0 ps1 w0 w1 w2 w3)
cleanup() {
  for h in "${hosts[@]}"; do ip netns pids "$tag-$h" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; done
  for h in "${hosts[@]}" sw; do ip netns del "$tag-$h" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The lab: a bridge in namespace "sw", one veth pair per host, 10.78.0.<i+1>/24.
ip netns add "$tag-sw"
ip -n "$tag-sw" link add br0 type bridge
ip -n "$tag-sw" link set br0 up
shaping="tbf rate $rate"
netem=0
for i in "${!hosts[@]}"; do
  ns="$tag-${hosts[$i]}"
  ip netns add "$ns"
  ip link add "v$tag$i" type veth peer name eth0 netns "$ns"
  ip link set "v$tag$i" netns "$tag-sw"
  ip -n "$tag-sw" link set "v$tag$i" master br0 up
  ip -n "$ns" addr add "10.78.0.$((i + 1))/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  for spec in "-n $ns qdisc replace dev eth0" "-n $tag-sw qdisc replace dev v$tag$i"; do  # both ends
    # shellcheck disable=SC2086
    if tc $spec root netem delay "$delay" rate "$rate" 2>/dev/null; then netem=1
    else tc $spec root tbf rate "$rate" burst 256kb latency 50ms; fi
  done
done
[ "$netem" = 1 ] && shaping="netem delay $delay rate $rate" || echo "note: this kernel has no netem; links are rate-capped (tbf $rate) without added delay" >&2
addr() { for i in "${!hosts[@]}"; do if [ "${hosts[$i]}" = "$1" ]; then echo "10.78.0.$((i + 1))"; fi; done; }
bytes() {  # received + sent on a host's link
  local d=/sys/class/net/eth0/statistics
  echo $(( $(ip netns exec "$tag-$1" cat $d/rx_bytes) + $(ip netns exec "$tag-$1" cat $d/tx_bytes) ))
}

"$bin" keygen --out "$work/keys" --clients coordinator,ps,worker >/dev/null 2>&1
# The namespaces share one kernel, so the roles could map each other's memory: keep every tensor
# on the links being measured.
flags=(--no-shared-memory --corpus "$corpus" --hidden 512 --layers 2 --batch 32 --bptt 100 --lanes-per-shard "$lanes"
       --steps "$steps" --log-every 1 --val-fraction 0 --quiet --lease-timeout 120 --peer-timeout 120)
# Mean seconds per step after the first two (tokens per step / tokens per second).
steptime() { python3 -c 'import json,sys; r=[json.loads(l)["tokens_per_second"] for l in open(sys.argv[1])][2:]; print(round(3200/(sum(r)/len(r)), 3))' "$1"; }

echo "links: $shaping; $([ "$insecure" = 1 ] && echo "plain TCP" || echo CURVE); LSTM H=512 L=2 B=32 T=100, $((32 / lanes)) shards of $lanes lanes, $steps steps"
printf '%-8s %-6s %-10s %-14s %-14s %-14s %s\n' workers shards "step (s)" "head MB/step" "ps MB/step" "worker MB/step" "weights"
first=""
for S in $shards_list; do
  for W in $workers_list; do
    run="$work/run-$W-$S"
    port=$((29700 + W * 10 + S))
    declare -A before=()
    for h in head ps0 ps1 w0 w1 w2 w3; do before[$h]=$(bytes "$h"); done
    pids=()
    common=(RECUR_MASTER_ADDR="$(addr head)" RECUR_MASTER_PORT="$port" RECUR_PS_SHARDS="$S")
    if [ "$insecure" = 1 ]; then common+=(RECUR_INSECURE=1); else common+=(RECUR_KEYS="$work/keys"); fi
    for k in $(seq 0 $((S - 1))); do
      ip netns exec "$tag-ps$k" env "${common[@]}" RECUR_ROLE=ps RECUR_PS_INDEX="$k" \
        "$bin" launch "${flags[@]}" --threads 1 >"$run-ps$k.log" 2>&1 & pids+=($!)
    done
    for i in $(seq 0 $((W - 1))); do
      ip netns exec "$tag-w$i" env "${common[@]}" RECUR_ROLE=worker \
        "$bin" launch "${flags[@]}" --threads 1 >"$run-w$i.log" 2>&1 & pids+=($!)
    done
    ip netns exec "$tag-head" env "${common[@]}" RECUR_ROLE=coordinator WORLD_SIZE=$((1 + S + W)) \
      "$bin" launch "${flags[@]}" --threads 1 --run-dir "$run" >"$run-head.log" 2>&1 || { echo "W=$W S=$S failed:"; tail -5 "$run-head.log"; exit 1; }
    wait "${pids[@]}" || true
    mb() { python3 -c "print(round(($(bytes "$1") - ${before[$1]}) / $steps / 1e6, 1))"; }
    ps_mb=$(mb ps0); w_mb=$(mb w0)
    model="$run/checkpoints/latest/model.safetensors"
    [ -z "$first" ] && first=$model
    same=$(cmp -s "$first" "$model" && echo identical || echo DIFFERENT)
    printf '%-8s %-6s %-10s %-14s %-14s %-14s %s\n' "$W" "$S" "$(steptime "$run/metrics.jsonl")" "$(mb head)" "$ps_mb" "$w_mb" "$same"
  done
done
# Compute alone: one shard's forward and backward at one thread, no network (for the model in bench/README.md).
"$bin" train --single-process --threads 1 --corpus "$corpus" --hidden 512 --layers 2 --batch "$lanes" --bptt 100 \
  --steps 6 --log-every 1 --val-fraction 0 --quiet --run-dir "$work/compute" >/dev/null 2>&1
python3 -c 'import json,sys; r=[json.loads(l)["tokens_per_second"] for l in open(sys.argv[1])][2:]; print("one shard, one thread, no network: %.3f s" % (int(sys.argv[2])*100/(sum(r)/len(r))))' "$work/compute/metrics.jsonl" "$lanes"
