// BuildCPUTests: the start-up refusal of a build whose kernels need instructions the CPU lacks.
import RecurMath
import XCTest

final class BuildCPUTests: XCTestCase {
    func testABuildForAVX2RefusesACPUWithoutIt() throws {
        let line = try XCTUnwrap(BuildCPU.refusal(compiledForAVX2FMA: true, cpuHasAVX2FMA: false))
        XCTAssertTrue(line.hasPrefix("this build needs AVX2 and FMA; rebuild with "), line)
        XCTAssertTrue(line.contains(BuildCPU.portableBuild), line)
    }

    func testEveryOtherPairRuns() {
        XCTAssertNil(BuildCPU.refusal(compiledForAVX2FMA: true, cpuHasAVX2FMA: true))
        XCTAssertNil(BuildCPU.refusal(compiledForAVX2FMA: false, cpuHasAVX2FMA: false))
        XCTAssertNil(BuildCPU.refusal(compiledForAVX2FMA: false, cpuHasAVX2FMA: true))
    }

    /// The portable rebuild the refusal names overrides the manifest's CPU (the last
    /// `-target-cpu` wins) and asks for nothing beyond baseline x86-64.
    func testThePortableBuildNamesBaselineX86() {
        XCTAssertTrue(BuildCPU.portableBuild.hasSuffix("-Xswiftc -target-cpu -Xswiftc x86-64"))
    }
}
