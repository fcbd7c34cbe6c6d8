#!/usr/bin/env bash
# Fails when the committed protobuf-c files differ from what proto/generate.sh produces now.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash "$here/generate.sh" "$tmp"
status=0
for f in Sources/CRecurProto/recur.pb-c.c Sources/CRecurProto/include/recur.pb-c.h; do
  if [ ! -f "$root/$f" ]; then
    echo "check-generated: $f is missing: run proto/generate.sh and commit the result" >&2
    status=1
  elif ! diff -u "$root/$f" "$tmp/$f" >"$tmp/diff.txt"; then
    echo "check-generated: $f is out of date with proto/recur.proto ($(protoc-c --version | head -1)):" >&2
    head -40 "$tmp/diff.txt" >&2
    echo "check-generated: run proto/generate.sh and commit the result" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "check-generated: generated protobuf-c code is up to date"
exit "$status"
