// Thin shim: what the build assumes of the CPU, and whether this CPU has it. Header only, no
// logic beyond the check.
//
// RECUR_BUILT_FOR_AVX2_FMA and RECUR_BUILT_WITH_FMA read the compiler's own macros, so they
// reflect the flags of the Swift module that imports this header (RecurMath is compiled with
// -target-cpu haswell on x86-64).
// recur_cpu_has_avx2_fma() asks CPUID: AVX, AVX2, FMA, the other instructions -target-cpu
// haswell lets the compiler use (BMI1, BMI2, F16C, LZCNT, MOVBE), and whether the kernel saves
// the AVX registers (OSXSAVE, then XCR0's SSE and AVX bits).
#pragma once

#if defined(__AVX2__) && defined(__FMA__)
#define RECUR_BUILT_FOR_AVX2_FMA 1
#else
#define RECUR_BUILT_FOR_AVX2_FMA 0
#endif

// Whether fused multiply-adds are instructions (x86-64 FMA, every arm64) rather than libm calls.
#if defined(__FMA__) || defined(__aarch64__)
#define RECUR_BUILT_WITH_FMA 1
#else
#define RECUR_BUILT_WITH_FMA 0
#endif

#if defined(__x86_64__)
#include <cpuid.h>

static inline int recur_cpu_has_avx2_fma(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, movbe = (c >> 22) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!(fma && movbe && osxsave && avx && f16c)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int bmi1 = (b >> 3) & 1, avx2 = (b >> 5) & 1, bmi2 = (b >> 8) & 1;
    if (!(bmi1 && avx2 && bmi2)) return 0;
    if (!__get_cpuid(0x80000001, &a, &b, &c, &d)) return 0;
    return (c >> 5) & 1;  // LZCNT (ABM)
}
#else
static inline int recur_cpu_has_avx2_fma(void) { return 1; }
#endif
