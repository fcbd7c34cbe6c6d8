// BuildCPU: which instructions this build of the kernels assumes.
import CCPUFeatures

/// The CPU that the kernels were compiled for.
///
/// Package.swift compiles the library targets for Haswell on x86-64 (AVX2, FMA), since that is
/// where their speed comes from; a CPU without those instructions would stop with SIGILL in the
/// middle of a run. `recur` asks first (`CPUSupport` in RecurCPU words the refusal).
public enum BuildCPU {
    /// Whether the kernels were compiled for AVX2 and FMA. Read here, in the kernels' own module,
    /// because the compiler's feature macros follow each module's flags: a portable rebuild
    /// (`-Xswiftc -target-cpu -Xswiftc x86-64`) makes this false. It returns a constant, so it is
    /// safe to call before the check; nothing else in this module is.
    public static var compiledForAVX2FMA: Bool { RECUR_BUILT_FOR_AVX2_FMA != 0 }
}
