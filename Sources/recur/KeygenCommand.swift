// KeygenCommand: `recur keygen`, which writes a run's CURVE key file, or a host's copy without others' secrets.
import ArgumentParser
import Foundation
import RecurTransport

/// `recur keygen`: creates the CURVE key file of a secured run.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Write a CURVE key file for a secured distributed run.",
        discussion: """
        Writes one server key pair (shared by every socket that binds) and one key
        pair per client name, with mode 0600. Servers admit only the clients listed
        in the file. With --public-for, writes a copy of --from that keeps only
        NAME's secret key, for a host that only connects as that client.

        Examples:
          recur keygen --out run.keys
          recur keygen --out run.keys --clients coordinator,ps,worker-1,worker-2
          recur keygen --out worker-1.keys --public-for worker-1 --from run.keys
        """)

    @Option(help: "The key file to write.")
    var out: String
    @Option(help: "Comma-separated client names (letters, digits, '.', '_', '-').")
    var clients: String = "coordinator,ps,worker"
    @Flag(help: "Replace --out if it exists.")
    var force = false
    @Option(name: .customLong("public-for"), help: ArgumentHelp("Write a copy of --from keeping only this client's secret key.", valueName: "name"))
    var publicFor: String?
    @Option(help: ArgumentHelp("The full key file to copy (with --public-for).", valueName: "file"))
    var from: String?

    func validate() throws {
        if (publicFor == nil) != (from == nil) {
            throw ValidationError("--public-for and --from go together: --public-for NAME --from FULL-KEY-FILE")
        }
        if out.isEmpty { throw ValidationError("--out needs a file name") }
    }

    func run() throws {
        let keys: CurveKeys
        if let publicFor, let from {
            let full = try CurveKeys.load(path: from)
            guard let client = full.client(named: publicFor) else {
                throw CurveKeyError.unknownClient(name: publicFor, known: full.clients.map(\.name))
            }
            guard client.secretKey != nil else { throw CurveKeyError.missingSecret(purpose: "client \(publicFor)") }
            keys = full.withoutSecrets(keepingClient: publicFor)
        } else {
            let names = clients.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if names == [""] { throw ValidationError("--clients needs at least one name") }
            keys = try CurveKeys.generate(clients: names)
        }
        try keys.write(path: out, overwrite: force)
        describe(keys)
    }

    /// Notes what was written: names and public keys, never secret keys.
    private func describe(_ keys: CurveKeys) {
        func z85(_ key: [UInt8]) -> String { Z85.encode(key) ?? "?" }
        func holds(_ secret: [UInt8]?) -> String { secret == nil ? "public key only" : "with secret key" }
        note("wrote \(out) (mode 0600)" + (publicFor.map { " for client \($0): other secret keys removed" } ?? ""))
        note("  server \(z85(keys.serverPublicKey)) (\(holds(keys.serverSecretKey)))")
        for client in keys.clients {
            note("  client \(client.name) \(z85(client.publicKey)) (\(holds(client.secretKey)))")
        }
    }
}
