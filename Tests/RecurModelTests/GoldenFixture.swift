// GoldenFixture: loading the PyTorch fixtures and comparing every gradient tensor with them.
import Foundation
import RecurModel
import XCTest

/// What the golden tests share: the fixture files and the per-tensor gradient comparison.
enum GoldenFixture {
    /// One named tensor of a fixture, in PyTorch's state_dict form.
    struct Tensor: Decodable { let name: String; let shape: [Int]; let values: [Float] }

    /// Decodes `Fixtures/<file>` from the test bundle.
    static func load<T: Decodable>(_ file: String, as type: T.Type) throws -> T {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures missing")
        return try JSONDecoder().decode(type, from: Data(contentsOf: dir.appendingPathComponent(file)))
    }

    /// Checks every tensor of `grads` (flat, `layout` order) against `want` by name:
    /// |a−b| ≤ 1e-4 · max(1, |b|) (absolute 1e-4, relative 1e-4 for large values), and that no
    /// golden gradient is too small to prove anything. Returns the worst error and its tensor.
    @discardableResult
    static func checkGradients(_ grads: [Float], layout: ParameterLayout, want: [String: [Float]], label: String,
                               file: StaticString = #filePath, line: UInt = #line) throws -> (error: Double, name: String) {
        var worst = (error: 0.0, name: "")
        for spec in layout.specs {
            let expected = try XCTUnwrap(want[spec.name], "\(label): no gradient for \(spec.name)", file: file, line: line)
                .map(Double.init)
            XCTAssertEqual(expected.count, spec.count, "\(label) \(spec.name)", file: file, line: line)
            let got = Array(grads[spec.offset..<(spec.offset + spec.count)]).doubles
            let err = ErrorMetrics.mixed(got, expected)
            XCTAssertLessThan(err.error, 1e-4, "\(label) gradient of \(spec.name) \(err)", file: file, line: line)
            XCTAssertGreaterThan(expected.map(abs).max()!, 1e-3, "\(label) \(spec.name): golden gradient is trivially small",
                                 file: file, line: line)
            if err.error > worst.error { worst = (err.error, spec.name) }
        }
        return worst
    }
}
