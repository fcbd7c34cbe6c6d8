// TensorBoardWriter: file naming, the version event, exact round trips and its errors.
import Foundation
import RecurBoard
import RecurIO
import XCTest
#if canImport(Glibc)
import Glibc
/// `RLIMIT_FSIZE` as `setrlimit` takes it (Glibc imports it as an enum case).
let RLIMIT_FSIZE_ID = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
#else
import Darwin
let RLIMIT_FSIZE_ID = RLIMIT_FSIZE
#endif

final class TensorBoardWriterTests: XCTestCase {
    /// Three log steps of a run, with values float32 rounds and a zero that must stay present.
    let steps: [(step: Int, wallTime: Double, scalars: [(tag: String, value: Double)])] = [
        (1, 1_700_000_001.5, [("train/loss", 2.302585092994046), ("opt/lr", 0.001)]),
        (2, 1_700_000_002.5, [("train/loss", 2.1), ("val/loss", 2.25), ("opt/lr", 0.001)]),
        (25, 1_700_000_025.5, [("train/loss", 0.123456789), ("val/loss", -1e-8), ("opt/lr", 0)]),
    ]

    /// Writes `steps` into a new file in `directory` and returns its path.
    private func writeRun(in directory: String) throws -> String {
        let writer = try TensorBoardWriter(directory: directory, wallTime: 1_700_000_000.75, hostname: "testhost")
        for entry in steps {
            try writer.write(step: entry.step, scalars: entry.scalars, wallTime: entry.wallTime)
        }
        writer.close()
        return writer.path
    }

    func testRoundTripIsExact() throws {
        let directory = try makeBoardDirectory(self)
        let path = try writeRun(in: directory)
        XCTAssertEqual(path, directory + "/events.out.tfevents.1700000000.testhost")
        let events = try TensorBoardReader.read(path: path)
        XCTAssertEqual(events.first, TensorBoardEvent(wallTime: 1_700_000_000.75, step: 0,
                                                      content: .fileVersion("brain.Event:2")))
        XCTAssertEqual(Array(events.dropFirst()), steps.map {
            TensorBoardEvent(wallTime: $0.wallTime, step: $0.step, content: .summary(stored($0.scalars)))
        })
    }

    /// Leaves the run in `$RECUR_TB_OUT` when set, for scripts/tensorboard_check.py to read
    /// with TensorBoard's own reader; otherwise a temporary folder.
    func testWritesAFileForTensorBoardsReader() throws {
        let outside = ProcessInfo.processInfo.environment["RECUR_TB_OUT"]
        let directory = try outside ?? makeBoardDirectory(self)
        let path = try writeRun(in: directory)
        XCTAssertEqual(try TensorBoardReader.read(path: path).count, 1 + steps.count)
        if outside != nil { print("TensorBoardWriterTests: wrote \(path)") }
    }

    func testCreatesNestedDirectoriesAndNeverReusesAFile() throws {
        let directory = try makeBoardDirectory(self) + "/runs/a/b"
        let first = try TensorBoardWriter(directory: directory, wallTime: 5, hostname: "h")
        let second = try TensorBoardWriter(directory: directory, wallTime: 5.9, hostname: "h")
        XCTAssertEqual(first.path, directory + "/events.out.tfevents.5.h")
        XCTAssertEqual(second.path, directory + "/events.out.tfevents.5.h.1")
        try first.write(step: 3, scalars: [("x", 1)], wallTime: 6)
        XCTAssertEqual(try TensorBoardReader.read(path: second.path).count, 1)
        XCTAssertEqual(try TensorBoardReader.read(path: first.path).last?.scalars, [TensorBoardScalar(tag: "x", value: 1)])
        XCTAssertEqual(try eventFiles(in: directory).count, 2)
    }

    func testDefaultNameUsesThisHostAndTheClock() throws {
        let directory = try makeBoardDirectory(self)
        let before = Int(TensorBoardWriter.now())
        let writer = try TensorBoardWriter(directory: directory)
        let name = try XCTUnwrap(try eventFiles(in: directory).first)
        XCTAssertEqual(directory + "/" + name, writer.path)
        let parts = name.dropFirst(TensorBoardWriter.filePrefix.count).split(separator: ".", maxSplits: 1)
        let seconds = try XCTUnwrap(Int(parts[0]))
        XCTAssertTrue((before...(before + 2)).contains(seconds), "\(name)")
        XCTAssertFalse(parts[1].isEmpty)
    }

