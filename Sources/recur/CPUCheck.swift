// CPUCheck: the first thing `recur` does: refuse to start on a CPU that lacks the instructions
// the kernels were compiled for.
import CCPUFeatures
import Foundation
import RecurMath

/// This target is compiled for baseline x86-64 (Package.swift), so the check runs on any x86-64
/// CPU; the header's CPUID query is compiled here too, with the same flags.
enum CPUCheck {
    /// Prints `error: this build needs AVX2 and FMA; rebuild with …` and exits with status 2
    /// when the kernels need instructions this CPU does not have.
    static func exitUnlessSupported() {
        let refusal = BuildCPU.refusal(compiledForAVX2FMA: BuildCPU.compiledForAVX2FMA,
                                       cpuHasAVX2FMA: recur_cpu_has_avx2_fma() != 0)
        guard let refusal else { return }
        FileHandle.standardError.write(Data("error: \(refusal)\n".utf8))
        exit(2)
    }
}
