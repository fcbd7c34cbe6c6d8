#!/usr/bin/env bash
# lstm_vs_torch.sh: training throughput and peak memory of `recur train` against its PyTorch
# baseline (bench/baseline_torch.py --mode throughput), same corpus, shapes and thread count.
#
# Usage: bench/lstm_vs_torch.sh [--corpus FILE] [--torch-python PATH] [--threads N] [--steps N]
#                               [--window N] [--all-cells] [--skip-build] [--keep]
#   --corpus FILE  text to train on (default: ../shared/data/tinyshakespeare/input.txt from the repo root)
#   --torch-python PATH  python with torch (default: $TORCH_PY, else ~/.venvs/torch-ref/bin/python)
#   --threads N    BLAS / torch threads for both (default 2)
#   --steps N      timed steps after the warm-up window, a multiple of --window (default 12; 8 times as many at H=128)
#   --window N     steps per metrics window; the first window is the warm-up (default 3)
#   --all-cells    also run GRU and RNN at H=512 L=2 B=32 T=100
#   --skip-build   use the existing release binary instead of running `swift build -c release`
#   --keep         keep the scratch folder with every log
# Environment: TORCH_PY (default ~/.venvs/torch-ref/bin/python); SWIFT_SCRATCH_PATH, if set, is
# passed to `swift build --scratch-path`.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CORPUS="$REPO/../shared/data/tinyshakespeare/input.txt"
TORCH_SCRIPT="$REPO/bench/baseline_torch.py"
TORCH_PY="${TORCH_PY:-$HOME/.venvs/torch-ref/bin/python}"
THREADS=2
STEPS=12
WINDOW=3
# The H=128 steps take 20-30 ms, so that configuration runs SMALL_SCALE times the steps and window:
# 12 of them would be timed over a quarter of a second, and one preemption would move the figure.
SMALL_SCALE=8
ALL_CELLS=0
SKIP_BUILD=0
KEEP=0

die() { echo "lstm_vs_torch.sh: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --corpus) CORPUS="$2"; shift 2 ;;
    --torch-python) TORCH_PY="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --window) WINDOW="$2"; shift 2 ;;
    --all-cells) ALL_CELLS=1; shift ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# ---- preflight ------------------------------------------------------------------------------
[[ "$STEPS" =~ ^[0-9]+$ && "$WINDOW" =~ ^[0-9]+$ && "$THREADS" =~ ^[0-9]+$ ]] \
  || die "--steps, --window and --threads take positive integers"
(( THREADS >= 1 )) || die "--threads must be at least 1"
(( WINDOW >= 1 && STEPS >= WINDOW && STEPS % WINDOW == 0 )) \
  || die "--steps ($STEPS) must be a positive multiple of --window ($WINDOW)"
[[ -r "$CORPUS" ]] || die "cannot read corpus '$CORPUS' (pass --corpus FILE)"
[[ -r "$TORCH_SCRIPT" ]] || die "missing PyTorch reference $TORCH_SCRIPT"
[[ -x "$TORCH_PY" ]] || die "no python at $TORCH_PY (pass --torch-python PATH or set TORCH_PY); see bench/README.md to create the venv"
"$TORCH_PY" -c 'import torch' 2>/dev/null \
  || die "$TORCH_PY cannot import torch; see bench/README.md"
[[ -x /usr/bin/time ]] \
  || die "GNU time is needed for peak RSS: install it with 'apt-get install -y time' (Debian/Ubuntu)"

SCRATCH=()
[[ -n "${SWIFT_SCRATCH_PATH:-}" ]] && SCRATCH=(--scratch-path "$SWIFT_SCRATCH_PATH")
if (( ! SKIP_BUILD )); then
  echo "building recur (release) ..." >&2
  (cd "$REPO" && swift build -c release "${SCRATCH[@]}" --product recur >&2) || die "release build failed"
fi
BIN_DIR="$(cd "$REPO" && swift build -c release "${SCRATCH[@]}" --show-bin-path)"
RECUR="$BIN_DIR/recur"
[[ -x "$RECUR" ]] || die "no release binary at $RECUR (drop --skip-build)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/recur-bench.XXXXXX")"
if (( KEEP )); then echo "logs kept in $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi

