// CPUSupport: whether this CPU can run the kernels as they were compiled, and the refusal `recur`
// prints when it cannot (instead of dying with SIGILL at the first AVX2 instruction).
import CCPUFeatures

/// The start-up check's logic. This target is compiled for baseline x86-64 (Package.swift), so
/// the CPUID query runs on any x86-64 CPU. The messages are static strings, written with
/// `write(2)`: building a `String` would call generic code that the linker may take from a
/// module compiled for AVX2, which is how the first version of this check still died of SIGILL.
public enum CPUSupport {
    /// Whether this CPU, and the kernel's saving of its registers, supports AVX2 and FMA (and the
    /// other instructions `-target-cpu haswell` allows), from CPUID.
    public static var cpuHasAVX2FMA: Bool { recur_cpu_has_avx2_fma() != 0 }

    /// The build that runs on any x86-64 CPU, slower (docs/building.md).
    public static let portableBuild: StaticString = "swift build -c release -Xswiftc -target-cpu -Xswiftc x86-64"

    /// The error for a build that cannot run on this CPU, or nil when it can.
    /// - Parameters:
    ///   - compiledForAVX2FMA: whether the kernels use AVX2 and FMA (`BuildCPU.compiledForAVX2FMA`).
    ///   - cpuHasAVX2FMA: whether this CPU supports them (`cpuHasAVX2FMA`).
    /// - Returns: the message, without the `error: ` prefix; it names `portableBuild`.
    public static func refusal(compiledForAVX2FMA: Bool, cpuHasAVX2FMA: Bool) -> StaticString? {
        guard compiledForAVX2FMA && !cpuHasAVX2FMA else { return nil }
        return "this build needs AVX2 and FMA; rebuild with `swift build -c release -Xswiftc -target-cpu -Xswiftc x86-64` to run on any x86-64 CPU (slower)"
    }
}
