// ChartFixtures: known metrics for the chart tests, and an SVG read back as XML elements.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import RecurIO
import RecurTrain

/// The library's metrics line (this test module has a `MetricsLine` of its own, in RunFolder.swift).
typealias LogLine = RecurTrain.MetricsLine

/// Metrics whose chart has ticks and point counts that can be worked out by hand.
enum ChartFixtures {
    /// A newer run: lines at steps 10…100, loss 3 − 0.02·step (2.8 down to 1.0), validation at
    /// 50 and 100, tokens 256 per step, half a second per step.
    static let newer: [LogLine] = stride(from: 10, through: 100, by: 10).map { (step: Int) -> LogLine in
        let x = Double(step)
        let validation: Double? = step % 50 == 0 ? 3.2 - 0.018 * x : nil
        return LogLine(step: step, loss: 3 - 0.02 * x, valLoss: validation, tokens: x * 256, seconds: x * 0.5)
    }

    /// An older run without `tokens` or `seconds`: steps 10…60, loss 2.5 − 0.01·step, validation at 30 and 60.
    static let older: [LogLine] = stride(from: 10, through: 60, by: 10).map { (step: Int) -> LogLine in
        let x = Double(step)
        let validation: Double? = step % 30 == 0 ? 2.45 - 0.01 * x : nil
        return LogLine(step: step, loss: 2.5 - 0.01 * x, valLoss: validation)
    }

    /// A classifier run: losses from 4 down to 0.3 (for log axes), accuracy at every second line.
    static let classifier: [LogLine] = (1...8).map { (i: Int) -> LogLine in
        let loss: Double = 4 * pow(0.3 / 4, Double(i - 1) / 7)
        let evaluates = i % 2 == 0
        return LogLine(step: i * 25, loss: loss, valLoss: evaluates ? loss * 1.1 : nil,
                       valAccuracy: evaluates ? 0.4 + 0.07 * Double(i) : nil)
    }

    /// The fields of `line` as `recur train` writes them (the same writer, `JSONLine`).
    static func jsonLine(_ line: LogLine) -> String {
        var fields: [(String, JSONValue)] = [("step", .int(line.step)), ("loss", line.loss.map { .double($0) } ?? .null),
                                             ("tokens_per_second", .double(1000)), ("lr", .double(0.002)),
                                             ("grad_norm", .double(1.5))]
        if let v = line.valLoss { fields.append(("val_loss", .double(v))) }
        if let v = line.valAccuracy { fields.append(("val_accuracy", .double(v))) }
        if let v = line.tokens { fields.append(("tokens", .int(Int(v)))) }
        if let v = line.seconds { fields.append(("seconds", .double(v))) }
        return JSONLine.encode(fields)
    }

    /// Writes `lines` as `folder/metrics.jsonl`, creating the folder.
    static func writeRun(_ lines: [LogLine], to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let text = lines.map(jsonLine).joined(separator: "\n") + "\n"
        try text.write(toFile: folder + "/metrics.jsonl", atomically: true, encoding: .utf8)
    }
}

/// An SVG document parsed as XML: every element with its attributes and text, in document order.
/// Parsing fails on anything that is not well-formed XML, which is the first thing the tests check.
final class SVGElements: NSObject, XMLParserDelegate {
    /// One element.
    struct Element {
        let name: String
        let attributes: [String: String]
        var text: String
    }

    /// The elements in document order.
    private(set) var elements: [Element] = []
    private var open: [Int] = []
    private var failure: Error?

    /// Parses `svg`.
    /// - Throws: the parser's error when `svg` is not well-formed XML.
    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        if !parser.parse() { throw parser.parserError ?? failure ?? CLITestError("the SVG is not well-formed XML") }
    }

    /// The root element's name and attributes.
    var root: Element? { elements.first }

    /// Elements named `name` whose class is `className` (any class when nil).
    func all(_ name: String, className: String? = nil) -> [Element] {
        elements.filter { $0.name == name && (className == nil || $0.attributes["class"] == className) }
    }

    /// The texts of `<text class=className>` elements.
    func texts(_ className: String) -> [String] { all("text", className: className).map(\.text) }

    /// The number of points of a path's `d` (one `M` or `L` command each).
    static func pointCount(_ d: String) -> Int { d.filter { $0 == "M" || $0 == "L" }.count }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        open.append(elements.count)
        elements.append(Element(name: elementName, attributes: attributeDict, text: ""))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { failure = parseError }
}
