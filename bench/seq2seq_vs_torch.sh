#!/usr/bin/env bash
# seq2seq_vs_torch.sh: training throughput of recur's encoder–decoder with attention against the
# PyTorch baseline bench/baseline_torch_seq2seq.py, side by side on the same pairs, shapes and
# threads, in target tokens per second.
#
# Usage: bench/seq2seq_vs_torch.sh [--rounds N] [--steps N] [--warmup N] [--threads N]
#                                  [--hidden H] [--batch B] [--torch-python PATH] [--skip-build] [--keep]
#   --rounds N           pairs of runs, alternating which program goes first (default 3)
#   --steps N            timed steps of each run, after the warm-up (default 40)
#   --warmup N           first steps left out of each run's figure (default 5)
#   --threads N          threads of both: recur --threads N and OPENBLAS_NUM_THREADS=N,
#                        torch.set_num_threads(N) and OMP_NUM_THREADS=N (default 2)
#   --hidden H           H (and E) (default 256)
#   --batch B            pairs per step (default 64)
#   --torch-python PATH  python with torch (default: $TORCH_PYTHON, else python3)
#   --skip-build         use the existing release binary instead of `swift build -c release`
#   --keep               keep the scratch folder with the data file, logs and metrics
#
# Shape: a one-way LSTM encoder and LSTM decoder, L=1, E=H, Luong general attention, character
# tokens on both sides, Adam, on recur's built-in dates: `recur data --task seq2seq` writes the
# pairs `recur train --task seq2seq` makes without --corpus, and both programs train on that
# file. A run's figure is its target tokens (each target's characters and its <EOS>, padding
# excluded) over its seconds, after the warm-up steps: from recur's metrics.jsonl (`tokens` and
# `seconds`, --log-every 1) and from the baseline's JSON line, computed the same way.
# Environment: SWIFT_SCRATCH_PATH, if set, is passed to `swift build --scratch-path`.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME=seq2seq_vs_torch.sh
# shellcheck source=bench/recipe_common.sh
source "$REPO/bench/recipe_common.sh"
BASELINE="$REPO/bench/baseline_torch_seq2seq.py"
TORCH_PY="${TORCH_PYTHON:-python3}"
ROUNDS=3
STEPS=40
WARMUP=5
THREADS=2
HIDDEN=256
BATCH=64
SKIP_BUILD=0
KEEP=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --hidden) HIDDEN="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --torch-python) TORCH_PY="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) show_help "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# ---- preflight ------------------------------------------------------------------------------
for v in "$ROUNDS" "$STEPS" "$WARMUP" "$THREADS" "$HIDDEN" "$BATCH"; do
  [[ "$v" =~ ^[0-9]+$ ]] || die "--rounds, --steps, --warmup, --threads, --hidden and --batch take non-negative integers"
done
(( ROUNDS >= 1 && STEPS >= 1 && THREADS >= 1 && HIDDEN >= 1 && BATCH >= 1 )) || die "every count must be at least 1 (--warmup 0 allowed)"
"$TORCH_PY" -c 'import torch' 2>/dev/null \
  || die "$TORCH_PY cannot import torch; pass --torch-python PATH or set TORCH_PYTHON (see bench/README.md)"

build_recur

WORK="$(mktemp -d "${TMPDIR:-/tmp}/recur-seq2seq.XXXXXX")"
if (( KEEP )); then echo "logs kept in $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi

# ---- data: recur's built-in dates, written once ---------------------------------------------
PAIRS="$WORK/dates.tsv"
"$RECUR" data --task seq2seq --out "$PAIRS" >/dev/null || die "recur data --task seq2seq failed"

run_recur() {  # dir -> "TOKENS_PER_S"
  OPENBLAS_NUM_THREADS="$THREADS" "$RECUR" train --single-process --task seq2seq --corpus "$PAIRS" \
    --cell lstm --hidden "$HIDDEN" --layers 1 --attention general --batch "$BATCH" \
    --steps "$((WARMUP + STEPS))" --log-every 1 --val-fraction 0 --threads "$THREADS" --quiet \
    --run-dir "$1/run" >"$1/recur.out" 2>"$1/recur.err" || { cat "$1/recur.err" >&2; die "recur failed"; }
  "$TORCH_PY" - "$1/run/metrics.jsonl" "$WARMUP" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if '"step"' in l]
w = int(sys.argv[2])
a, b = (lines[w - 1] if w > 0 else {"tokens": 0, "seconds": 0.0}), lines[-1]
print("%.0f" % ((b["tokens"] - a["tokens"]) / (b["seconds"] - a["seconds"])))
PY
}

run_torch() {  # dir -> "TOKENS_PER_S"
  OMP_NUM_THREADS="$THREADS" "$TORCH_PY" "$BASELINE" --pairs "$PAIRS" --cell lstm --hidden "$HIDDEN" --layers 1 \
    --attention general --batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" --threads "$THREADS" --shuffle \
    >"$1/torch.out" 2>"$1/torch.err" || { cat "$1/torch.err" >&2; die "torch failed"; }
  "$TORCH_PY" -c 'import json,sys; print("%.0f" % [json.loads(l) for l in open(sys.argv[1]) if "target_tokens_per_s" in l][-1]["target_tokens_per_s"])' "$1/torch.out"
}

# ---- rounds ---------------------------------------------------------------------------------
echo "recur $(cd "$REPO" && git log -1 --format=%h 2>/dev/null || echo '?'), torch $("$TORCH_PY" -c 'import torch; print(torch.__version__)')," \
  "$THREADS threads each, $STEPS steps after $WARMUP warm-up; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
R=""; T=""; Q=""
for i in $(seq 1 "$ROUNDS"); do
  dir="$WORK/round-$i"; mkdir -p "$dir"
  if (( i % 2 )); then order="recur torch"; r="$(run_recur "$dir")"; t="$(run_torch "$dir")"
  else order="torch recur"; t="$(run_torch "$dir")"; r="$(run_recur "$dir")"; fi
  ratio="$(awk -v a="$r" -v b="$t" 'BEGIN { printf "%.3f", a / b }')"
  echo "round $i ($order): recur $r, torch $t target tokens/s, recur/torch $ratio"
  R+="$r "; T+="$t "; Q+="$ratio "
done

# ---- medians --------------------------------------------------------------------------------
echo
printf '| %-44s | %16s | %16s | %24s |\n' shape "recur tokens/s" "torch tokens/s" "recur/torch, median (range)"
echo "|---|---|---|---|"
"$TORCH_PY" - "$HIDDEN" "$BATCH" "$R" "$T" "$Q" <<'PY'
import statistics, sys
h, b = sys.argv[1:3]
r, t, q = ([float(x) for x in s.split()] for s in sys.argv[3:6])
name = f"LSTM enc-dec, general attention, H={h} L=1 B={b}"
print(f"| {name:44} | {statistics.median(r):16,.0f} | {statistics.median(t):16,.0f} | "
      f"{statistics.median(q):.2f} ({min(q):.2f}-{max(q):.2f}){'':8} |")
PY
