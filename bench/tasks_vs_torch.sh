#!/usr/bin/env bash
# tasks_vs_torch.sh: training throughput of recur's bidirectional classifier and tagger against the
# PyTorch baseline bench/baseline_torch_tasks.py, side by side on the same data, shapes and threads.
#
# Usage: bench/tasks_vs_torch.sh [--rounds N] [--steps N] [--warmup N] [--threads N]
#                                [--torch-python PATH] [--skip-build] [--keep]
#   --rounds N           pairs per shape, alternating which program goes first (default 3)
#   --steps N            timed steps of each run, after the warm-up (default 30)
#   --warmup N           first steps left out of each run's figure (default 3)
#   --threads N          threads of both: recur --threads N and OPENBLAS_NUM_THREADS=N,
#                        torch.set_num_threads(N) and OMP_NUM_THREADS=N (default 2)
#   --torch-python PATH  python with torch (default: $TORCH_PYTHON, else python3)
#   --skip-build         use the existing release binary instead of `swift build -c release`
#   --keep               keep the scratch folder with the data files, logs and metrics
#
# Shapes: bidirectional LSTM H=256 L=2 (E=H), B=32 whole examples per step, word tokens, on
# recur's built-in data: `recur data` writes the sentiment examples (classify) and the names
# sentences (tag) that `recur train` generates without --corpus, and both programs train on
# those files. A run's figure is the mean of its per-step tokens/s of real (unpadded) tokens after
# the warm-up steps: recur's metrics.jsonl lines (--log-every 1) and the baseline's step lines.
# Environment: SWIFT_SCRATCH_PATH, if set, is passed to `swift build --scratch-path`.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASELINE="$REPO/bench/baseline_torch_tasks.py"
TORCH_PY="${TORCH_PYTHON:-python3}"
ROUNDS=3
STEPS=30
WARMUP=3
THREADS=2
SKIP_BUILD=0
KEEP=0
HIDDEN=256   # H (and E)
LAYERS=2     # L
BATCH=32     # B, examples per step

die() { echo "tasks_vs_torch.sh: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --torch-python) TORCH_PY="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

# ---- preflight ------------------------------------------------------------------------------
for v in "$ROUNDS" "$STEPS" "$WARMUP" "$THREADS"; do
  [[ "$v" =~ ^[0-9]+$ ]] || die "--rounds, --steps, --warmup and --threads take non-negative integers"
done
(( ROUNDS >= 1 && STEPS >= 1 && THREADS >= 1 )) || die "--rounds, --steps and --threads must be at least 1"
"$TORCH_PY" -c 'import torch' 2>/dev/null \
  || die "$TORCH_PY cannot import torch; pass --torch-python PATH or set TORCH_PYTHON (see bench/README.md)"

SCRATCH=()
[[ -n "${SWIFT_SCRATCH_PATH:-}" ]] && SCRATCH=(--scratch-path "$SWIFT_SCRATCH_PATH")
if (( ! SKIP_BUILD )); then
  echo "building recur (release) ..." >&2
  (cd "$REPO" && swift build -c release "${SCRATCH[@]}" --product recur >&2) || die "release build failed"
fi
RECUR="$(cd "$REPO" && swift build -c release "${SCRATCH[@]}" --show-bin-path)/recur"
[[ -x "$RECUR" ]] || die "no release binary at $RECUR (drop --skip-build)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/recur-tasks.XXXXXX")"
if (( KEEP )); then echo "logs kept in $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi

# ---- data: recur's built-in examples, written once ------------------------------------------
"$RECUR" data --task classify --out "$WORK/sentiment.tsv" >/dev/null || die "recur data --task classify failed"
"$RECUR" data --task tag --out "$WORK/names.conll" >/dev/null || die "recur data --task tag failed"
data_file() { [[ "$1" == classify ]] && echo "$WORK/sentiment.tsv" || echo "$WORK/names.conll"; }

# "MEAN MEDIAN": the mean of the per-step tokens/s after the first WARMUP steps (the run's figure)
# and their median (a check: a run whose mean sits far below its median had steps stalled by other
# processes), from recur's metrics.jsonl or the baseline's output, read the same way for both.
step_rates() {
  "$TORCH_PY" - "$1" "$WARMUP" <<'PY'
import json, statistics, sys
r = [json.loads(l)["tokens_per_second"] for l in open(sys.argv[1]) if '"step"' in l and '"summary"' not in l]
r = r[int(sys.argv[2]):]
if not r or min(r) <= 0:
    sys.exit("no positive tokens_per_second after the warm-up in %s" % sys.argv[1])
print("%.0f %.0f" % (sum(r) / len(r), statistics.median(r)))
PY
}

