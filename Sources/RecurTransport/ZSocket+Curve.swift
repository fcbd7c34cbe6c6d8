// CURVE security: key pairs and the server/client socket options (ready for when runs need encryption).
import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CURVE key pair: 32-byte binary public and secret keys.
public struct ZCurveKeyPair: Equatable, Sendable {
    /// The public key, 32 bytes; safe to share.
    public let publicKey: [UInt8]
    /// The secret key, 32 bytes; never sent anywhere.
    public let secretKey: [UInt8]

    /// A fresh random key pair (`zmq_curve_keypair`); throws when libzmq lacks CURVE support.
    public static func generate() throws -> ZCurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else {
            throw TransportError.last("zmq_curve_keypair")
        }
        return ZCurveKeyPair(publicKey: try decodeZ85(publicText), secretKey: try decodeZ85(secretText))
    }

    /// The 32-byte key encoded in the 40-character Z85 text `text` (NUL-terminated).
    private static func decodeZ85(_ text: [CChar]) throws -> [UInt8] {
        var key = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&key, text) != nil else { throw TransportError.last("zmq_z85_decode") }
        return key
    }
}

extension ZSocket {
    /// Makes this socket a CURVE server with `secretKey` (32 bytes): peers must know its public
    /// key (`ZMQ_CURVE_SERVER`, `ZMQ_CURVE_SECRETKEY`). Set before `bind`.
    public func curveServer(secretKey: [UInt8]) throws {
        try checkKey(secretKey, name: "ZMQ_CURVE_SECRETKEY")
        try setOption(ZMQ_CURVE_SERVER, name: "ZMQ_CURVE_SERVER", value: Int32(1))
        try setOption(ZMQ_CURVE_SECRETKEY, name: "ZMQ_CURVE_SECRETKEY", bytes: secretKey)
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverKey`, using its
    /// own key pair (`ZMQ_CURVE_SERVERKEY`, `ZMQ_CURVE_PUBLICKEY`, `ZMQ_CURVE_SECRETKEY`); all
    /// keys are 32 bytes. Set before `connect`.
    public func curveClient(serverKey: [UInt8], publicKey: [UInt8], secretKey: [UInt8]) throws {
        try checkKey(serverKey, name: "ZMQ_CURVE_SERVERKEY")
        try checkKey(publicKey, name: "ZMQ_CURVE_PUBLICKEY")
        try checkKey(secretKey, name: "ZMQ_CURVE_SECRETKEY")
        try setOption(ZMQ_CURVE_SERVERKEY, name: "ZMQ_CURVE_SERVERKEY", bytes: serverKey)
        try setOption(ZMQ_CURVE_PUBLICKEY, name: "ZMQ_CURVE_PUBLICKEY", bytes: publicKey)
        try setOption(ZMQ_CURVE_SECRETKEY, name: "ZMQ_CURVE_SECRETKEY", bytes: secretKey)
    }

    /// Throws unless `key` is a 32-byte binary key and libzmq supports CURVE.
    private func checkKey(_ key: [UInt8], name: String) throws {
        guard ZContext.has("curve") else {
            throw TransportError(call: "zmq_setsockopt(\(name))", code: ENOTSUP,
                                 reason: "libzmq was built without CURVE support",
                                 hint: "install a libzmq built with libsodium, or run with security \"null\"")
        }
        guard key.count == 32 else {
            throw TransportError(call: "zmq_setsockopt(\(name))", code: EINVAL,
                                 reason: "CURVE key is \(key.count) bytes, expected 32",
                                 hint: "pass the 32-byte binary key, not its 40-character Z85 text")
        }
    }
}
