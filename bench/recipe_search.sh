#!/usr/bin/env bash
# recipe_search.sh: which model, batch, schedule and dropout a time budget buys the lowest
# validation loss, for recur and for its PyTorch baseline, on the same grid of points.
#
# The first 90% of CORPUS trains (a scratch file), the last 10% validates. Each point is trained
# with `recur train --single-process --time-limit S` (cosine points: the horizon is estimated from
# the warm-up's rate) and scored with `recur eval --corpus last10 --json` (the held-out text as
# one stream from a zero state); then `bench/baseline_torch.py --mode budget --seconds S` trains
# and scores the same point the same way. Prints one markdown table per program, best first.
#
# Usage: bench/recipe_search.sh CORPUS [--seconds S] [--torch-python PATH] [--points LIST]
#                               [--threads N] [--no-torch] [--no-recur] [--skip-build] [--keep]
#   CORPUS               text file (e.g. ../shared/data/tinyshakespeare/input.txt)
#   --seconds S          training budget of each point (default 300)
#   --torch-python PATH  python with torch (default: $TORCH_PY, else ~/.venvs/torch-ref/bin/python)
#   --points LIST        comma-separated point numbers of the grid to run (default: all; --list shows them)
#   --list               print the grid and exit
#   --threads N          threads of each program (default 2)
#   --no-torch           skip the PyTorch baseline;  --no-recur: skip recur
#   --skip-build         use the existing release binary instead of running `swift build -c release`
#   --keep               keep the scratch folder (runs, logs, split files)
# Environment: TORCH_PY; SWIFT_SCRATCH_PATH, if set, is passed to `swift build --scratch-path`.
# A full search is ~2 x points x (S + evaluation) seconds: about 130 minutes for 12 points at 300 s.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME=recipe_search.sh
# shellcheck source=bench/recipe_common.sh
source "$REPO/bench/recipe_common.sh"
TORCH_PY="${TORCH_PY:-$HOME/.venvs/torch-ref/bin/python}"
SECONDS_EACH=300
THREADS=2
POINTS=""
LIST=0
RUN_TORCH=1
RUN_RECUR=1
SKIP_BUILD=0
KEEP=0
CORPUS=""
MIN_LR=1e-4

# The grid: cell hidden layers batch bptt dropout lr schedule warmup. Point 1 is the issue's
# side-by-side model (constant rate); the others are cosine with warm-up down to $MIN_LR.
GRID=(
  "lstm 256 2 32 64 0 2e-3 constant 0"
  "lstm 256 2 32 64 0 3e-3 cosine 100"
  "lstm 384 2 32 100 0.1 3e-3 cosine 100"
  "lstm 512 2 32 100 0.1 3e-3 cosine 100"
  "lstm 512 2 32 100 0 2e-3 cosine 100"
  "lstm 512 2 64 64 0.2 3e-3 cosine 100"
  "lstm 384 3 32 100 0.1 3e-3 cosine 100"
  "gru 512 2 32 100 0.1 3e-3 cosine 100"
  "gru 384 2 32 100 0 2e-3 cosine 100"
  "lstm 384 2 32 100 0 4e-3 cosine 100"
  "lstm 384 2 64 100 0.1 4e-3 cosine 100"
  "gru 512 2 32 100 0 3e-3 cosine 100"
)

while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) SECONDS_EACH="$2"; shift 2 ;;
    --torch-python) TORCH_PY="$2"; shift 2 ;;
    --points) POINTS="$2"; shift 2 ;;
    --list) LIST=1; shift ;;
    --threads) THREADS="$2"; shift 2 ;;
    --no-torch) RUN_TORCH=0; shift ;;
    --no-recur) RUN_RECUR=0; shift ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) show_help "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) die "unknown argument '$1' (see --help)" ;;
    *) [[ -z "$CORPUS" ]] || die "one CORPUS only (see --help)"; CORPUS="$1"; shift ;;
  esac
done

if (( LIST )); then
  for i in "${!GRID[@]}"; do echo "$((i + 1)): ${GRID[$i]}"; done
  exit 0
fi

# ---- preflight ------------------------------------------------------------------------------
[[ -n "$CORPUS" ]] || die "give the CORPUS file (see --help)"
[[ -r "$CORPUS" ]] || die "cannot read corpus '$CORPUS'"
[[ "$SECONDS_EACH" =~ ^[0-9]+$ && "$SECONDS_EACH" -ge 1 ]] || die "--seconds takes a positive whole number, got '$SECONDS_EACH'"
[[ "$THREADS" =~ ^[0-9]+$ && "$THREADS" -ge 1 ]] || die "--threads takes a positive integer"
SELECTED=()
if [[ -z "$POINTS" ]]; then
  for i in "${!GRID[@]}"; do SELECTED+=("$((i + 1))"); done