run_recur() {  # task dir
  OPENBLAS_NUM_THREADS="$THREADS" "$RECUR" train --single-process --task "$1" --bidirectional \
    --corpus "$(data_file "$1")" --cell lstm --hidden "$HIDDEN" --layers "$LAYERS" --batch "$BATCH" \
    --steps "$((WARMUP + STEPS))" --log-every 1 --val-fraction 0 --threads "$THREADS" --quiet \
    --run-dir "$2/run" >"$2/recur.out" 2>"$2/recur.err" || { cat "$2/recur.err" >&2; die "recur failed on $1"; }
  step_rates "$2/run/metrics.jsonl"
}

run_torch() {  # task dir
  OMP_NUM_THREADS="$THREADS" "$TORCH_PY" "$BASELINE" --task "$1" --data "$(data_file "$1")" --bidirectional \
    --cell lstm --hidden "$HIDDEN" --layers "$LAYERS" --batch "$BATCH" --steps "$STEPS" --warmup "$WARMUP" \
    --threads "$THREADS" >"$2/torch.out" 2>"$2/torch.err" || { cat "$2/torch.err" >&2; die "torch failed on $1"; }
  step_rates "$2/torch.out"
}

# ---- rounds ---------------------------------------------------------------------------------
echo "recur $(cd "$REPO" && git log -1 --format=%h 2>/dev/null || echo '?'), torch $("$TORCH_PY" -c 'import torch; print(torch.__version__)')," \
  "$THREADS threads each, $STEPS steps after $WARMUP warm-up; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A RECUR_RATES TORCH_RATES RATIOS
for task in tag classify; do
  for i in $(seq 1 "$ROUNDS"); do
    dir="$WORK/$task-$i"; mkdir -p "$dir"
    if (( i % 2 )); then order="recur torch"; r="$(run_recur "$task" "$dir")"; t="$(run_torch "$task" "$dir")"
    else order="torch recur"; t="$(run_torch "$task" "$dir")"; r="$(run_recur "$task" "$dir")"; fi
    read -r r rm <<<"$r"; read -r t tm <<<"$t"
    ratio="$(awk -v a="$r" -v b="$t" 'BEGIN { printf "%.3f", a / b }')"
    echo "round $i $task ($order): recur $r (step median $rm), torch $t (step median $tm) tokens/s, recur/torch $ratio"
    RECUR_RATES[$task]+="$r "; TORCH_RATES[$task]+="$t "; RATIOS[$task]+="$ratio "
  done
  v_recur="$("$TORCH_PY" -c 'import json,struct,sys; f=open(sys.argv[1],"rb"); n=struct.unpack("<Q",f.read(8))[0]; print(len(json.loads(json.loads(f.read(n))["__metadata__"]["recur.config"])["vocab"]))' "$dir/run/checkpoints/latest/model.safetensors")"
  v_torch="$("$TORCH_PY" -c 'import json,sys; print([json.loads(l)["V"] for l in open(sys.argv[1]) if "summary" in l][0])' "$dir/torch.out")"
  echo "  $task vocabulary: recur V=$v_recur, torch V=$v_torch"
done

# ---- medians --------------------------------------------------------------------------------
echo
printf '| %-40s | %16s | %16s | %24s |\n' shape "recur tokens/s" "torch tokens/s" "recur/torch, median (range)"
echo "|---|---|---|---|"
for task in tag classify; do
  "$TORCH_PY" - "$task" "$HIDDEN" "$LAYERS" "$BATCH" "${RECUR_RATES[$task]}" "${TORCH_RATES[$task]}" "${RATIOS[$task]}" <<'PY'
import statistics, sys
task, h, l, b = sys.argv[1:5]
r, t, q = ([float(x) for x in s.split()] for s in sys.argv[5:8])
name = f"{'tagger' if task == 'tag' else 'classifier'}, bi-LSTM H={h} L={l} B={b}"
print(f"| {name:40} | {statistics.median(r):16,.0f} | {statistics.median(t):16,.0f} | "
      f"{statistics.median(q):.2f} ({min(q):.2f}-{max(q):.2f}){'':8} |")
PY
done
