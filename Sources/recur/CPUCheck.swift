// CPUCheck: the first thing `recur` does: refuse to start on a CPU that lacks the instructions
// the kernels were compiled for.
import Glibc
import RecurCPU
import RecurMath

/// This target and RecurCPU are compiled for baseline x86-64 (Package.swift), so the check and
/// its message run on any x86-64 CPU; the message goes out through `write(2)` from static
/// strings, touching no generic code (see `CPUSupport`).
enum CPUCheck {
    /// Prints `error: this build needs AVX2 and FMA; rebuild with …` and exits with status 2
    /// when the kernels need instructions this CPU does not have.
    static func exitUnlessSupported() {
        guard let refusal = CPUSupport.refusal(compiledForAVX2FMA: BuildCPU.compiledForAVX2FMA,
                                               cpuHasAVX2FMA: CPUSupport.cpuHasAVX2FMA) else { return }
        func put(_ text: StaticString) { _ = write(2, text.utf8Start, text.utf8CodeUnitCount) }
        put("error: ")
        put(refusal)
        put("\n")
        exit(2)
    }
}
