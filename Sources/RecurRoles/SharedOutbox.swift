// SharedOutbox: a role's own shared-memory segment and the frames it sends as references into it:
// the server's weights (a slot per version) and the worker's gradient (a slot per computed shard).
import RecurTransport
import RecurWire

/// Frames written into this process's segment and sent as `WireSharedRef`s.
///
/// Slot `s` holds one use at a time: the writer marks a new use's generation before it overwrites
/// the slot, so a reader holding an older reference sees that its copy may be torn.
/// - Weights (`shareWeights`, `weightsDestination`): version v goes to slot v mod R with generation v + 1, R = 2 in sync
///   mode and staleness + 2 in async mode. A worker still computing on version v when v + R is
///   written would send a gradient the server refuses anyway (sync: not the current version;
///   async: more than `staleness` behind).
/// - Gradients (`beginShard`, `shareGradient`, `gradientDestination`): each computed shard takes
///   the slot the worker's machine chose (`WorkerMachine.chooseSlot` says when a slot is free);
///   with none, that shard's gradient travels over TCP.
public final class SharedOutbox {
    /// The segment written.
    public let segment: SharedSegment
    /// Element offset of the segment's first float within the full parameter vector (the served
    /// slice's start for a server, 0 for a worker).
    public let firstElement: Int
    /// Floats per slot.
    public let slotFloats: Int
    /// The use each slot holds (its generation) and which frame ranges are written for it.
    var uses: [(generation: UInt64, written: Set<Range<Int>>)]
    /// The current shard's slot and generation (gradients).
    var current: (slot: Int, generation: UInt64)?
    var counter: UInt64 = 0

    /// Creates a segment of `slots` slots of `floats` floats each, for parameters from `firstElement`.
    /// - Throws: `SharedMemoryError` when the system cannot make one (the role then uses TCP only).
    public init(name: String, slots: Int, floats: Int, firstElement: Int) throws {
        segment = try SharedSegment(name: name, slots: slots, slotBytes: floats * 4)
        self.firstElement = firstElement
        slotFloats = floats
        uses = Array(repeating: (0, []), count: slots)
    }

    /// The segment as offered on the wire.
    public var offer: WireSegment { segment.descriptor }

    /// The token of the segment.
    public var token: UInt64 { segment.descriptor.token }

    /// Starts a shard's gradient in `slot` under a new generation (the worker's machine chose a
    /// slot no server still reads: `WorkerMachine.chooseSlot`); nil, and the shard's gradient goes
    /// over TCP.
    public func beginShard(slot: Int?) {
        guard let slot, slot >= 0, slot < segment.slots else {
            current = nil
            return
        }
        counter += 1
        segment.beginUse(slot: slot, generation: counter)
        uses[slot] = (counter, [])
        current = (slot, counter)
    }

    /// `frame` (a gradient piece of the current shard) copied into its slot and sent by reference;
    /// nil when no shard is begun or the frame does not fit (it then travels inline).
    public func shareGradient(_ frame: WireFrame) -> WireFrame? {
        guard let c = current else { return nil }
        return share(frame, slot: c.slot, generation: c.generation)
    }

    /// `frame` (weights of `version`) sent by reference, copied into the version's slot unless it
    /// is there already; nil when it does not fit (it then travels inline).
    public func shareWeights(_ frame: WireFrame, version: UInt64) -> WireFrame? {
        share(frame, slot: weightsSlot(version), generation: version &+ 1)
    }

    /// Where the server's update writes `count` weights of `version` from element `offset`
    /// directly (`PSSharedLinks.weightsBuffer(for:)`), so `shareWeights` need not copy
    /// them; nil when they do not fit the slot.
    public func weightsDestination(version: UInt64, offset: Int, count: Int) -> (UnsafeMutableRawPointer, AnyObject)? {
        let start = offset - firstElement
        guard start >= 0, count > 0, start + count <= slotFloats else { return nil }
        let slot = weightsSlot(version)
        uses[slot].written.insert(offset ..< offset + count)
        return (segment.slot(slot) + start * 4, segment)
    }

    /// The slot of weights `version`, marked with its generation (version + 1) before anything
    /// of that version is written.
    func weightsSlot(_ version: UInt64) -> Int {
        let slot = Int(version % UInt64(segment.slots)), generation = version &+ 1
        if uses[slot].generation != generation {
            segment.beginUse(slot: slot, generation: generation)
            uses[slot] = (generation, [])
        }
        return slot
    }

    /// Where the current shard's gradient [P] may be computed directly (`WorkerCompute.run(into:)`),
    /// so that `shareGradient` need not copy it; nil with no shard begun or a slot too small.
    public func gradientDestination(count: Int) -> (UnsafeMutablePointer<Float>, AnyObject)? {
        guard let c = current, firstElement == 0, count <= slotFloats else { return nil }
        return (segment.slot(c.slot).bindMemory(to: Float.self, capacity: count), segment)
    }

    func share(_ frame: WireFrame, slot: Int, generation: UInt64) -> WireFrame? {
        let start = frame.offset - firstElement, count = frame.elementCount
        guard frame.dtype == .f32, frame.shared == nil, start >= 0, count > 0, start + count <= slotFloats else { return nil }
        let target = segment.slot(slot) + start * 4
        let range = frame.offset ..< frame.offset + count
        if !uses[slot].written.contains(range), frame.payload.base != UnsafeRawPointer(target) {
            frame.payload.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
            uses[slot].written.insert(range)
        }
        let ref = WireSharedRef(token: token, slot: UInt32(slot), byteOffset: UInt64(start * 4), generation: generation)
        return try? frame.sharing(ref, payload: WireBytes(borrowing: UnsafeRawPointer(target), count: count * 4, owner: segment))
    }
}
