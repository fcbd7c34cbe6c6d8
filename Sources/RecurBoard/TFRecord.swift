// TFRecord framing: the container TensorBoard event files are written in.
import RecurIO

/// The TFRecord layout of one record:
///
///     uint64 length           little-endian, the data's byte count
///     uint32 masked CRC32C    of the 8 length bytes, little-endian
///     data                    `length` bytes (one serialized Event)
///     uint32 masked CRC32C    of the data, little-endian
///
/// The CRCs are masked because a CRC of data that itself holds CRCs is weak; TensorFlow and
/// TensorBoard mask them all the same way, so ours must too.
enum TFRecord {
    /// Bytes before the data: the length and its checksum.
    static let headerSize = 12
    /// Bytes after the data: its checksum.
    static let footerSize = 4

    /// TensorBoard's masking of a CRC32C: rotate right by 15 bits, add a constant.
    static func mask(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    /// The masked CRC32C of `bytes`.
    static func maskedChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        mask(CRC32C.checksum(bytes))
    }

    /// Fills the header and footer around data already placed at `record[headerSize...]`.
    /// - Parameters:
    ///   - record: a buffer of exactly `headerSize + dataCount + footerSize` bytes.
    ///   - dataCount: the data's byte count.
    static func seal(_ record: UnsafeMutableRawBufferPointer, dataCount: Int) {
        record.storeBytes(of: UInt64(dataCount).littleEndian, toByteOffset: 0, as: UInt64.self)
        let lengthCRC = maskedChecksum(UnsafeRawBufferPointer(rebasing: record[0..<8]))
        record.storeBytes(of: lengthCRC.littleEndian, toByteOffset: 8, as: UInt32.self)
        let data = UnsafeRawBufferPointer(rebasing: record[headerSize..<(headerSize + dataCount)])
        record.storeBytes(of: maskedChecksum(data).littleEndian, toByteOffset: headerSize + dataCount,
                          as: UInt32.self)
    }

    /// Reads a little-endian `UInt32` at `offset`.
    static func loadUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
