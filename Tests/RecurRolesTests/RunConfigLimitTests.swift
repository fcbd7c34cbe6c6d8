// RunConfigLimitTests: a Welcome's run configuration naming a model too large to lay out is a bad
// configuration, not a trap or an allocation of all memory (the inputs that crashed the
// run-config fuzz harness).
import Foundation
import RecurModel
import RecurRoles
import RecurTrain
import XCTest

final class RunConfigLimitTests: XCTestCase {
    /// The JSON of a real language-model run with `"key":old` replaced by `"key":new`.
    func json(_ key: String, _ old: Int, _ new: Int) throws -> String {
        let json = try RunConfig(options: TrainOptions(), vocab: 40, totalSteps: 100).json()
        XCTAssertTrue(json.contains("\"\(key)\":\(old)"), json)
        return json.replacingOccurrences(of: "\"\(key)\":\(old)", with: "\"\(key)\":\(new)")
    }

    func testHugeSizesAreABadConfiguration() throws {
        XCTAssertNoThrow(try RunConfig.parse(try json("hidden", 128, 256)))
        for (key, old, new) in [("hidden", 128, 4_000_000_000), ("layers", 2, 40_000_000_000), ("hidden", 128, 200_000)] {
            XCTAssertThrowsError(try RunConfig.parse(try json(key, old, new)), "\(key) \(new)") { error in
                guard case RoleError.badConfig(let m) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(m.contains("at most") || m.contains("parameters"), m)
            }
        }
    }
}
