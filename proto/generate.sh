#!/usr/bin/env bash
# Generates the protobuf-c code for proto/recur.proto into Sources/CRecurProto (deterministic).
#
# Usage: proto/generate.sh [OUTPUT_ROOT]
#   OUTPUT_ROOT defaults to the package root; the files land in OUTPUT_ROOT/Sources/CRecurProto/
#   (recur.pb-c.c) and OUTPUT_ROOT/Sources/CRecurProto/include/ (recur.pb-c.h).
# Needs protoc-c (Debian: protobuf-c-compiler). Output depends only on recur.proto and the
# protoc-c version: no timestamps or absolute paths, so running it twice changes nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${1:-$here/..}"
if ! command -v protoc-c >/dev/null 2>&1; then
  echo "generate.sh: protoc-c not found: install protobuf-c-compiler (apt-get install protobuf-c-compiler)" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Run from proto/ with a relative path so the generated comments name "recur.proto" only.
(cd "$here" && protoc-c --proto_path=. --c_out="$work" recur.proto)
src="$root/Sources/CRecurProto"
mkdir -p "$src/include"
# The header lives in include/ (SwiftPM's public header folder, which is on the target's own
# include path), so the generated `#include "recur.pb-c.h"` resolves as is; it is rewritten to
# the same text explicitly so a future protoc-c that emits a path prefix still builds.
sed -e 's|^#include ".*recur\.pb-c\.h"$|#include "recur.pb-c.h"|' "$work/recur.pb-c.c" >"$src/recur.pb-c.c"
cp "$work/recur.pb-c.h" "$src/include/recur.pb-c.h"
