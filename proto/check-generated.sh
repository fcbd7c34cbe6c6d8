#!/usr/bin/env bash
# Fails when the committed protobuf-c files differ from what proto/generate.sh produces now.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash "$here/generate.sh" "$tmp"
# Every file generate.sh wrote, compared with the committed copy (so a new .proto is covered
# as soon as generate.sh lists it).
generated=$(cd "$tmp" && find Sources -type f | sort)
[ -n "$generated" ] || { echo "check-generated: generate.sh produced no files" >&2; exit 1; }
status=0
for f in $generated; do
  if [ ! -f "$root/$f" ]; then
    echo "check-generated: $f is missing: run proto/generate.sh and commit the result" >&2
    status=1
  elif ! diff -u "$root/$f" "$tmp/$f" >"$tmp/diff.txt"; then
    echo "check-generated: $f is out of date with proto/ ($(protoc-c --version | head -1)):" >&2
    head -40 "$tmp/diff.txt" >&2
    echo "check-generated: run proto/generate.sh and commit the result" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "check-generated: generated protobuf-c code is up to date ($(echo "$generated" | wc -l) files)"
exit "$status"
