# recipe_common.sh: what bench/recipe_search.sh, bench/recipe_shakespeare.sh and
# bench/seq2seq_vs_torch.sh share. Sourced,
# not run; the sourcing script sets NAME (its name in messages) and REPO (the repository root).

die() { echo "$NAME: $*" >&2; exit 1; }

# Prints the sourcing script's header comment (its --help).
show_help() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$1"; }

# Builds recur in release unless SKIP_BUILD=1 (with SWIFT_SCRATCH_PATH as --scratch-path) and
# sets RECUR to the binary.
build_recur() {
  local scratch=()
  [[ -n "${SWIFT_SCRATCH_PATH:-}" ]] && scratch=(--scratch-path "$SWIFT_SCRATCH_PATH")
  if (( ! SKIP_BUILD )); then
    echo "building recur (release) ..." >&2
    (cd "$REPO" && swift build -c release "${scratch[@]}" --product recur >&2) || die "release build failed"
  fi
  RECUR="$(cd "$REPO" && swift build -c release "${scratch[@]}" --show-bin-path)/recur"
  [[ -x "$RECUR" ]] || die "no release binary at $RECUR (drop --skip-build)"
}

# Writes the first 90% of the characters of $1 to $2 and the last 10% to $3 (the cut
# bench/baseline_torch.py and nanoGPT's shakespeare_char make).
split_corpus() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
cut = int(0.9 * len(text))
open(sys.argv[2], "w", encoding="utf-8").write(text[:cut])
open(sys.argv[3], "w", encoding="utf-8").write(text[cut:])
PY
}
