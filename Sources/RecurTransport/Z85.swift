// Z85 text for binary keys (ZeroMQ RFC 32) and the CURVE public key of a secret key, via libzmq.
import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Z85, the printable encoding ZeroMQ uses for CURVE keys: 4 bytes become 5 characters, so a
/// 32-byte key is 40 characters. Encoding and decoding go through `zmq_z85_encode`/`zmq_z85_decode`.
public enum Z85 {
    /// The 85 characters of the Z85 alphabet, in value order.
    static let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")

    /// The Z85 text of `bytes`, or nil when `bytes.count` is not a multiple of 4 (or libzmq fails).
    /// - Parameter bytes: the binary data, e.g. a 32-byte key.
    /// - Returns: `bytes.count * 5 / 4` printable characters.
    public static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        let ok = bytes.withUnsafeBufferPointer { source in
            text.withUnsafeMutableBufferPointer { zmq_z85_encode($0.baseAddress, source.baseAddress, bytes.count) != nil }
        }
        guard ok else { return nil }
        return String(decoding: text.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes encoded by the Z85 text `text`.
    /// - Parameter text: Z85 characters, a multiple of 5 of them.
    /// - Returns: `text.count * 4 / 5` bytes.
    /// - Throws: `TransportError` (call `zmq_z85_decode`, EINVAL) naming what is wrong with the text.
    public static func decode(_ text: String) throws -> [UInt8] {
        let characters = Array(text)
        if let bad = characters.first(where: { !alphabet.contains($0) }) {
            throw invalid("character \(String(reflecting: String(bad))) is not in the Z85 alphabet")
        }
        guard characters.count % 5 == 0 else {
            throw invalid("\(characters.count) characters; Z85 text is a multiple of 5 characters")
        }
        var bytes = [UInt8](repeating: 0, count: characters.count * 4 / 5)
        let ok = bytes.withUnsafeMutableBufferPointer { zmq_z85_decode($0.baseAddress, text) != nil }
        guard ok else { throw invalid("a 5-character group encodes a value above 2^32 - 1") }
        return bytes
    }

    /// The error for undecodable text.
    private static func invalid(_ reason: String) -> TransportError {
        TransportError(call: "zmq_z85_decode", code: EINVAL, reason: "invalid Z85 text: \(reason)",
                       hint: "copy the key text exactly; CURVE keys are 40 Z85 characters")
    }

    /// The CURVE public key belonging to the 32-byte `secretKey` (`zmq_curve_public`).
    /// - Throws: `TransportError` when the key is not 32 bytes or libzmq lacks CURVE.
    static func curvePublicKey(secretKey: [UInt8]) throws -> [UInt8] {
        guard secretKey.count == 32, let secretText = encode(secretKey) else {
            throw TransportError(call: "zmq_curve_public", code: EINVAL,
                                 reason: "CURVE secret key is \(secretKey.count) bytes, expected 32")
        }
        var publicText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicText, secretText) == 0 else { throw TransportError.last("zmq_curve_public") }
        return try decode(String(decoding: publicText.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
