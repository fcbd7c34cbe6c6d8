#!/usr/bin/env bash
# kernel_rates.sh: GFLOP/s of the products in one LSTM H=128 L=2 B=50 T=50 step (recur's
# PackedGEMM and OpenBLAS's sgemm), built outside the package with swiftc from bench/kernel_rates.swift
# and the kernel's own sources, with the package's CPU flags (AVX2 and FMA). Prints a markdown table.
# Run it on an otherwise idle machine: the two-core rows need both cores.
#
# Usage: bench/kernel_rates.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# PackedGEMM reads whether the build fuses from a C shim; the kernels here are built with FMA.
sed 's/^import CCPUFeatures$/let RECUR_BUILT_WITH_FMA: Int32 = 1/' Sources/RecurMath/PackedGEMM.swift >"$work/PackedGEMM.swift"
cp Sources/RecurMath/FloatBuffer.swift "$work/"
cp bench/kernel_rates.swift "$work/main.swift"  # top-level code lives in main.swift
swiftc -O -target-cpu haswell -swift-version 6 -o "$work/kernel_rates" \
  "$work/main.swift" "$work/PackedGEMM.swift" "$work/FloatBuffer.swift" -lopenblas
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$work/kernel_rates"
