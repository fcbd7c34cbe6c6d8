// LossChartRenderTests: a real SVG renderer (rsvg-convert, Debian's librsvg2-bin) draws the chart
// at its stated size, and the picture is not blank: it has ink, and the first run's colour.
// netpbm's pngtopnm turns the PNG into PPM, whose pixels need no decompressor to count.
import Foundation
import RecurTrain
import XCTest

final class LossChartRenderTests: XCTestCase {
    /// The two-panel chart renders to a 900 × 800 PNG whose curves are drawn.
    func testChartRasterisesAtItsSizeAndIsNotBlank() throws {
        let rsvg = try Self.tool("rsvg-convert", package: "librsvg2-bin")
        let pngtopnm = try Self.tool("pngtopnm", package: "netpbm")
        let folder = try TempFolder.make(prefix: "recur-render")
        defer { try? FileManager.default.removeItem(at: folder) }
        let runs = [ChartRun(name: "sentiment", lines: ChartFixtures.classifier),
                    ChartRun(name: "newer", lines: ChartFixtures.newer)]
        let svgURL = folder.appendingPathComponent("chart.svg"), pngURL = folder.appendingPathComponent("chart.png")
        try LossChart.svg(runs: runs).write(to: svgURL, atomically: true, encoding: .utf8)

        _ = try Self.run(rsvg, ["--format", "png", "--output", pngURL.path, svgURL.path])
        let png = try Data(contentsOf: pngURL)
        let size = try XCTUnwrap(Self.pngSize(png), "rsvg-convert wrote no PNG")
        XCTAssertEqual(size.width, 900)
        XCTAssertEqual(size.height, 800)

        let image = try XCTUnwrap(PPM(try Self.run(pngtopnm, [pngURL.path])), "pngtopnm wrote no binary PPM")
        XCTAssertEqual(image.width, 900)
        XCTAssertEqual(image.height, 800)
        let inked = image.count { $0.r < 240 || $0.g < 240 || $0.b < 240 }
        XCTAssertGreaterThan(inked, image.width * image.height / 100, "fewer than 1% of the pixels are drawn on")
        // The first run's curves are #0072B2; anti-aliased edges blend, so allow some distance.
        let blue = image.count { abs($0.r - 0x00) < 40 && abs($0.g - 0x72) < 40 && abs($0.b - 0xB2) < 40 }
        XCTAssertGreaterThan(blue, 300, "the first run's colour is barely there (\(blue) pixels)")
    }

    /// Width and height from a PNG's IHDR chunk (bytes 16…23, big-endian), nil if it is not a PNG.
    static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data)
        guard bytes.count >= 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
              String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR" else { return nil }
        let be = { (i: Int) in bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }

    /// The tool `name` on PATH.
    /// - Throws: `XCTSkip` naming the Debian package when it is not installed.
    static func tool(_ name: String, package: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let url = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw XCTSkip("\(name) is not installed: apt-get install \(package) (scripts/install-deps.sh does)")
    }

    /// Runs `tool arguments…` and returns its standard output.
    /// - Throws: `CLITestError` when it exits non-zero.
    static func run(_ tool: URL, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLITestError("\(tool.lastPathComponent) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return data
    }
}

/// A binary PPM (P6, 8-bit) image: a text header, then RGB bytes row by row.
struct PPM {
    let width: Int
    let height: Int
    private let pixels: [UInt8]

    /// Decodes `data`; nil unless it is an 8-bit P6 image with all its pixels.
    init?(_ data: Data) {
        let bytes = [UInt8](data)
        var fields: [Int] = [], index = 2, current = ""
        guard bytes.starts(with: Array("P6".utf8)) else { return nil }
        // Three numbers follow (width, height, maximum), then exactly one whitespace byte.
        while fields.count < 3, index < bytes.count {
            let c = Character(UnicodeScalar(bytes[index]))
            if c == "#" { while index < bytes.count, bytes[index] != 0x0A { index += 1 } }
            else if c.isWhitespace { if !current.isEmpty { fields.append(Int(current) ?? -1); current = "" } }
            else { current.append(c) }
            index += 1
        }
        guard fields.count == 3, fields[2] == 255, bytes.count - index >= fields[0] * fields[1] * 3 else { return nil }
        width = fields[0]
        height = fields[1]
        pixels = Array(bytes[index..<(index + width * height * 3)])
    }

    /// The number of pixels for which `test` holds.
    func count(where test: ((r: Int, g: Int, b: Int)) -> Bool) -> Int {
        stride(from: 0, to: pixels.count, by: 3).reduce(0) { total, i in
            total + (test((Int(pixels[i]), Int(pixels[i + 1]), Int(pixels[i + 2]))) ? 1 : 0)
        }
    }
}