    func testEmptySummaryAndLargeStepsRoundTrip() throws {
        let writer = try TensorBoardWriter(directory: makeBoardDirectory(self), wallTime: 1, hostname: "h")
        try writer.write(step: 0, scalars: [], wallTime: 2)
        try writer.write(step: 1 << 40, scalars: [("", .infinity), ("é/ü", -0.5)], wallTime: 3)
        let events = try TensorBoardReader.read(path: writer.path)
        XCTAssertEqual(events[1], TensorBoardEvent(wallTime: 2, step: 0, content: .summary([])))
        XCTAssertEqual(events[2], TensorBoardEvent(wallTime: 3, step: 1 << 40, content: .summary([
            TensorBoardScalar(tag: "", value: .infinity), TensorBoardScalar(tag: "é/ü", value: -0.5),
        ])))
    }

    func testNaNIsStoredAsNaN() throws {
        let writer = try TensorBoardWriter(directory: makeBoardDirectory(self), wallTime: 1, hostname: "h")
        try writer.write(step: 7, scalars: [("train/loss", .nan)], wallTime: 2)
        let value = try XCTUnwrap(try TensorBoardReader.read(path: writer.path).last?.scalars.first?.value)
        XCTAssertTrue(value.isNaN)
    }

    func testTagWithNULThrowsAndWritesNothing() throws {
        let writer = try TensorBoardWriter(directory: makeBoardDirectory(self), wallTime: 1, hostname: "h")
        XCTAssertThrowsError(try writer.write(step: 1, scalars: [("ok", 1), ("a\u{0}b", 2)], wallTime: 2)) { error in
            XCTAssertEqual(error as? TensorBoardError, .tagWithNUL(path: writer.path, tag: "a\u{0}b"))
            XCTAssertTrue("\(error)".hasPrefix(writer.path + ": tag "), "\(error)")
        }
        XCTAssertEqual(try TensorBoardReader.read(path: writer.path).count, 1)
    }

    func testWriteAfterCloseThrowsNamingTheFile() throws {
        let writer = try TensorBoardWriter(directory: makeBoardDirectory(self), wallTime: 1, hostname: "h")
        writer.close()
        writer.close()
        XCTAssertThrowsError(try writer.write(step: 1, scalars: [("a", 1)], wallTime: 2)) { error in
            XCTAssertEqual((error as? FileSystemError)?.path, writer.path)
            XCTAssertEqual((error as? FileSystemError)?.operation, "write")
        }
    }

    func testUnwritableDirectoryThrowsOneLineNamingIt() throws {
        let file = try makeBoardDirectory(self) + "/plain-file"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data()))
        XCTAssertThrowsError(try TensorBoardWriter(directory: file + "/run", wallTime: 1, hostname: "h")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(file), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    /// An existing entry with the file's name (here a link to /dev/full) is never opened.
    func testNeverOpensAnExistingEntry() throws {
        let directory = try makeBoardDirectory(self)
        let link = directory + "/events.out.tfevents.1.h"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/full")
        let writer = try TensorBoardWriter(directory: directory, wallTime: 1, hostname: "h")
        XCTAssertEqual(writer.path, link + ".1")
    }

    /// A write the file system refuses (here the file-size limit, EFBIG, standing in for a full
    /// disk's ENOSPC) throws a one-line error naming the file, and cuts the file back to its last
    /// whole event: it stays readable, and later writes append after it.
    func testRefusedWriteThrowsAndKeepsTheFileReadable() throws {
        let writer = try TensorBoardWriter(directory: makeBoardDirectory(self), wallTime: 1, hostname: "h")
        try writer.write(step: 1, scalars: [("a", 1)], wallTime: 2)
        let whole = try fileBytes(writer.path).count
        let big = [(tag: String, value: Double)](repeating: ("train/loss", 1), count: 50)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(RLIMIT_FSIZE_ID, &saved), 0)
        let previous = signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = rlim_t(whole + 100)   // room for part of the next event only
        XCTAssertEqual(setrlimit(RLIMIT_FSIZE_ID, &limited), 0)
        let outcome = Result { try writer.write(step: 2, scalars: big, wallTime: 3) }
        XCTAssertEqual(setrlimit(RLIMIT_FSIZE_ID, &saved), 0)
        signal(SIGXFSZ, previous)
        XCTAssertThrowsError(try outcome.get()) { error in
            XCTAssertEqual("\(error)", "write \(writer.path): File too large")
        }
        XCTAssertEqual(try fileBytes(writer.path).count, whole)
        try writer.write(step: 3, scalars: [("b", 2)], wallTime: 4)
        XCTAssertEqual(try TensorBoardReader.read(path: writer.path).map(\.step), [0, 1, 3])
    }
}
