// CPUSupportTests: the start-up refusal of a build whose kernels need instructions the CPU lacks.
import RecurCPU
import XCTest

final class CPUSupportTests: XCTestCase {
    func testABuildForAVX2RefusesACPUWithoutIt() throws {
        let line = try XCTUnwrap(CPUSupport.refusal(compiledForAVX2FMA: true, cpuHasAVX2FMA: false)).description
        XCTAssertTrue(line.hasPrefix("this build needs AVX2 and FMA; rebuild with "), line)
        XCTAssertTrue(line.contains("`\(CPUSupport.portableBuild)`"), line)
    }

    func testEveryOtherPairRuns() {
        XCTAssertNil(CPUSupport.refusal(compiledForAVX2FMA: true, cpuHasAVX2FMA: true))
        XCTAssertNil(CPUSupport.refusal(compiledForAVX2FMA: false, cpuHasAVX2FMA: false))
        XCTAssertNil(CPUSupport.refusal(compiledForAVX2FMA: false, cpuHasAVX2FMA: true))
    }
}
