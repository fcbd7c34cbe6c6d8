#!/usr/bin/env bash
# recipe_shakespeare.sh: the recipe for tiny-shakespeare in a 300-s budget on 2 cores. Trains on
# the first 90% of CORPUS with `--time-limit 300s`, leaves the final checkpoint in RUN_DIR and
# prints `recur eval`'s loss on the last 10%, read as one stream from a zero state.
#
# The recipe, chosen from bench/recipe_search.sh's table (see bench/README.md): GRU H=512 L=2,
# B=32 x T=100, no dropout, Adam 3e-3 with 100 warm-up steps then a cosine down to 1e-4 over the
# run's estimated length, clip 5.
#
# Usage: bench/recipe_shakespeare.sh CORPUS RUN_DIR [--seconds S] [--workers N]
#                                    [--match SINGLE_RUN_DIR] [--skip-build]
#   CORPUS               text file (e.g. ../shared/data/tinyshakespeare/input.txt)
#   RUN_DIR              run folder to create (the split text goes to RUN_DIR/data/)
#   --seconds S          the budget (default 300)
#   --threads N          threads of the single process (default 2)
#   --warmup-steps N     the recipe's warm-up (default 100; a short smoke run wants 10, the fewest
#                        that measure the cosine's horizon)
#   --lanes-per-shard N  lanes of each shard (default 32, the whole batch); a cluster splits a step
#                        into B / N shards, and its bits equal a single process's of the same N
#   --workers N          train on a local cluster of N workers (1 thread each) instead of one process.
#                        A cluster does not measure the cosine's horizon, so it replays a single
#                        process's run: give --match.
#   --match DIR          with --workers: the RUN_DIR of a single-process run of this script; the
#                        cluster trains as many steps with the same warm-up, lanes and cosine
#                        horizon (its trainer.json's step, warmup_steps, lanes_per_shard and
#                        schedule_steps; no time limit) and the script
#                        says whether its weights and optimizer state equal the single process's bits
#   --skip-build         use the existing release binary instead of running `swift build -c release`
# Environment: SWIFT_SCRATCH_PATH, if set, is passed to `swift build --scratch-path`.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME=recipe_shakespeare.sh
# shellcheck source=bench/recipe_common.sh
source "$REPO/bench/recipe_common.sh"
SECONDS_BUDGET=300
THREADS=2
WARMUP=100
LANES=32
WORKERS=0
MATCH=""
SKIP_BUILD=0
ARGS=()

# The recipe.
RECIPE=(--cell gru --hidden 512 --layers 2 --batch 32 --bptt 100 --dropout 0 --optimizer adam --lr 3e-3
        --lr-schedule cosine --min-lr 1e-4 --clip 5 --seed 1)

while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_BUDGET="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --warmup-steps) WARMUP="$2"; shift 2 ;;
    --lanes-per-shard) LANES="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --match) MATCH="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    -h|--help) show_help "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown argument '$1' (see --help)" ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

