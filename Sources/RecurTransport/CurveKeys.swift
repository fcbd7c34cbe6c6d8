// A run's CURVE keys: one server key pair and named client key pairs, in a small text format.
//
//   # recur CURVE keys, format 1. Keep secret (mode 0600).
//   server <public-z85> <secret-z85 | ->
//   client <name> <public-z85> <secret-z85 | ->
//
// `-` in place of a secret means "not in this file" (a copy for a host that must not hold it).

/// One client's CURVE key pair, known by a name such as "worker".
public struct CurveClientKey: Equatable, Sendable {
    /// The client's name: letters, digits, `.`, `_` and `-`.
    public var name: String
    /// The 32-byte public key; the server admits the client when it is in the key file.
    public var publicKey: [UInt8]
    /// The 32-byte secret key, or nil when this copy of the file does not hold it.
    public var secretKey: [UInt8]?

    /// Creates a client entry.
    public init(name: String, publicKey: [UInt8], secretKey: [UInt8]?) {
        self.name = name
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}

/// The keys of one secured run: the server key pair every CURVE server socket uses, and the key
/// pair of each client allowed to connect.
public struct CurveKeys: Equatable, Sendable {
    /// The server's 32-byte public key; every client needs it.
    public var serverPublicKey: [UInt8]
    /// The server's 32-byte secret key, or nil in a copy for a host that runs no server.
    public var serverSecretKey: [UInt8]?
    /// The allowed clients, in file order; names are unique.
    public var clients: [CurveClientKey]

    /// The first line of every file written by `text()`.
    public static let header = "# recur CURVE keys, format 1. Keep secret (mode 0600)."

    /// Creates keys from their parts (not validated; `write` and `parse` validate).
    public init(serverPublicKey: [UInt8], serverSecretKey: [UInt8]?, clients: [CurveClientKey]) {
        self.serverPublicKey = serverPublicKey
        self.serverSecretKey = serverSecretKey
        self.clients = clients
    }

    /// Fresh random key pairs for the server and for each client in `clients`.
    /// - Parameter clients: unique client names ([A-Za-z0-9._-]+), e.g. ["coordinator", "ps", "worker"].
    /// - Throws: `CurveKeyError.invalidKeys` for a bad or repeated name; `TransportError` when
    ///   libzmq lacks CURVE.
    public static func generate(clients: [String]) throws -> CurveKeys {
        var seen = Set<String>()
        for name in clients {
            guard isValidName(name) else { throw CurveKeyError.invalidKeys(reason: nameProblem(name)) }
            guard seen.insert(name).inserted else {
                throw CurveKeyError.invalidKeys(reason: "client name \(String(reflecting: name)) is given twice")
            }
        }
        let server = try ZCurveKeyPair.generate()
        let entries = try clients.map { name -> CurveClientKey in
            let pair = try ZCurveKeyPair.generate()
            return CurveClientKey(name: name, publicKey: pair.publicKey, secretKey: pair.secretKey)
        }
        return CurveKeys(serverPublicKey: server.publicKey, serverSecretKey: server.secretKey, clients: entries)
    }

    /// Parses key-file text.
    /// - Parameters:
    ///   - text: the file's content.
    ///   - source: the file name used in error messages.
    /// - Throws: `CurveKeyError.malformed` naming the first bad line (bad Z85, wrong length, a secret
    ///   that does not match its public key, a repeated name or key, a second server line, an unknown
    ///   keyword), or `.missingServer`.
    public static func parse(_ text: String, source: String) throws -> CurveKeys {
        var server: (publicKey: [UInt8], secretKey: [UInt8]?, line: Int)?
        var clients: [CurveClientKey] = []
        var clientLines: [String: Int] = [:]
        var keyLines: [[UInt8]: (name: String, line: Int)] = [:]
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            func fail(_ reason: String) -> CurveKeyError { .malformed(source: source, line: number, reason: reason) }
            let fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = fields.first, !keyword.hasPrefix("#") else { continue }
            switch keyword {
            case "server":
                guard fields.count == 3 else { throw fail("expected `server <public-z85> <secret-z85 | ->`, found \(fields.count) fields") }
                if let first = server { throw fail("a second server line (the first is line \(first.line)); a key file has exactly one") }
                let pair = try keyPair(public: fields[1], secret: fields[2], what: "server", fail: fail)
                server = (pair.publicKey, pair.secretKey, number)
            case "client":
                guard fields.count == 4 else { throw fail("expected `client <name> <public-z85> <secret-z85 | ->`, found \(fields.count) fields") }
                let name = fields[1]
                guard isValidName(name) else { throw fail(nameProblem(name)) }
                if let first = clientLines[name] { throw fail("client name \(String(reflecting: name)) is already used on line \(first)") }
                let pair = try keyPair(public: fields[2], secret: fields[3], what: "client \(name)", fail: fail)
                if let other = keyLines[pair.publicKey] {
                    throw fail("client \(name) has the same public key as client \(other.name) on line \(other.line)")
                }
                clientLines[name] = number
                keyLines[pair.publicKey] = (name, number)
                clients.append(CurveClientKey(name: name, publicKey: pair.publicKey, secretKey: pair.secretKey))
            default:
                throw fail("unknown keyword \(String(reflecting: keyword)) (expected `server` or `client`, or `#` for a comment)")
            }
        }
        guard let server else { throw CurveKeyError.missingServer(source: source) }
        return CurveKeys(serverPublicKey: server.publicKey, serverSecretKey: server.secretKey, clients: clients)
    }

