// CLIAgreementTests: the flag lists the deploy checks allow are flags the real `recur launch` and
// `recur keygen` accept (read from their --help), so deploy files cannot drift from the binary.
import Foundation
import XCTest

private final class DeployBundleAnchor {}

final class CLIAgreementTests: XCTestCase {
    /// The `recur` built beside the test bundle.
    func binary() throws -> URL {
        let bundle = Bundle(for: DeployBundleAnchor.self).bundleURL
        let candidates = [bundle.appendingPathComponent("recur"), bundle.deletingLastPathComponent().appendingPathComponent("recur")]
        var isDirectory: ObjCBool = false
        guard let url = candidates.first(where: {
            FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }) else {
            struct Missing: Error, CustomStringConvertible { let description: String }
            throw Missing(description: "no recur binary beside the test bundle (\(candidates.map(\.path))); run `swift build --build-tests` first")
        }
        return url
    }

    /// The `--flags` a subcommand's help lists.
    func helpFlags(_ subcommand: String) throws -> Set<String> {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = [subcommand, "--help"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        let pattern = try NSRegularExpression(pattern: "--[a-z][a-z0-9-]*")
        return Set(pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { String(text[$0]) }
        })
    }

    func testEveryAllowedLaunchFlagIsAcceptedByRecurLaunch() throws {
        let real = try helpFlags("launch")
        XCTAssertEqual(launchFlags.subtracting(real), [], "flags the deploy checks allow but `recur launch` does not take")
        XCTAssertTrue(real.contains("--ps-shards") && real.contains("--keys"), "help text not as expected: \(real.sorted())")
    }

    func testEveryAllowedKeygenFlagIsAcceptedByRecurKeygen() throws {
        let real = try helpFlags("keygen")
        XCTAssertEqual(keygenFlags.subtracting(real), [])
    }
}

/// The deploy guide (docs/deploy.md) names the protocol version that RecurWire sends, so operators
/// read the real one.
final class ProtocolVersionAgreementTests: XCTestCase {
    /// The first integer after `pattern`'s match in `text` (the pattern's one capture group).
    func number(_ pattern: String, in text: String) throws -> Int? {
        let regex = try NSRegularExpression(pattern: pattern)
        guard let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let r = Range(m.range(at: 1), in: text) else { return nil }
        return Int(text[r])
    }

    func testDeployGuideNamesTheCurrentProtocolVersion() throws {
        let wire = try String(contentsOf: repositoryRoot.appendingPathComponent("Sources/RecurWire/WireMessage.swift"), encoding: .utf8)
        let current = try XCTUnwrap(try number(#"static let version: UInt32 = (\d+)"#, in: wire), "WireProtocol.version not found")
        let guide = try repositoryText(deployGuide)
        let named = try XCTUnwrap(try number(#"carries the protocol version\s+\((\d+)"#, in: guide),
                                  "\(deployGuide) no longer says which protocol version a message carries")
        XCTAssertEqual(named, current, "\(deployGuide) names protocol version \(named); RecurWire sends \(current)")
    }
}