# ---- preflight ------------------------------------------------------------------------------
(( ${#ARGS[@]} == 2 )) || die "give CORPUS and RUN_DIR (see --help)"
CORPUS="${ARGS[0]}"
RUN_DIR="${ARGS[1]}"
[[ -r "$CORPUS" ]] || die "cannot read corpus '$CORPUS'"
[[ ! -e "$RUN_DIR/checkpoints" ]] || die "$RUN_DIR already holds a run; give a new RUN_DIR"
[[ "$SECONDS_BUDGET" =~ ^[0-9]+$ && "$SECONDS_BUDGET" -ge 1 ]] || die "--seconds takes a positive whole number"
[[ "$THREADS" =~ ^[0-9]+$ && "$THREADS" -ge 1 ]] || die "--threads takes a positive integer"
[[ "$WORKERS" =~ ^[0-9]+$ ]] || die "--workers takes a positive integer"
[[ "$WARMUP" =~ ^[0-9]+$ && "$WARMUP" -ge 10 ]] || die "--warmup-steps takes a whole number of at least 10"
[[ "$LANES" =~ ^[0-9]+$ && "$LANES" -ge 1 ]] || die "--lanes-per-shard takes a positive integer"
PY="$(command -v python3)" || die "python3 is needed to split the corpus and read JSON"
MATCH_STEP="" MATCH_HORIZON=""
if (( WORKERS > 0 )); then
  [[ -n "$MATCH" ]] || die "--workers needs --match SINGLE_RUN_DIR (a cluster replays the single process's horizon)"
  MATCH_STATE="$MATCH/checkpoints/latest/trainer.json"
  [[ -r "$MATCH_STATE" ]] || die "no final checkpoint at $MATCH (run this script without --workers first)"
  read -r MATCH_STEP WARMUP LANES MATCH_HORIZON < <("$PY" -c 'import json,sys; t=json.load(open(sys.argv[1]))
print(t["step"], t.get("warmup_steps", 0), t["lanes_per_shard"], t.get("schedule_steps", ""))' "$MATCH_STATE")
  [[ -n "$MATCH_HORIZON" ]] || die "$MATCH_STATE records no schedule_steps"
elif [[ -n "$MATCH" ]]; then
  die "--match goes with --workers"
fi

build_recur

# ---- the split: first 90% trains, last 10% validates ------------------------------------------
mkdir -p "$RUN_DIR/data"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"
split_corpus "$CORPUS" "$RUN_DIR/data/first90.txt" "$RUN_DIR/data/last10.txt"

# ---- train ----------------------------------------------------------------------------------
# --val-fraction 0: the whole 90% trains (the last 10% is scored below); --epochs only bounds the
# run, the time limit ends it.
COMMON=(--corpus "$RUN_DIR/data/first90.txt" --val-fraction 0 "${RECIPE[@]}" --warmup-steps "$WARMUP"
        --lanes-per-shard "$LANES" --log-every 50 --quiet --run-dir "$RUN_DIR")
if (( WORKERS == 0 )); then
  echo "== recur train --single-process, ${SECONDS_BUDGET} s ..." >&2
  OPENBLAS_NUM_THREADS="$THREADS" "$RECUR" train --single-process --threads "$THREADS" \
    --time-limit "${SECONDS_BUDGET}s" --epochs 1000 "${COMMON[@]}" >&2
else
  echo "== recur train --workers $WORKERS: $MATCH_STEP steps over the cosine horizon $MATCH_HORIZON of $MATCH ..." >&2
  "$RECUR" train --workers "$WORKERS" --threads 1 --steps "$MATCH_STEP" --schedule-steps "$MATCH_HORIZON" \
    "${COMMON[@]}" >&2
fi

# ---- score ----------------------------------------------------------------------------------
"$RECUR" eval --checkpoint "$RUN_DIR" --corpus "$RUN_DIR/data/last10.txt" --json --threads "$THREADS" >"$RUN_DIR/eval.json"
"$PY" - "$RUN_DIR" <<'PY'
import json, os, sys
run = sys.argv[1]
t = json.load(open(os.path.join(run, "checkpoints", "latest", "trainer.json")))
lines = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl")) if l.strip()]
e = json.load(open(os.path.join(run, "eval.json")))
last = lines[-1]
tps = last["tokens"] / last["seconds"] if last.get("seconds") else 0
print("steps %d, cosine horizon %s, %.0f tokens/s over %.0f s; recur eval on the last 10%% (one stream): "
      "loss %.4f nats/char (%d chars)" % (t["step"], t.get("schedule_steps", "-"), tps, last.get("seconds", 0), e["loss"], e["tokens"]))
PY
if (( WORKERS > 0 )); then
  same=1
  for f in model.safetensors optimizer.safetensors state.safetensors; do
    cmp -s "$MATCH/checkpoints/latest/$f" "$RUN_DIR/checkpoints/latest/$f" || { same=0; echo "differs from $MATCH: $f"; }
  done
  (( same )) && echo "bits: the $WORKERS-worker run's weights, optimizer and state equal the single process's ($MATCH)"
  (( same )) || exit 1
fi
