// The reader's side of a same-host shared-memory segment: a peer's sealed memfd mapped read-only.
#if os(Linux)
import CSharedMemory
import Glibc
import RecurWire
import Synchronization

/// A peer's segment mapped read-only in this process.
///
/// The segment is untrusted memory: the geometry is read from the header once, checked against the
/// sealed file size, and kept here, so a writer that later scribbles on its header cannot move any
/// bound; every access is bounds-checked. The seals guarantee the file never shrinks under the
/// mapping. The mapping stays valid after the writer exits (it keeps the memory alive).
/// `@unchecked Sendable`: every property is a constant set in `init`, and the memory is only read.
public final class SharedMapping: @unchecked Sendable {
    /// The descriptor this mapping was attached with.
    public let descriptor: SharedSegmentDescriptor
    /// The number of slots.
    public let slots: Int
    /// The size of each slot in bytes.
    public let slotBytes: Int
    /// The whole segment, mapped read-only and shared.
    private let base: UnsafeRawPointer
    /// The mapping's length in bytes (`descriptor.byteCount`).
    private let byteCount: Int
    /// Bytes before slot 0.
    private let headerBytes: Int

    /// Maps a peer's segment: opens `/proc/<pid>/fd/<fd>` read-only (O_CLOEXEC), checks with
    /// F_GET_SEALS that it carries the shrink, grow, seal and future-write seals, then that its size
    /// is `d.byteCount` (after the seals, so it cannot change later), maps it read-only and shared,
    /// closes the fd, and checks the header: magic, format, token, and that
    /// header + slots * slotBytes == byteCount.
    /// - Parameter d: the writer's descriptor, received from the peer.
    /// - Throws: `SharedMemoryError.unreachable` when the file cannot be opened (another host, user
    ///   or PID namespace, or gone), `.notSealed`, `.sizeMismatch`, `.badHeader`, or `.system`
    ///   naming the failed call (fcntl(F_GET_SEALS), fstat, mmap).
    public init(attaching d: SharedSegmentDescriptor) throws {
        guard d.fd >= 0 else { throw SharedMemoryError.unreachable(pid: d.pid, fd: d.fd, errno: EBADF) }
        let fd = open("/proc/\(d.pid)/fd/\(d.fd)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SharedMemoryError.unreachable(pid: d.pid, fd: d.fd, errno: errno) }
        defer { close(fd) }

        let seals = fcntl(fd, F_GET_SEALS)
        if seals < 0 {
            guard errno == EINVAL else { throw SharedMemoryError.system(call: "fcntl(F_GET_SEALS)", errno: errno) }
            throw SharedMemoryError.notSealed(seals: -1)
        }
        let required = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL | F_SEAL_FUTURE_WRITE
        guard seals & required == required else { throw SharedMemoryError.notSealed(seals: seals) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SharedMemoryError.system(call: "fstat", errno: errno) }
        let actual = UInt64(max(0, info.st_size))
        guard actual == d.byteCount else {
            throw SharedMemoryError.sizeMismatch(expected: d.byteCount, actual: actual)
        }
        let pageBytes = UInt64(SharedSegmentLayout.pageBytes)
        let largest = UInt64(SharedSegmentLayout.headerBytes(slots: SharedSegmentLayout.maxSlots)
                             + SharedSegmentLayout.maxDataBytes)
        guard d.byteCount > pageBytes, d.byteCount <= largest else {
            throw SharedMemoryError.badHeader("size \(d.byteCount) bytes is outside \(pageBytes + 1)...\(largest)")
        }
        let byteCount = Int(d.byteCount)
        let address = mmap(nil, byteCount, PROT_READ, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else { throw SharedMemoryError.system(call: "mmap", errno: errno) }

        let base = UnsafeRawPointer(address)
        let geometry: (slots: Int, slotBytes: Int)
        do {
            geometry = try Self.checkHeader(base, token: d.token, byteCount: byteCount)
        } catch {
            munmap(address, byteCount)
            throw error
        }
        for k in 0..<geometry.slots {
            (base + SharedSegmentLayout.generationOffset(k)).bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        }
        self.descriptor = d
        self.base = base
        self.byteCount = byteCount
        self.slots = geometry.slots
        self.slotBytes = geometry.slotBytes
        self.headerBytes = SharedSegmentLayout.headerBytes(slots: geometry.slots)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), byteCount)
    }

    /// Reads the header once and checks it against the expected token and the mapped size.
    /// - Returns: the segment's slot count and slot size.
    private static func checkHeader(_ base: UnsafeRawPointer, token: UInt64,
                                    byteCount: Int) throws -> (slots: Int, slotBytes: Int) {
        typealias L = SharedSegmentLayout
        func field(_ offset: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        let magic = Array(UnsafeRawBufferPointer(start: base, count: L.magic.count))
        guard magic == L.magic else { throw SharedMemoryError.badHeader("magic is not \"RECURSHM\"") }
        let format = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: L.formatOffset, as: UInt32.self))
        guard format == L.format else { throw SharedMemoryError.badHeader("format \(format), expected \(L.format)") }
        guard token != 0, field(L.tokenOffset) == token else {
            throw SharedMemoryError.badHeader("token differs from the descriptor's")
        }
        let slots = field(L.slotsOffset), slotBytes = field(L.slotBytesOffset)
        guard slots >= 1, slots <= UInt64(L.maxSlots), slotBytes >= 1, slotBytes <= UInt64(L.maxDataBytes),
              slotBytes % UInt64(L.lineBytes) == 0 else {
            throw SharedMemoryError.badHeader("\(slots) slots of \(slotBytes) bytes is not a valid geometry")
        }
        let (data, overflow) = slots.multipliedReportingOverflow(by: slotBytes)
        let expected = UInt64(L.headerBytes(slots: Int(slots))).addingReportingOverflow(data)
        guard !overflow, !expected.overflow, expected.partialValue == UInt64(byteCount) else {
            throw SharedMemoryError.badHeader("\(slots) slots of \(slotBytes) bytes do not fill \(byteCount) bytes")
        }
        return (Int(slots), Int(slotBytes))
    }

    /// `count` bytes at `offset` within slot `k`, or nil when any part lies outside the slot.
    /// The bytes may change under the caller (the writer owns them): copy, then check the generation.
    /// - Parameters:
    ///   - k: the slot; out of `0..<slots` gives nil.
    ///   - offset: the first byte's offset within the slot; negative gives nil.
    ///   - count: the number of bytes; negative, or reaching past the slot's end, gives nil.
    /// - Returns: the address of the first byte, valid while this mapping lives, or nil.
    public func bytes(slot k: Int, offset: Int, count: Int) -> UnsafeRawPointer? {
        guard k >= 0, k < slots, offset >= 0, count >= 0, offset <= slotBytes, count <= slotBytes - offset else {
            return nil
        }
        return base + headerBytes + k * slotBytes + offset
    }

    /// The generation slot `k` holds now: an acquire fence first (so loads of slot data made
    /// before this call are ordered before it, the reader side of a seqlock), then an acquire load.
    /// - Parameter k: the slot; out of `0..<slots` gives nil.
    /// - Returns: the slot's generation, or nil for a bad slot index.
    public func generation(slot k: Int) -> UInt64? {
        guard k >= 0, k < slots else { return nil }
        atomicMemoryFence(ordering: .acquiring)
        let word = (base + SharedSegmentLayout.generationOffset(k)).assumingMemoryBound(to: Atomic<UInt64>.self)
        return word.pointee.load(ordering: .acquiring)
    }
}
#endif
