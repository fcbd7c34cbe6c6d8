#!/usr/bin/env bash
# Installs the Debian packages Recur builds against, skipping those already present; iproute2 and
# iputils-ping let the multi-host tests build their network namespaces, and qemu-user lets the CPU
# check's test emulate a CPU without AVX2, and librsvg2-bin (rsvg-convert) with netpbm (pngtopnm)
# let the chart's rendering test rasterise `recur plot`'s SVG, and nftables lets a partition test
# drop one peer's packets inside its namespace (they skip without them).
set -euo pipefail
packages=(libopenblas-dev libzmq3-dev libprotobuf-c-dev protobuf-c-compiler iproute2 iputils-ping qemu-user librsvg2-bin netpbm nftables)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "installing: ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
