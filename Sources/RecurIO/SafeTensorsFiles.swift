// File helpers for safetensors: atomic durable write, whole-file read, and header-only read.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SafeTensors {
    /// Encodes `tensors` and `metadata` and writes them to `path` atomically: the bytes go to
    /// `<path>.tmp-<pid>`, are fsynced, renamed over `path`, and the parent folder is fsynced.
    public static func write(_ tensors: [TensorRecord], metadata: [String: String], to path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try encode(tensors, metadata: metadata)
        } catch let error as SafeTensorsError {
            throw SafeTensorsError.inFile(path: path, error: error)
        }
        do {
            try Posix.replaceFile(path, bytes)
        } catch let error as FileSystemError {
            throw SafeTensorsError.io(error)
        }
    }

    /// Reads and decodes the safetensors file at `path`. Decoding errors are wrapped in
    /// `SafeTensorsError.inFile` so that their message names the path.
    public static func read(path: String) throws -> (tensors: [TensorRecord], metadata: [String: String]) {
        let bytes: [UInt8]
        do {
            bytes = try Posix.readFile(path)
        } catch let error as FileSystemError {
            throw SafeTensorsError.io(error)
        }
        do {
            return try decode(bytes)
        } catch let error as SafeTensorsError {
            throw SafeTensorsError.inFile(path: path, error: error)
        }
    }

    /// Reads only the length field and JSON header of the file at `path` and validates it
    /// against the file size, without loading tensor data.
    public static func readHeader(path: String) throws -> SafeTensorsHeader {
        do {
            let (fd, size) = try Posix.openForReading(path)
            defer { close(fd) }
            var prefix = [UInt8](repeating: 0, count: 8)
            let got = try prefix.withUnsafeMutableBytes { try Posix.read(fd, into: $0, at: 0, path: path) }
            let length = try prefix.withUnsafeBytes {
                try headerLength(prefix: UnsafeRawBufferPointer(rebasing: $0[0..<got]), fileSize: size)
            }
            var json = [UInt8](repeating: 0, count: length)
            let jsonCount = try json.withUnsafeMutableBytes { try Posix.read(fd, into: $0, at: 8, path: path) }
            guard jsonCount == length else {
                throw SafeTensorsError.headerBeyondFile(length: UInt64(length), fileSize: 8 + jsonCount)
            }
            let parsed = try parseHeader(json, bufferSize: size - 8 - length)
            return SafeTensorsHeader(tensors: parsed.tensors, metadata: parsed.metadata, dataStart: 8 + length)
        } catch let error as FileSystemError {
            throw SafeTensorsError.io(error)
        } catch let error as SafeTensorsError {
            throw SafeTensorsError.inFile(path: path, error: error)
        }
    }
}
