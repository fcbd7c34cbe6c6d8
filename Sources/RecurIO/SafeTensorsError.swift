// Errors raised while encoding, decoding, reading or writing safetensors files.

/// Everything that can go wrong with a safetensors file; each description is one line.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    /// The input is shorter than the 8-byte header length field.
    case fileTooShort(byteCount: Int)
    /// The header length field exceeds the 100 MB limit.
    case headerTooLarge(length: UInt64)
    /// The header length field points past the end of the input.
    case headerBeyondFile(length: UInt64, fileSize: Int)
    /// The header is not valid UTF-8 JSON.
    case invalidHeaderJSON(detail: String)
    /// The header is valid JSON but not an object.
    case headerNotObject(found: String)
    /// A tensor entry is not an object or repeats a field.
    case badTensorEntry(name: String, detail: String)
    /// A tensor entry's `dtype` is missing or not a string.
    case badDtype(name: String, detail: String)
    /// A tensor's dtype is well formed but not `F32`, the only supported type.
    case unsupportedDtype(name: String, dtype: String)
    /// A tensor's `shape` is missing or not an array of non-negative integers.
    case badShape(name: String, detail: String)
    /// A tensor's `data_offsets` is missing or not `[begin, end]` with `0 <= begin <= end`.
    case badDataOffsets(name: String, detail: String)
    /// The shape's element count × 4 differs from the offset span.
    case sizeMismatch(name: String, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// A tensor's data range ends beyond the data buffer.
    case offsetsOutOfRange(name: String, begin: Int, end: Int, bufferSize: Int)
    /// Two tensors' data ranges overlap.
    case overlappingTensors(first: String, second: String)
    /// `__metadata__` is not an object of string values.
    case badMetadata(detail: String)
    /// A tensor name appears twice.
    case duplicateName(String)
    /// A tensor passed to `encode` is inconsistent (bad shape, wrong value count, reserved name).
    case invalidTensor(name: String, detail: String)
    /// A file-system call failed.
    case io(FileSystemError)
    /// A decoding error in the file at `path`.
    indirect case inFile(path: String, error: SafeTensorsError)

    /// A one-line human-readable message.
    public var description: String {
        switch self {
        case .fileTooShort(let count):
            return "safetensors: input is \(count) bytes, shorter than the 8-byte header length"
        case .headerTooLarge(let length):
            return "safetensors: header length \(length) exceeds the 100 MB limit"
        case .headerBeyondFile(let length, let size):
            return "safetensors: header length \(length) runs past the end of the \(size)-byte input"
        case .invalidHeaderJSON(let detail):
            return "safetensors: header is not valid JSON: \(detail)"
        case .headerNotObject(let found):
            return "safetensors: header must be a JSON object, found \(found)"
        case .badTensorEntry(let name, let detail):
            return "safetensors: tensor \(JSONText.quoted(name)): \(detail)"
        case .badDtype(let name, let detail):
            return "safetensors: tensor \(JSONText.quoted(name)): bad dtype: \(detail)"
        case .unsupportedDtype(let name, let dtype):
            return "safetensors: tensor \(JSONText.quoted(name)): dtype \(JSONText.quoted(dtype)) "
                + "is not supported (only F32)"
        case .badShape(let name, let detail):
            return "safetensors: tensor \(JSONText.quoted(name)): bad shape: \(detail)"
        case .badDataOffsets(let name, let detail):
            return "safetensors: tensor \(JSONText.quoted(name)): bad data_offsets: \(detail)"
        case .sizeMismatch(let name, let shape, let expected, let actual):
            return "safetensors: tensor \(JSONText.quoted(name)): shape \(shape) needs \(expected) bytes "
                + "but data_offsets span \(actual)"
        case .offsetsOutOfRange(let name, let begin, let end, let size):
            return "safetensors: tensor \(JSONText.quoted(name)): data_offsets [\(begin), \(end)] "
                + "exceed the \(size)-byte data buffer"
        case .overlappingTensors(let first, let second):
            return "safetensors: data of tensors \(JSONText.quoted(first)) and \(JSONText.quoted(second)) overlap"
        case .badMetadata(let detail):
            return "safetensors: bad __metadata__: \(detail)"
        case .duplicateName(let name):
            return "safetensors: duplicate tensor name \(JSONText.quoted(name))"
        case .invalidTensor(let name, let detail):
            return "safetensors: cannot encode tensor \(JSONText.quoted(name)): \(detail)"
        case .io(let error):
            return "safetensors: \(error)"
        case .inFile(let path, let error):
            return "\(path): \(error)"
        }
    }
}
