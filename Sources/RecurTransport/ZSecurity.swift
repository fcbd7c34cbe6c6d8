// How a socket is secured: no security (loopback only), a CURVE server, or a named CURVE client.
import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The security mechanism of one socket, chosen from the run's key file.
public enum ZSecurity: Equatable, Sendable {
    /// The NULL mechanism: no encryption, no authentication. For loopback runs only (the policy
    /// that refuses it elsewhere lives with the callers).
    case none
    /// A CURVE server with the key file's server key pair (needs `serverSecretKey`); clients are
    /// authenticated by the context's `ZAPHandler`.
    case curveServer(CurveKeys)
    /// A CURVE client using client `name`'s key pair (needs its secret) and the server public key.
    case curveClient(CurveKeys, name: String)
}

extension ZSocket {
    /// Applies `security` to this socket; call it before `bind` or `connect`.
    ///
    /// A CURVE server also gets the ZAP domain `ZAPHandler.domain`, and needs a `ZAPHandler`
    /// running in its context: without one libzmq would admit any client knowing the server key.
    /// - Parameter security: the mechanism and keys.
    /// - Throws: `CurveKeyError.missingSecret` when the needed secret key is `-` in the file,
    ///   `CurveKeyError.unknownClient` for a client name not in the file, `TransportError` when no
    ///   ZAP handler serves the context, libzmq lacks CURVE, or an option cannot be set.
    public func secure(_ security: ZSecurity) throws {
        switch security {
        case .none:
            return
        case .curveServer(let keys):
            guard let secretKey = keys.serverSecretKey else { throw CurveKeyError.missingSecret(purpose: "server") }
            guard ZAPHandler.isRunning(in: context) else {
                throw TransportError(call: "ZSocket.secure", code: EPERM,
                                     reason: "no ZAPHandler is running in this socket's context, so any client knowing the server key would be admitted",
                                     hint: "create the ZAPHandler (with the key file's client keys) before securing and binding CURVE servers")
            }
            try setOption(ZMQ_ZAP_DOMAIN, name: "ZMQ_ZAP_DOMAIN", bytes: Array(ZAPHandler.domain.utf8))
            try curveServer(secretKey: secretKey)
        case .curveClient(let keys, let name):
            guard let client = keys.client(named: name) else {
                throw CurveKeyError.unknownClient(name: name, known: keys.clients.map(\.name))
            }
            guard let secretKey = client.secretKey else { throw CurveKeyError.missingSecret(purpose: "client \(name)") }
            try curveClient(serverKey: keys.serverPublicKey, publicKey: client.publicKey, secretKey: secretKey)
        }
    }
}
