// CURVE key files: round trips, copies without secrets, private atomic writes, and malformed files.
import Foundation
import RecurTransport
import XCTest

final class CurveKeyFileTests: XCTestCase {
    func testGenerateTextParseRoundTripAndWithoutSecrets() throws {
        let keys = try CurveKeys.generate(clients: ["coordinator", "ps", "worker-1"])
        XCTAssertEqual(keys.clients.map(\.name), ["coordinator", "ps", "worker-1"])
        let all = [keys.serverPublicKey] + keys.clients.map(\.publicKey)
        XCTAssertTrue(all.allSatisfy { $0.count == 32 })
        XCTAssertEqual(Set(all).count, 4, "every key pair is fresh")
        XCTAssertEqual(keys.allowedClientKeys, Set(keys.clients.map(\.publicKey)))
        let text = keys.text()
        XCTAssertTrue(text.hasPrefix(CurveKeys.header + "\n"))
        XCTAssertEqual(try CurveKeys.parse(text, source: "mem"), keys)
        XCTAssertEqual(try CurveKeys.parse("\n  # comment\n\t\n" + text + "\n# end\n", source: "mem"), keys)

        let copy = keys.withoutSecrets(keepingClient: "worker-1")
        XCTAssertNil(copy.serverSecretKey)
        XCTAssertEqual(copy.serverPublicKey, keys.serverPublicKey)
        XCTAssertEqual(copy.client(named: "worker-1"), keys.client(named: "worker-1"))
        XCTAssertNotNil(copy.client(named: "worker-1")?.secretKey)
        XCTAssertNil(copy.client(named: "ps")?.secretKey)
        XCTAssertNil(copy.client(named: "coordinator")?.secretKey)
        XCTAssertEqual(copy.allowedClientKeys, keys.allowedClientKeys)
        XCTAssertEqual(try CurveKeys.parse(copy.text(), source: "mem"), copy)
        XCTAssertTrue(copy.text().contains("\nserver \(Z85.encode(keys.serverPublicKey)!) -\n"))
        XCTAssertNil(keys.withoutSecrets(keepingClient: nil).clients.compactMap(\.secretKey).first)
        XCTAssertNil(keys.client(named: "nobody"))
    }

    func testGenerateRefusesBadAndRepeatedNames() {
        for names in [["worker", "worker"], ["bad name"], [""], ["wörker"]] {
            XCTAssertThrowsError(try CurveKeys.generate(clients: names), "\(names)") { error in
                guard case CurveKeyError.invalidKeys = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testWriteIsPrivateAtomicAndRefusesToOverwrite() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recur-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/run.keys"
        let keys = try CurveKeys.generate(clients: ["worker"])
        let other = try CurveKeys.generate(clients: ["ps"])
        try keys.write(path: path)
        XCTAssertEqual(try mode(path), 0o600)
        XCTAssertEqual(try CurveKeys.load(path: path), keys)

        XCTAssertThrowsError(try other.write(path: path)) { error in
            XCTAssertEqual(error as? CurveKeyError, .fileExists(path: path))
        }
        XCTAssertEqual(try CurveKeys.load(path: path), keys, "a refused write leaves the file alone")
        try other.write(path: path, overwrite: true)
        XCTAssertEqual(try CurveKeys.load(path: path), other)
        XCTAssertEqual(try mode(path), 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["run.keys"], "no temporary files left")

        var broken = keys
        broken.clients[0].publicKey.removeLast()
        XCTAssertThrowsError(try broken.write(path: folder + "/broken.keys")) { error in
            guard case CurveKeyError.invalidKeys = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try CurveKeys.load(path: folder + "/missing.keys")) { error in
            guard case CurveKeyError.unreadable(let where_, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(where_, folder + "/missing.keys")
            XCTAssertTrue("\(error)".contains("missing.keys"), "\(error)")
        }
    }

    func testMalformedFilesNameTheFileAndLine() throws {
        let keys = try CurveKeys.generate(clients: ["worker"])
        let other = try CurveKeys.generate(clients: ["worker"])
        let serverPublic = Z85.encode(keys.serverPublicKey)!, serverSecret = Z85.encode(keys.serverSecretKey!)!
        let client = keys.clients[0], otherClient = other.clients[0]
        let clientPublic = Z85.encode(client.publicKey)!, clientSecret = Z85.encode(client.secretKey!)!
        let server = "server \(serverPublic) \(serverSecret)"
        let cases: [(text: String, line: Int, says: String)] = [
            ("# keys\n" + "server \(String(repeating: "~", count: 40)) -", 2, "not valid Z85"),
            (server + "\nclient worker \(clientPublic.dropLast()) -", 2, "39 characters, expected 40"),
            (server + "\nclient worker \(clientPublic) -\n\nclient worker \(Z85.encode(otherClient.publicKey)!) -",
             4, "already used on line 2"),
            (server + "\nclient w1 \(clientPublic) -\nclient w2 \(clientPublic) -", 3, "same public key as client w1"),
            (server + "\npeer worker \(clientPublic) -", 2, "unknown keyword \"peer\""),
            (server + "\n" + server, 2, "a second server line"),
            (server + "\nclient worker \(clientPublic) \(Z85.encode(otherClient.secretKey!)!)", 2, "does not belong"),
            (server + "\nclient wörker \(clientPublic) \(clientSecret)", 2, "is not valid"),
            ("server \(serverPublic)", 1, "found 2 fields"),
        ]
        for (text, line, says) in cases {
            XCTAssertThrowsError(try CurveKeys.parse(text, source: "run.keys"), says) { error in
                guard case CurveKeyError.malformed(let source, let errorLine, _) = error else {
                    return XCTFail("expected a malformed-line error for \(says), got \(error)")
                }
                XCTAssertEqual(source, "run.keys")
                XCTAssertEqual(errorLine, line, "\(error)")
                let description = "\(error)"
                XCTAssertTrue(description.contains("run.keys:\(line): "), description)
                XCTAssertTrue(description.contains(says), description)
                XCTAssertFalse(description.contains("\n"))
            }
        }
        XCTAssertThrowsError(try CurveKeys.parse("# only a comment\nclient worker \(clientPublic) -\n", source: "run.keys")) {
            XCTAssertEqual($0 as? CurveKeyError, .missingServer(source: "run.keys"))
            XCTAssertTrue("\($0)".contains("run.keys"))
        }
    }

    /// The permission bits of `path`.
    private func mode(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) & 0o777
    }
}
