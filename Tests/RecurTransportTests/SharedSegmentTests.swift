// Shared-memory segments: write/attach round trips through /proc, read-only mappings, seals, refusals, cleanup.
#if os(Linux)
import CSharedMemory
import Foundation
import Glibc
import RecurTransport
import XCTest

final class SharedSegmentTests: XCTestCase {
    /// The four seals a segment carries: shrink, grow, seal, future-write.
    let allSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL | F_SEAL_FUTURE_WRITE

    func testDataAndGenerationsWrittenBySegmentAreReadThroughProcFd() throws {
        let segment = try SharedSegment(name: unique(), slots: 3, slotBytes: 100)
        let d = segment.descriptor
        XCTAssertEqual(segment.slots, 3)
        XCTAssertEqual(segment.slotBytes, 128, "rounded up to a multiple of 64")
        XCTAssertEqual(d.pid, UInt32(getpid()))
        XCTAssertNotEqual(d.token, 0)
        XCTAssertEqual(d.byteCount, 4096 + 3 * 128)
        XCTAssertEqual(Int(bitPattern: segment.slot(0)) % 4096, 0, "data starts on a page")
        XCTAssertEqual(segment.slot(2) - segment.slot(1), 128)

        let floats: [Float] = [1.5, -2.25, 3e7, .pi]
        floats.withUnsafeBytes { segment.slot(1).advanced(by: 16).copyMemory(from: $0.baseAddress!, byteCount: 16) }
        segment.slot(2).storeBytes(of: 0xAB, toByteOffset: 127, as: UInt8.self)
        segment.beginUse(slot: 2, generation: 7)

        let mapping = try SharedMapping(attaching: d)
        XCTAssertEqual(mapping.descriptor, d)
        XCTAssertEqual(mapping.slots, 3)
        XCTAssertEqual(mapping.slotBytes, 128)
        let p = try XCTUnwrap(mapping.bytes(slot: 1, offset: 16, count: 16))
        XCTAssertNotEqual(p, UnsafeRawPointer(segment.slot(1) + 16), "a second mapping, not the writer's")
        XCTAssertEqual((0..<4).map { p.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }, floats)
        XCTAssertEqual(mapping.bytes(slot: 2, offset: 127, count: 1)?.load(as: UInt8.self), 0xAB)
        XCTAssertEqual(mapping.bytes(slot: 0, offset: 0, count: 128).map { Array(UnsafeRawBufferPointer(start: $0, count: 128)) },
                       [UInt8](repeating: 0, count: 128), "untouched slots are zero")
        XCTAssertEqual((0..<3).map { mapping.generation(slot: $0) }, [0, 0, 7])
        XCTAssertEqual((0..<3).map { segment.generation(slot: $0) }, [0, 0, 7])

        // The mapping is live: later writes show through it.
        segment.beginUse(slot: 0, generation: 1 << 40)
        segment.slot(0).storeBytes(of: 0xDEAD_BEEF, toByteOffset: 8, as: UInt32.self)
        XCTAssertEqual(mapping.generation(slot: 0), 1 << 40)
        XCTAssertEqual(mapping.bytes(slot: 0, offset: 8, count: 4)?.loadUnaligned(as: UInt32.self), 0xDEAD_BEEF)
        withExtendedLifetime((segment, mapping)) {}
    }

    func testSixtyFourSlotsUseATwoPageHeader() throws {
        let segment = try SharedSegment(name: unique(), slots: 64, slotBytes: 1)
        XCTAssertEqual(segment.slotBytes, 64)
        XCTAssertEqual(segment.descriptor.byteCount, 8192 + 64 * 64)
        segment.beginUse(slot: 63, generation: 99)
        segment.slot(63).storeBytes(of: 0x5A, toByteOffset: 63, as: UInt8.self)
        let mapping = try SharedMapping(attaching: segment.descriptor)
        XCTAssertEqual(mapping.generation(slot: 63), 99)
        XCTAssertEqual(mapping.generation(slot: 62), 0)
        XCTAssertEqual(mapping.bytes(slot: 63, offset: 63, count: 1)?.load(as: UInt8.self), 0x5A)
        withExtendedLifetime((segment, mapping)) {}
    }

