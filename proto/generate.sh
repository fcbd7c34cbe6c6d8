#!/usr/bin/env bash
# Generates the protobuf-c code for every .proto file in proto/ into its own thin C target
# (deterministic): recur.proto into Sources/CRecurProto, tensorboard.proto into
# Sources/CTensorBoardProto.
#
# Usage: proto/generate.sh [OUTPUT_ROOT]
#   OUTPUT_ROOT defaults to the package root; for NAME.proto and target T the files land in
#   OUTPUT_ROOT/Sources/T/ (NAME.pb-c.c) and OUTPUT_ROOT/Sources/T/include/ (NAME.pb-c.h).
# Needs protoc-c (Debian: protobuf-c-compiler). Output depends only on the .proto files and the
# protoc-c version: no timestamps or absolute paths, so running it twice changes nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${1:-$here/..}"
if ! command -v protoc-c >/dev/null 2>&1; then
  echo "generate.sh: protoc-c not found: install protobuf-c-compiler (apt-get install protobuf-c-compiler)" >&2
  exit 2
fi
# NAME (proto/NAME.proto) and the C target it is generated into; check-generated.sh reads this list.
targets=("recur CRecurProto" "tensorboard CTensorBoardProto")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for entry in "${targets[@]}"; do
  read -r name target <<<"$entry"
  # Run from proto/ with a relative path so the generated comments name "NAME.proto" only.
  (cd "$here" && protoc-c --proto_path=. --c_out="$work" "$name.proto")
  src="$root/Sources/$target"
  mkdir -p "$src/include"
  # The header lives in include/ (SwiftPM's public header folder, which is on the target's own
  # include path), so the generated `#include "NAME.pb-c.h"` resolves as is; it is rewritten to
  # the same text explicitly so a future protoc-c that emits a path prefix still builds.
  sed -e "s|^#include \".*$name\\.pb-c\\.h\"\$|#include \"$name.pb-c.h\"|" "$work/$name.pb-c.c" >"$src/$name.pb-c.c"
  cp "$work/$name.pb-c.h" "$src/include/$name.pb-c.h"
done
