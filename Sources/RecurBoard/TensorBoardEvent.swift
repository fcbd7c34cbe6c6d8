// The Swift form of one TensorBoard event, as the reader returns it.

/// One tagged float32 value of a summary, as TensorBoard stores it (`Summary.Value.simple_value`).
public struct TensorBoardScalar: Equatable, Sendable {
    /// The series name, such as `"train/loss"`.
    public var tag: String
    /// The value as stored: float32, whatever precision the writer was given.
    public var value: Float

    /// A scalar with the given tag and stored value.
    public init(tag: String, value: Float) {
        self.tag = tag
        self.value = value
    }
}

/// One record of an event file, decoded. Tests and tools compare these with what was written.
public struct TensorBoardEvent: Equatable, Sendable {
    /// What an event carries: the file's version header, scalars, or something Recur does not
    /// read (a graph, a histogram, an image: any event whose `what` this build does not know).
    public enum Content: Equatable, Sendable {
        /// The first event of a file: its format, `"brain.Event:2"`.
        case fileVersion(String)
        /// The values of one summary, in file order. Values that are not scalars (histograms,
        /// images, tensors) are left out.
        case summary([TensorBoardScalar])
        /// An event kind Recur does not read.
        case other
    }

    /// Seconds since the Unix epoch when the event was written (fractional).
    public var wallTime: Double
    /// The step the values belong to (TensorBoard's x axis).
    public var step: Int
    /// What the event carries.
    public var content: Content

    /// An event with the given time, step and content.
    public init(wallTime: Double, step: Int, content: Content) {
        self.wallTime = wallTime
        self.step = step
        self.content = content
    }

    /// The scalars of a summary event, or none for any other kind.
    public var scalars: [TensorBoardScalar] {
        if case .summary(let values) = content { return values }
        return []
    }
}