    func testAnotherProcessCanOpenTheSegmentThroughProc() throws {
        let segment = try SharedSegment(name: unique(), slots: 1, slotBytes: 64)
        let d = segment.descriptor
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/head")
        process.arguments = ["-c", "8", "/proc/\(d.pid)/fd/\(d.fd)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(String(decoding: output, as: UTF8.self), "RECURSHM")
        withExtendedLifetime(segment) {}
    }

    func testWriterMapsReadWriteSharedAndReaderReadOnlyShared() throws {
        let name = unique()
        let segment = try SharedSegment(name: name, slots: 2, slotBytes: 64)
        let mapping = try SharedMapping(attaching: segment.descriptor)
        let writer = try XCTUnwrap(mapsLine(containing: UnsafeRawPointer(segment.slot(0))))
        let reader = try XCTUnwrap(mapsLine(containing: try XCTUnwrap(mapping.bytes(slot: 0, offset: 0, count: 1))))
        XCTAssertEqual(writer.permissions, "rw-s")
        XCTAssertTrue(reader.permissions.hasPrefix("r--"), reader.permissions)
        XCTAssertTrue(reader.permissions.hasSuffix("s"), reader.permissions)
        XCTAssertTrue(writer.line.contains("memfd:recur-\(name)"), writer.line)
        XCTAssertTrue(reader.line.contains("memfd:recur-\(name)"), reader.line)
        // The reader cannot upgrade its mapping to writable.
        let page = UnsafeMutableRawPointer(mutating: try XCTUnwrap(mapping.bytes(slot: 0, offset: 0, count: 1)))
        XCTAssertEqual(failure(mprotect(page, 4096, PROT_READ | PROT_WRITE)), EACCES)
        withExtendedLifetime((segment, mapping)) {}
    }

    func testSegmentIsSealedAgainstResizingAndNewWritableMappings() throws {
        let segment = try SharedSegment(name: unique(), slots: 1, slotBytes: 64)
        let d = segment.descriptor
        let readOnly = open("/proc/self/fd/\(d.fd)", O_RDONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(readOnly, 0)
        defer { close(readOnly) }
        XCTAssertEqual(fcntl(readOnly, F_GET_SEALS), allSeals)

        let readWrite = open("/proc/self/fd/\(d.fd)", O_RDWR | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(readWrite, 0, String(cString: strerror(errno)))
        defer { close(readWrite) }
        XCTAssertEqual(failure(ftruncate(readWrite, 0)), EPERM, "F_SEAL_SHRINK")
        XCTAssertEqual(failure(ftruncate(readWrite, off_t(d.byteCount) * 2)), EPERM, "F_SEAL_GROW")
        let writable = mmap(nil, Int(d.byteCount), PROT_READ | PROT_WRITE, MAP_SHARED, readWrite, 0)
        XCTAssertEqual(writable == MAP_FAILED ? errno : 0, EPERM, "F_SEAL_FUTURE_WRITE")
        var byte: UInt8 = 1
        XCTAssertEqual(failure(pwrite(readWrite, &byte, 1, 4096)), EPERM, "F_SEAL_FUTURE_WRITE")
        XCTAssertEqual(failure(fcntl(readWrite, F_ADD_SEALS, F_SEAL_WRITE)), EPERM, "F_SEAL_SEAL")
        XCTAssertEqual(fileSize(readOnly), Int(d.byteCount), "size unchanged")
        // The writer's own mapping, made before the seals, stays writable.
        segment.slot(0).storeBytes(of: 42, as: UInt8.self)
        let mapping = try SharedMapping(attaching: d)
        XCTAssertEqual(mapping.bytes(slot: 0, offset: 0, count: 1)?.load(as: UInt8.self), 42)
        withExtendedLifetime((segment, mapping)) {}
    }

    func testRefusesWrongTokenSizeAndUnreachablePeers() throws {
        let segment = try SharedSegment(name: unique(), slots: 2, slotBytes: 64)
        let d = segment.descriptor
        var other = d
        other.token = d.token &+ 1
        assertRefused(other, .badHeader("token differs from the descriptor's"))
        other.token = 0
        assertRefused(other, .badHeader("token differs from the descriptor's"))
        other = d
        other.byteCount = d.byteCount + 4096
        assertRefused(other, .sizeMismatch(expected: d.byteCount + 4096, actual: d.byteCount))
        other.byteCount = d.byteCount - 1
        assertRefused(other, .sizeMismatch(expected: d.byteCount - 1, actual: d.byteCount))
        let pidMax = try UInt32(XCTUnwrap(UInt32(procText("/proc/sys/kernel/pid_max")
            .trimmingCharacters(in: .whitespacesAndNewlines))))
        other = d
        other.pid = pidMax + 1
        assertRefused(other, .unreachable(pid: pidMax + 1, fd: d.fd, errno: ENOENT))
        other = d
        other.fd = 1_000_000
        assertRefused(other, .unreachable(pid: d.pid, fd: 1_000_000, errno: ENOENT))
        other.fd = -1
        assertRefused(other, .unreachable(pid: d.pid, fd: -1, errno: EBADF))
        XCTAssertNotNil(try? SharedMapping(attaching: d), "the right descriptor still attaches")
        withExtendedLifetime(segment) {}
    }

    func testRefusesPlainFilesUnsealedMemfdsAndForgedHeaders() throws {
        let size = 4096 + 64
        let path = NSTemporaryDirectory() + "recur-shm-plain-\(getpid())"
        let plain = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        XCTAssertGreaterThanOrEqual(plain, 0)
        defer { close(plain); unlink(path) }
        XCTAssertEqual(ftruncate(plain, off_t(size)), 0)
        assertRefused(descriptor(plain, size), .notSealed(seals: -1))

        for (flags, seals, expected) in [(MFD_ALLOW_SEALING, Int32(0), Int32(0)),
                                         (0, 0, F_SEAL_SEAL),
                                         (MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, 7)] {
            let fd = memfd(size, flags: flags, header: validHeader(slots: 1, slotBytes: 64), seals: seals)
            defer { close(fd) }
            assertRefused(descriptor(fd, size), .notSealed(seals: expected))
        }

        let forgeries: [([UInt8], SharedMemoryError)] = [
            (Array("RECURSHN".utf8) + validHeader(slots: 1, slotBytes: 64).dropFirst(8),
             .badHeader("magic is not \"RECURSHM\"")),
            (validHeader(slots: 1, slotBytes: 64, format: 2), .badHeader("format 2, expected 1")),
            (validHeader(slots: 2, slotBytes: 64), .badHeader("2 slots of 64 bytes do not fill \(size) bytes")),
            (validHeader(slots: 1, slotBytes: 32), .badHeader("1 slots of 32 bytes is not a valid geometry")),
            (validHeader(slots: 0, slotBytes: 64), .badHeader("0 slots of 64 bytes is not a valid geometry")),
            (validHeader(slots: 1 << 62, slotBytes: 64), .badHeader("\(1 << 62) slots of 64 bytes is not a valid geometry")),
        ]
        for (header, expected) in forgeries {
            let fd = memfd(size, flags: MFD_ALLOW_SEALING, header: header, seals: allSeals)
            defer { close(fd) }
            assertRefused(descriptor(fd, size), expected)
        }
        // The same construction with a valid header is accepted, so the refusals above are the header's.
        let fd = memfd(size, flags: MFD_ALLOW_SEALING, header: validHeader(slots: 1, slotBytes: 64), seals: allSeals)
        defer { close(fd) }
        XCTAssertEqual(try SharedMapping(attaching: descriptor(fd, size)).slotBytes, 64)
    }

    func testBytesIsBoundsCheckedAndOverflowSafe() throws {
        let segment = try SharedSegment(name: unique(), slots: 2, slotBytes: 64)
        segment.slot(1).storeBytes(of: 0x77, toByteOffset: 63, as: UInt8.self)
        let m = try SharedMapping(attaching: segment.descriptor)
        for (k, offset, count) in [(-1, 0, 1), (2, 0, 1), (Int.min, 0, 1), (Int.max, 0, 1),
                                   (0, -1, 1), (0, Int.min, 1), (0, 0, -1), (0, 1, Int.min),
                                   (0, 0, 65), (0, 1, 64), (0, 63, 2), (0, 64, 1), (0, 65, 0),
                                   (1, Int.max, 1), (1, 1, Int.max), (1, Int.max, Int.max), (1, Int.max, 0)] {
            XCTAssertNil(m.bytes(slot: k, offset: offset, count: count), "slot \(k) offset \(offset) count \(count)")
        }
        let start0 = try XCTUnwrap(m.bytes(slot: 0, offset: 0, count: 64))
        let start1 = try XCTUnwrap(m.bytes(slot: 1, offset: 0, count: 64))
        XCTAssertEqual(start1 - start0, 64)
        XCTAssertEqual(m.bytes(slot: 1, offset: 63, count: 1)?.load(as: UInt8.self), 0x77)
        XCTAssertEqual(m.bytes(slot: 1, offset: 64, count: 0), start1 + 64, "empty range at the very end")
        XCTAssertEqual(m.bytes(slot: 0, offset: 10, count: 54), start0 + 10)
        XCTAssertNil(m.generation(slot: -1))
        XCTAssertNil(m.generation(slot: 2))
        withExtendedLifetime((segment, m)) {}
    }

    func testReleaseClosesTheFdAndLeavesNothingBehind() throws {
        let name = unique()
        var segment: SharedSegment? = try SharedSegment(name: name, slots: 1, slotBytes: 64)
        let d = try XCTUnwrap(segment?.descriptor)
        segment?.slot(0).storeBytes(of: 0x99, as: UInt8.self)
        XCTAssertTrue(link("/proc/self/fd/\(d.fd)").hasPrefix("/memfd:recur-\(name)"), link("/proc/self/fd/\(d.fd)"))
        var mapping: SharedMapping? = try SharedMapping(attaching: d)
        segment = nil
        XCTAssertEqual(failure(fcntl(d.fd, F_GETFD)), EBADF, "the fd is closed")
        XCTAssertEqual(mapping?.bytes(slot: 0, offset: 0, count: 1)?.load(as: UInt8.self), 0x99,
                       "a mapping outlives the writer")
        XCTAssertTrue(try procText("/proc/self/maps").contains("memfd:recur-\(name)"))
        mapping = nil
        XCTAssertFalse(try procText("/proc/self/maps").contains("memfd:recur-\(name)"), "both mappings are gone")
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        XCTAssertFalse(fds.contains { link("/proc/self/fd/\($0)").contains("recur-\(name)") })
        let shm = (try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []
        XCTAssertEqual(shm.filter { $0.hasPrefix("recur-") }, [])
        assertRefused(d, .unreachable(pid: d.pid, fd: d.fd, errno: ENOENT))
    }

    func testBadGeometryIsRefused() {
        for (slots, slotBytes) in [(0, 64), (-1, 64), (65, 64), (Int.min, 64), (1, 0), (1, -5), (1, Int.min),
                                   (1, Int.max), (2, Int.max - 63), (64, 1 << 35), (1, (1 << 40) + 1)] {
            XCTAssertThrowsError(try SharedSegment(name: unique(), slots: slots, slotBytes: slotBytes)) { error in
                XCTAssertTrue("\(error)".hasPrefix("shm: invalid segment geometry"), "\(slots) x \(slotBytes): \(error)")
            }
        }
        XCTAssertThrowsError(try SharedSegment(name: String(repeating: "x", count: 244), slots: 1, slotBytes: 64)) {
            XCTAssertTrue("\($0)".hasPrefix("shm: invalid segment geometry: name"), "\($0)")
        }
        XCTAssertNoThrow(try SharedSegment(name: String(repeating: "x", count: 243), slots: 1, slotBytes: 64))
    }

    func testErrorDescriptionsAreOneLineWithCallReasonAndHint() {
        let cases: [(SharedMemoryError, [String])] = [
            (.system(call: "memfd_create", errno: EMFILE), ["memfd_create", "Too many open files", "ulimit"]),
            (.unreachable(pid: 12, fd: 5, errno: EACCES), ["/proc/12/fd/5", "Permission denied", "same user"]),
            (.unreachable(pid: 12, fd: 5, errno: ENOENT), ["No such file", "another host"]),
            (.notSealed(seals: 7), ["0x7", "future-write"]),
            (.notSealed(seals: -1), ["not a memfd"]),
            (.sizeMismatch(expected: 8, actual: 9), ["9 bytes", "says 8", "stale"]),
            (.badHeader("token"), ["token", "hint"]),
            (.badGeometry("0 slots"), ["0 slots", "1...64"]),
        ]
        for (error, parts) in cases {
            XCTAssertFalse(error.description.contains("\n"))
            for part in parts { XCTAssertTrue(error.description.contains(part), "\(error.description) lacks \(part)") }
        }
    }
}

extension SharedSegmentTests {
    /// A segment name no other test (or run) uses.
    func unique() -> String { "test-\(getpid())-\(UUID().uuidString.prefix(8))" }

    /// The whole text of a /proc file (read to the end: /proc files report size 0).
    func procText(_ path: String) throws -> String {
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: path))
        defer { try? handle.close() }
        return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    }

    /// The target of the symbolic link at `path`, or "" when it is not one.
    func link(_ path: String) -> String { (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "" }

    /// The /proc/self/maps line whose address range holds `address`, and its permission string.
    func mapsLine(containing address: UnsafeRawPointer) throws -> (line: String, permissions: String)? {
        let target = UInt(bitPattern: address)
        for line in try procText("/proc/self/maps").split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let range = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            if range.count == 2, range[0] <= target, target < range[1] { return (String(line), String(fields[1])) }
        }
        return nil
    }

    /// The errno a failed call left (read right after `result` is computed), or 0 when it did not fail.
    func failure<T: BinaryInteger>(_ result: T) -> Int32 { result == -1 ? errno : 0 }

    /// The size of the file `fd` refers to.
    func fileSize(_ fd: Int32) -> Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : -1
    }

    /// A descriptor for this process's `fd` with a fixed token and `size` bytes.
    func descriptor(_ fd: Int32, _ size: Int) -> SharedSegmentDescriptor {
        SharedSegmentDescriptor(pid: UInt32(getpid()), fd: fd, token: 0x1234_5678_9ABC_DEF0, byteCount: UInt64(size))
    }

    /// A segment header as `SharedSegment` writes it, with the token `descriptor(_:_:)` uses.
    func validHeader(slots: UInt64, slotBytes: UInt64, format: UInt32 = 1) -> [UInt8] {
        func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        return Array("RECURSHM".utf8) + bytes(format) + bytes(UInt32(0)) + bytes(UInt64(0x1234_5678_9ABC_DEF0))
            + bytes(slots) + bytes(slotBytes)
    }

    /// A memfd made by hand: `size` bytes starting with `header`, then `seals` added (when nonzero).
    func memfd(_ size: Int, flags: UInt32, header: [UInt8], seals: Int32) -> Int32 {
        let fd = memfd_create("recur-test-forged", flags | UInt32(MFD_CLOEXEC))
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(ftruncate(fd, off_t(size)), 0)
        XCTAssertEqual(pwrite(fd, header, header.count, 0), header.count)
        if seals != 0 { XCTAssertEqual(fcntl(fd, F_ADD_SEALS, seals), 0, String(cString: strerror(errno))) }
        return fd
    }

    /// Asserts that attaching `d` throws exactly `expected`.
    func assertRefused(_ d: SharedSegmentDescriptor, _ expected: SharedMemoryError,
                       file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try SharedMapping(attaching: d)
            XCTFail("expected \(expected), attached", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? SharedMemoryError, expected, "\(error)", file: file, line: line)
        }
    }
}
#endif
