// The writer's side of a same-host shared-memory segment: a sealed, nameless memfd of slots.
#if os(Linux)
import CSharedMemory
import Glibc
import RecurWire
import Synchronization

/// A segment this process writes: a header page then `slots` slots of `slotBytes` bytes each
/// (layout in SharedSegmentLayout.swift).
///
/// The memory is a memfd with no name in any file system, so it disappears when the last fd and
/// mapping of it go away, even after `kill -9`. A peer on the same host maps it read-only with
/// `SharedMapping(attaching: descriptor)` while this object (and so its fd) is alive. The seals
/// stop anyone shrinking or growing it (which would fault a reader) or mapping it writable again.
/// `@unchecked Sendable`: every property is a constant set in `init`; when a slot's bytes may be
/// written is the data path's protocol (slots and their generations), which types cannot express.
public final class SharedSegment: @unchecked Sendable {
    /// The number of slots.
    public let slots: Int
    /// The size of each slot in bytes, a multiple of 64 (the requested size rounded up).
    public let slotBytes: Int
    /// The memfd, kept open so peers can open it through `/proc/<pid>/fd/<fd>`.
    private let fd: Int32
    /// The whole segment, mapped read-write and shared.
    private let base: UnsafeMutableRawPointer
    /// Bytes before slot 0.
    private let headerBytes: Int
    /// What a peer needs to attach.
    private let ownDescriptor: SharedSegmentDescriptor

    /// Where this segment is, to send to a peer on the same host.
    public var descriptor: SharedSegmentDescriptor { ownDescriptor }

    /// Creates a sealed memfd named "recur-<name>" (MFD_CLOEXEC | MFD_ALLOW_SEALING), sizes it,
    /// maps it read-write and shared, writes the header (with a nonzero token from the system random
    /// source, and every generation 0), then adds F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_FUTURE_WRITE and
    /// F_SEAL_SEAL. This mapping stays writable; no new writable mapping or `write` is possible.
    /// - Parameters:
    ///   - name: a label shown in `/proc/<pid>/fd` and `/proc/<pid>/maps` (at most 243 UTF-8 bytes).
    ///   - slots: the number of slots, 1...64.
    ///   - slotBytes: the size of each slot in bytes, at least 1; rounded up to a multiple of 64.
    /// - Throws: `SharedMemoryError.badGeometry` for invalid arguments, `.system` naming the failed
    ///   call (memfd_create, ftruncate, mmap, fcntl(F_ADD_SEALS)).
    public init(name: String, slots: Int, slotBytes: Int) throws {
        let label = "recur-" + name
        guard label.utf8.count <= 249, !name.utf8.contains(0) else {
            throw SharedMemoryError.badGeometry("name \"\(name.prefix(32))…\" is over 243 bytes or holds NUL")
        }
        let (rounded, byteCount) = try SharedSegmentLayout.geometry(slots: slots, slotBytes: slotBytes).get()
        let fd = memfd_create(label, UInt32(MFD_CLOEXEC | MFD_ALLOW_SEALING))
        guard fd >= 0 else { throw SharedMemoryError.system(call: "memfd_create", errno: errno) }
        var mapped: UnsafeMutableRawPointer?
        var done = false
        defer {
            if !done {
                if let mapped { munmap(mapped, byteCount) }
                close(fd)
            }
        }
        guard ftruncate(fd, off_t(byteCount)) == 0 else {
            throw SharedMemoryError.system(call: "ftruncate", errno: errno)
        }
        let address = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else { throw SharedMemoryError.system(call: "mmap", errno: errno) }
        mapped = address

        var random = SystemRandomNumberGenerator()
        let token = UInt64.random(in: 1...UInt64.max, using: &random)
        Self.writeHeader(address, token: token, slots: slots, slotBytes: rounded)
        let seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL
        guard fcntl(fd, F_ADD_SEALS, seals) == 0 else {
            throw SharedMemoryError.system(call: "fcntl(F_ADD_SEALS)", errno: errno)
        }
        done = true
        self.fd = fd
        self.base = address
        self.slots = slots
        self.slotBytes = rounded
        self.headerBytes = SharedSegmentLayout.headerBytes(slots: slots)
        self.ownDescriptor = SharedSegmentDescriptor(pid: UInt32(bitPattern: getpid()), fd: fd, token: token,
                                                     byteCount: UInt64(byteCount))
    }

    deinit {
        munmap(base, Int(ownDescriptor.byteCount))
        close(fd)
    }

    /// Writes the header fields at the start of a fresh (all-zero) segment; generations stay 0.
    private static func writeHeader(_ base: UnsafeMutableRawPointer, token: UInt64, slots: Int, slotBytes: Int) {
        typealias L = SharedSegmentLayout
        L.magic.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        base.storeBytes(of: L.format.littleEndian, toByteOffset: L.formatOffset, as: UInt32.self)
        base.storeBytes(of: token.littleEndian, toByteOffset: L.tokenOffset, as: UInt64.self)
        base.storeBytes(of: UInt64(slots).littleEndian, toByteOffset: L.slotsOffset, as: UInt64.self)
        base.storeBytes(of: UInt64(slotBytes).littleEndian, toByteOffset: L.slotBytesOffset, as: UInt64.self)
        for k in 0..<slots { (base + L.generationOffset(k)).bindMemory(to: Atomic<UInt64>.self, capacity: 1) }
    }

    /// The writable start of slot `k`; `slotBytes` bytes follow it. Valid while this object lives.
    /// - Parameter k: the slot, `0 <= k < slots` (checked: a bad index stops the process).
    /// - Returns: the address of slot `k`'s first byte, 64-byte aligned.
    public func slot(_ k: Int) -> UnsafeMutableRawPointer {
        precondition(k >= 0 && k < slots, "slot \(k) out of range 0..<\(slots)")
        return base + headerBytes + k * slotBytes
    }

    /// Marks slot `k` as holding use `generation` BEFORE its data is overwritten: an atomic store,
    /// then a release fence (the writer side of a seqlock). A reader that copies the slot's data and
    /// afterwards sees a generation other than the one it saw before the copy knows the copy may be torn.
    /// - Parameters:
    ///   - k: the slot, `0 <= k < slots` (checked).
    ///   - generation: the new use's number; callers make it differ from every earlier one.
    public func beginUse(slot k: Int, generation: UInt64) {
        generationPointer(k).pointee.store(generation, ordering: .releasing)
        atomicMemoryFence(ordering: .releasing)
    }

    /// The generation slot `k` holds (an acquire load).
    /// - Parameter k: the slot, `0 <= k < slots` (checked).
    /// - Returns: the last value given to `beginUse` for slot `k`, or 0.
    public func generation(slot k: Int) -> UInt64 {
        generationPointer(k).pointee.load(ordering: .acquiring)
    }

    /// The atomic generation word of slot `k`.
    private func generationPointer(_ k: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        precondition(k >= 0 && k < slots, "slot \(k) out of range 0..<\(slots)")
        return (base + SharedSegmentLayout.generationOffset(k)).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
}
#endif
