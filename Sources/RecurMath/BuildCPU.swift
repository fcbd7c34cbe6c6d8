// BuildCPU: which instructions this build of the kernels assumes, and the refusal `recur` prints
// on a CPU without them (instead of dying with SIGILL at the first AVX2 instruction).
import CCPUFeatures

/// The CPU that the kernels were compiled for.
///
/// Package.swift compiles the library targets for Haswell on x86-64 (AVX2, FMA), since that is
/// where their speed comes from; a CPU without those instructions would stop with SIGILL in the
/// middle of a run. `recur` asks CPUID first and prints `refusal` instead.
public enum BuildCPU {
    /// Whether the kernels were compiled for AVX2 and FMA. Read here, in the kernels' own module,
    /// because the compiler's feature macros follow each module's flags: a portable rebuild
    /// (`-Xswiftc -target-cpu -Xswiftc x86-64`) makes this false.
    public static var compiledForAVX2FMA: Bool { RECUR_BUILT_FOR_AVX2_FMA != 0 }

    /// The build that runs on any x86-64 CPU, slower (README, "Build").
    public static let portableBuild = "swift build -c release -Xswiftc -target-cpu -Xswiftc x86-64"

    /// The error line for a build that cannot run on this CPU, or nil when it can.
    /// - Parameters:
    ///   - compiledForAVX2FMA: whether the kernels use AVX2 and FMA (`compiledForAVX2FMA`).
    ///   - cpuHasAVX2FMA: whether this CPU (and its kernel) supports them, from CPUID.
    /// - Returns: the message, without the `error: ` prefix.
    public static func refusal(compiledForAVX2FMA: Bool, cpuHasAVX2FMA: Bool) -> String? {
        guard compiledForAVX2FMA && !cpuHasAVX2FMA else { return nil }
        return "this build needs AVX2 and FMA; rebuild with `\(portableBuild)` to run on any x86-64 CPU (slower)"
    }
}