else
  IFS=',' read -r -a SELECTED <<<"$POINTS"
  for p in "${SELECTED[@]}"; do
    [[ "$p" =~ ^[0-9]+$ ]] && (( p >= 1 && p <= ${#GRID[@]} )) || die "--points: no point '$p' (1-${#GRID[@]}; see --list)"
  done
fi
if (( RUN_TORCH )); then
  [[ -x "$TORCH_PY" ]] || die "no python at $TORCH_PY (pass --torch-python PATH or set TORCH_PY, or --no-torch)"
  "$TORCH_PY" -c 'import torch' 2>/dev/null || die "$TORCH_PY cannot import torch"
fi
PY="$(command -v python3)" || die "python3 is needed to split the corpus and read JSON"
(( RUN_RECUR )) && build_recur

WORK="$(mktemp -d "${TMPDIR:-/tmp}/recur-recipe.XXXXXX")"
if (( KEEP )); then echo "runs and logs kept in $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi

split_corpus "$CORPUS" "$WORK/first90.txt" "$WORK/last10.txt"

# Reads one field of a JSON object from a file (the last line of it).
field() { "$PY" -c 'import json,sys; v=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]).get(sys.argv[2]); print("-" if v is None else v)' "$1" "$2"; }

RECUR_ROWS=()
TORCH_ROWS=()
for p in "${SELECTED[@]}"; do
  read -r cell h l b t d lr sched warm <<<"${GRID[$((p - 1))]}"
  name="$p: ${cell^^} H=$h L=$l B=$b T=$t drop $d lr $lr $sched"
  (( warm > 0 )) && name+=" warm $warm"
  sched_flags=(--lr-schedule "$sched" --warmup-steps "$warm")
  [[ "$sched" == cosine ]] && sched_flags+=(--min-lr "$MIN_LR")
  dir="$WORK/point$p"
  mkdir -p "$dir"
  if (( RUN_RECUR )); then
    echo "== $name: recur, ${SECONDS_EACH} s ..." >&2
    # --epochs only bounds the run: the time limit ends it. No held-out split of its own (the
    # last 10% is scored by recur eval), so the run trains on the same 90% as PyTorch.
    OPENBLAS_NUM_THREADS="$THREADS" "$RECUR" train --single-process --corpus "$WORK/first90.txt" --val-fraction 0 \
      --cell "$cell" --hidden "$h" --layers "$l" --batch "$b" --bptt "$t" --dropout "$d" --lr "$lr" \
      "${sched_flags[@]}" --time-limit "${SECONDS_EACH}s" --epochs 1000 --log-every 50 --threads "$THREADS" \
      --quiet --run-dir "$dir/run" >"$dir/recur.out" 2>"$dir/recur.err" \
      || { cat "$dir/recur.err" >&2; die "recur train failed on point $p"; }
    "$RECUR" eval --checkpoint "$dir/run" --corpus "$WORK/last10.txt" --json --threads "$THREADS" >"$dir/eval.json" \
      || die "recur eval failed on point $p"
    tail -n 1 "$dir/run/metrics.jsonl" >"$dir/last.json"
    steps="$(field "$dir/last.json" step)"
    tps="$("$PY" -c 'import json,sys; l=json.loads(open(sys.argv[1]).read()); print("%.0f" % (l["tokens"] / l["seconds"]))' "$dir/last.json")"
    horizon="$(field "$dir/run/checkpoints/latest/trainer.json" schedule_steps)"
    loss="$("$PY" -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["loss"])' "$dir/eval.json")"
    RECUR_ROWS+=("$loss|$name|$steps|$horizon|$tps")
  fi
  if (( RUN_TORCH )); then
    echo "== $name: torch, ${SECONDS_EACH} s ..." >&2
    OMP_NUM_THREADS="$THREADS" "$TORCH_PY" "$REPO/bench/baseline_torch.py" --mode budget \
      --corpus "$WORK/first90.txt" --val-corpus "$WORK/last10.txt" --seconds "$SECONDS_EACH" \
      --cell "$cell" --hidden "$h" --layers "$l" --batch "$b" --bptt "$t" --dropout "$d" --lr "$lr" \
      "${sched_flags[@]}" --threads "$THREADS" >"$dir/torch.json" 2>"$dir/torch.err" \
      || { cat "$dir/torch.err" >&2; die "baseline_torch.py failed on point $p"; }
    TORCH_ROWS+=("$(field "$dir/torch.json" val_loss)|$name|$(field "$dir/torch.json" steps)|$(field "$dir/torch.json" schedule_steps)|$(field "$dir/torch.json" tokens_per_second)")
  fi
done

# ---- tables ---------------------------------------------------------------------------------
table() {  # title, rows...
  local title="$1"; shift
  echo
  echo "### $title"
  echo
  echo "| config | steps | cosine horizon | tokens/s | val loss (last 10%, one stream) |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "$@" | sort -t'|' -k1,1g | while IFS='|' read -r loss name steps horizon tps; do
    echo "| $name | $steps | $horizon | ${tps%.*} | $loss |"
  done
}
echo
echo "corpus $(basename "$CORPUS") (first 90% trains, last 10% validates), ${SECONDS_EACH} s per point," \
  "$THREADS threads; $(date -u +%Y-%m-%dT%H:%MZ), commit $(cd "$REPO" && git rev-parse --short HEAD)," \
  "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
(( RUN_RECUR )) && table "recur train --single-process" "${RECUR_ROWS[@]}"
(( RUN_TORCH )) && table "PyTorch (bench/baseline_torch.py --mode budget)" "${TORCH_ROWS[@]}"
exit 0
