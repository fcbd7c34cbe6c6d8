// Reads TensorBoard event files record by record, checking both checksums of every record.
import RecurIO

/// Reads event files for tests and tools, strictly: unlike TensorBoard, which waits for a
/// partial last record to be completed, any damage is an error naming the record, so a test
/// fails on a writer that frames or checksums anything wrongly.
public enum TensorBoardReader {
    /// Every event in the file at `path`, in file order.
    /// - Throws: `FileSystemError` when the file cannot be read; `TensorBoardError` naming the
    ///   record (0-based) and its byte offset when one is truncated, fails a checksum or is not
    ///   an `Event` message.
    public static func read(path: String) throws -> [TensorBoardEvent] {
        try events(in: FileSystem.readFile(path), path: path)
    }

    /// Every event in `bytes`, the content of an event file.
    /// - Parameter path: the file's name, for errors only.
    /// - Throws: `TensorBoardError`, as `read(path:)`.
    public static func events(in bytes: [UInt8], path: String) throws -> [TensorBoardEvent] {
        try records(in: bytes, path: path).map(\.event)
    }

    /// Every event in `bytes` with the byte offset where its record begins (where a file can be
    /// cut to drop it and everything after it).
    /// - Throws: `TensorBoardError`, as `read(path:)`.
    public static func records(in bytes: [UInt8], path: String) throws -> [(event: TensorBoardEvent, offset: Int)] {
        try bytes.withUnsafeBytes { all in
            var events: [(event: TensorBoardEvent, offset: Int)] = []
            var offset = 0
            while offset < all.count {
                let record = events.count
                guard all.count - offset >= TFRecord.headerSize else {
                    throw TensorBoardError.truncated(path: path, record: record, offset: offset)
                }
                let lengthBytes = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + 8)])
                guard TFRecord.maskedChecksum(lengthBytes) == TFRecord.loadUInt32(all, at: offset + 8) else {
                    throw TensorBoardError.lengthChecksum(path: path, record: record, offset: offset)
                }
                let length = UInt64(littleEndian: lengthBytes.loadUnaligned(as: UInt64.self))
                let available = all.count - offset - TFRecord.headerSize - TFRecord.footerSize
                guard available >= 0, length <= UInt64(available) else {
                    throw TensorBoardError.truncated(path: path, record: record, offset: offset)
                }
                let dataStart = offset + TFRecord.headerSize
                let data = UnsafeRawBufferPointer(rebasing: all[dataStart..<(dataStart + Int(length))])
                guard TFRecord.maskedChecksum(data) == TFRecord.loadUInt32(all, at: dataStart + Int(length)) else {
                    throw TensorBoardError.dataChecksum(path: path, record: record, offset: offset)
                }
                guard let event = EventCodec.decode(data) else {
                    throw TensorBoardError.undecodable(path: path, record: record, offset: offset)
                }
                events.append((event, offset))
                offset = dataStart + Int(length) + TFRecord.footerSize
            }
            return events
        }
    }
}