    /// The key-file text: the header comment, the server line, then one line per client.
    public func text() -> String {
        func z85(_ key: [UInt8]?) -> String {
            guard let key else { return "-" }
            return Z85.encode(key) ?? "<invalid-\(key.count)-byte-key>"
        }
        var lines = [CurveKeys.header, "server \(z85(serverPublicKey)) \(z85(serverSecretKey))"]
        for client in clients {
            lines.append("client \(client.name) \(z85(client.publicKey)) \(z85(client.secretKey))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The client called `name`, or nil.
    public func client(named name: String) -> CurveClientKey? {
        clients.first { $0.name == name }
    }

    /// Every client public key: what a server's ZAP handler admits.
    public var allowedClientKeys: Set<[UInt8]> { Set(clients.map(\.publicKey)) }

    /// A copy without secret keys, except the secret of client `keepingClient` (when given and
    /// present): what a host that only connects as that client needs.
    public func withoutSecrets(keepingClient: String?) -> CurveKeys {
        var copy = self
        copy.serverSecretKey = nil
        for index in copy.clients.indices where copy.clients[index].name != keepingClient {
            copy.clients[index].secretKey = nil
        }
        return copy
    }

    /// Throws `CurveKeyError.invalidKeys` unless every key is 32 bytes and client names are valid
    /// and unique (what `parse` would accept back from `text()`).
    public func validate() throws {
        func check(_ key: [UInt8]?, _ what: String) throws {
            if let key, key.count != 32 {
                throw CurveKeyError.invalidKeys(reason: "the \(what) key is \(key.count) bytes, expected 32")
            }
        }
        try check(serverPublicKey, "server public")
        try check(serverSecretKey, "server secret")
        var seen = Set<String>()
        for client in clients {
            guard CurveKeys.isValidName(client.name) else { throw CurveKeyError.invalidKeys(reason: CurveKeys.nameProblem(client.name)) }
            guard seen.insert(client.name).inserted else {
                throw CurveKeyError.invalidKeys(reason: "client name \(String(reflecting: client.name)) is used twice")
            }
            try check(client.publicKey, "client \(client.name) public")
            try check(client.secretKey, "client \(client.name) secret")
        }
    }

    /// True for a non-empty name of letters, digits, `.`, `_` and `-` (ASCII).
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    /// Why `name` is not a valid client name.
    static func nameProblem(_ name: String) -> String {
        "client name \(String(reflecting: name)) is not valid: use letters, digits, `.`, `_` and `-`"
    }

    /// Decodes one public key and an optional (`-`) secret key, checking that they belong together.
    private static func keyPair(public publicText: String, secret secretText: String, what: String,
                                fail: (String) -> CurveKeyError) throws -> (publicKey: [UInt8], secretKey: [UInt8]?) {
        let publicKey = try key(publicText, what: "\(what) public key", fail: fail)
        guard secretText != "-" else { return (publicKey, nil) }
        let secretKey = try key(secretText, what: "\(what) secret key", fail: fail)
        // (Without CURVE in libzmq the pair cannot be checked here; using it fails clearly later.)
        if ZContext.has("curve"), (try? Z85.curvePublicKey(secretKey: secretKey)) != publicKey {
            throw fail("the \(what) secret key does not belong to its public key (columns swapped or keys mixed up?)")
        }
        return (publicKey, secretKey)
    }

    /// Decodes one 40-character Z85 key.
    private static func key(_ text: String, what: String, fail: (String) -> CurveKeyError) throws -> [UInt8] {
        guard text.count == 40 else {
            throw fail("the \(what) is \(text.count) characters, expected 40 (the Z85 text of 32 bytes)")
        }
        do {
            return try Z85.decode(text)
        } catch let error as TransportError {
            throw fail("the \(what) is not valid Z85: \(error.reason)")
        }
    }
}
