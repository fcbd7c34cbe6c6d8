// The in-memory tensor and header-entry types exchanged with safetensors files.

/// A named float32 tensor whose values live in memory owned by someone else.
public struct TensorView {
    /// Tensor name.
    public var name: String
    /// Row-major shape.
    public var shape: [Int]
    /// The values, valid while the owner keeps them.
    public var values: UnsafeBufferPointer<Float>

    /// Creates a view.
    public init(name: String, shape: [Int], values: UnsafeBufferPointer<Float>) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// A named float32 tensor: a shape and its values in row-major order.
public struct TensorRecord: Sendable, Equatable {
    /// The tensor's name (the key in the safetensors header).
    public var name: String
    /// Dimensions, outermost first. An empty shape is a scalar holding one value.
    public var shape: [Int]
    /// Row-major values; `values.count` equals the product of `shape`.
    public var values: [Float]

    /// Creates a tensor record.
    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// One validated tensor entry of a safetensors header, without its data.
public struct TensorInfo: Sendable, Equatable {
    /// The tensor's name.
    public var name: String
    /// The dtype string from the header (always `"F32"` once validated).
    public var dtype: String
    /// Dimensions, outermost first.
    public var shape: [Int]
    /// Byte range of the data, relative to the start of the data buffer.
    public var dataOffsets: Range<Int>

    /// Creates a header entry.
    public init(name: String, dtype: String, shape: [Int], dataOffsets: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
    }
}

/// A parsed and validated safetensors header.
public struct SafeTensorsHeader: Sendable, Equatable {
    /// Tensor entries in data-offset order.
    public var tensors: [TensorInfo]
    /// The `__metadata__` string map (empty when absent).
    public var metadata: [String: String]
    /// Absolute byte offset of the data buffer in the file (8 + header length).
    public var dataStart: Int

    /// Creates a header description.
    public init(tensors: [TensorInfo], metadata: [String: String], dataStart: Int) {
        self.tensors = tensors
        self.metadata = metadata
        self.dataStart = dataStart
    }
}
