// The errors of reading and writing TensorBoard event files, each one line naming the file.

/// Why an event file could not be read or an event not written. File-system failures are thrown
/// as RecurIO's `FileSystemError` instead (operation, path, strerror), which is one line too.
public enum TensorBoardError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file ends inside record `record` (0-based), which starts at byte `offset`: a writer
    /// was stopped mid-record, or the file was cut.
    case truncated(path: String, record: Int, offset: Int)
    /// The masked CRC32C of record `record`'s 8 length bytes does not match: the length itself
    /// cannot be trusted, so nothing after it can be framed.
    case lengthChecksum(path: String, record: Int, offset: Int)
    /// The masked CRC32C of record `record`'s data does not match.
    case dataChecksum(path: String, record: Int, offset: Int)
    /// Record `record` is framed and checksummed correctly but is not a protobuf `Event`.
    case undecodable(path: String, record: Int, offset: Int)
    /// A tag holds a NUL byte, which the C encoder cannot carry; nothing was written.
    case tagWithNUL(path: String, tag: String)

    /// One line: the file, the record and its byte offset, and what is wrong.
    public var description: String {
        switch self {
        case .truncated(let path, let record, let offset):
            return "\(path): record \(record) at byte \(offset) is truncated (the file ends inside it)"
        case .lengthChecksum(let path, let record, let offset):
            return "\(path): record \(record) at byte \(offset) has a bad length checksum"
        case .dataChecksum(let path, let record, let offset):
            return "\(path): record \(record) at byte \(offset) has a bad data checksum"
        case .undecodable(let path, let record, let offset):
            return "\(path): record \(record) at byte \(offset) is not a TensorBoard Event message"
        case .tagWithNUL(let path, let tag):
            return "\(path): tag \(tag.debugDescription) holds a NUL byte; TensorBoard tags cannot"
        }
    }
}