# Peak RSS in MB from a `/usr/bin/time -v` report.
peak_mb() { awk -F: '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

# Steady-state tokens/s from recur's metrics.jsonl: the windows after the first (warm-up) one,
# combined as total tokens over total time (the harmonic mean of equal-token windows).
recur_tps() {
  "$TORCH_PY" - "$1" <<'PY'
import json, sys
rates = [json.loads(l)["tokens_per_second"] for l in open(sys.argv[1]) if l.strip()]
steady = rates[1:]
if not steady or min(steady) <= 0:
    sys.exit("need at least two metrics windows with positive tokens_per_second, got %r" % rates)
print("%.0f" % (len(steady) / sum(1.0 / r for r in steady)))
PY
}

# ---- one configuration ----------------------------------------------------------------------
ROWS=()
run_config() {  # cell hidden layers batch bptt [scale: steps and window times this]
  local cell="$1" h="$2" l="$3" b="$4" t="$5" scale="${6:-1}"
  local STEPS=$((STEPS * scale)) WINDOW=$((WINDOW * scale))
  local name="${cell^^} H=$h L=$l B=$b T=$t" dir="$WORK/${cell}-h$h-l$l-b$b-t$t"
  mkdir -p "$dir"
  echo "== $name: recur ($((WINDOW + STEPS)) steps, first $WINDOW excluded) ..." >&2
  OPENBLAS_NUM_THREADS="$THREADS" /usr/bin/time -v -o "$dir/recur.time" \
    "$RECUR" train --single-process --corpus "$CORPUS" --cell "$cell" --hidden "$h" --layers "$l" \
      --batch "$b" --bptt "$t" --steps "$((WINDOW + STEPS))" --log-every "$WINDOW" --val-fraction 0 \
      --threads "$THREADS" --quiet --run-dir "$dir/run" >"$dir/recur.out" 2>"$dir/recur.err" \
    || { cat "$dir/recur.err" >&2; die "recur failed on $name"; }
  local rtps rmb
  rtps="$(recur_tps "$dir/run/metrics.jsonl")" || die "cannot read recur's metrics for $name"
  rmb="$(peak_mb "$dir/recur.time")"

  echo "== $name: torch ($WINDOW warm-up + $STEPS timed steps) ..." >&2
  OMP_NUM_THREADS="$THREADS" /usr/bin/time -v -o "$dir/torch.time" \
    "$TORCH_PY" "$TORCH_SCRIPT" --mode throughput --corpus "$CORPUS" --cell "${cell^^}" --hidden "$h" --layers "$l" \
      --batch "$b" --bptt "$t" --steps "$STEPS" --warmup "$WINDOW" --threads "$THREADS" \
      >"$dir/torch.out" 2>"$dir/torch.err" \
    || { cat "$dir/torch.err" >&2; die "torch failed on $name"; }
  local ttps tmb
  ttps="$("$TORCH_PY" -c 'import json,sys; print("%.0f" % json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["tokens_per_second"])' "$dir/torch.out")" \
    || die "cannot read torch's output for $name"
  tmb="$(peak_mb "$dir/torch.time")"
  ROWS+=("$name|$rtps|$ttps|$rmb|$tmb")
}

run_config lstm 512 2 32 100
run_config lstm 128 2 50 50 "$SMALL_SCALE"
if (( ALL_CELLS )); then
  run_config gru 512 2 32 100
  run_config rnn 512 2 32 100
fi

# ---- table ----------------------------------------------------------------------------------
echo
echo "corpus $(basename "$CORPUS"), $THREADS threads, $STEPS timed steps after a $WINDOW-step warm-up ($SMALL_SCALE times both at H=128);" \
  "$(date -u +%Y-%m-%d), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
printf '| %-26s | %12s | %12s | %7s | %14s | %14s |\n' config "recur tok/s" "torch tok/s" ratio \
  "recur RSS MB" "torch RSS MB"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..28})" "$(printf -- '-%.0s' {1..14})" \
  "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..16})" \
  "$(printf -- '-%.0s' {1..16})"
for row in "${ROWS[@]}"; do
  IFS='|' read -r name rtps ttps rmb tmb <<<"$row"
  ratio="$(awk -v a="$rtps" -v b="$ttps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
  printf '| %-26s | %12s | %12s | %7s | %14s | %14s |\n' "$name" "$rtps" "$ttps" "$ratio" "$rmb" "$tmb"
done
