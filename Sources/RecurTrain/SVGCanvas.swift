// SVGCanvas: the few SVG elements a chart is drawn with, escaped and with coordinates rounded to
// a tenth of a pixel so files stay small and diff well.
import Foundation

/// An SVG document being drawn, element by element, in painting order.
struct SVGCanvas {
    /// Width in pixels.
    let width: Int
    /// Height in pixels.
    let height: Int
    /// The font every text element uses: DejaVu Sans is what Debian's rsvg-convert has.
    static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"
    private var elements: [String] = []

    /// An empty canvas of `width` × `height` pixels.
    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// The whole document, with a white background.
    var document: String {
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" \
        viewBox="0 0 \(width) \(height)" font-family="\(SVGCanvas.fontFamily)">

        """
        out += "<rect width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
        for element in elements { out += element + "\n" }
        return out + "</svg>\n"
    }

    /// A straight line.
    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
                       extra: String = "") {
        elements.append("<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" "
            + "stroke-width=\"\(n(width))\"\(extra)/>")
    }

    /// Text at `(x, y)` (the baseline); `anchor` is start, middle or end.
    mutating func text(_ string: String, x: Double, y: Double, size: Double, anchor: String = "start",
                       fill: String = "#222222", weight: String? = nil, rotate: Bool = false, className: String? = nil) {
        var attributes = "x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\""
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if rotate { attributes += " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" }
        if let className { attributes += " class=\"\(className)\"" }
        elements.append("<text \(attributes)>\(SVGCanvas.escape(string))</text>")
    }

    /// A polyline through `points` as one path (`M` then `L` per further point).
    mutating func path(_ points: [(x: Double, y: Double)], stroke: String, width: Double, dashed: Bool,
                       className: String, run: String) {
        guard let first = points.first else { return }
        var d = "M\(n(first.x)),\(n(first.y))"
        for p in points.dropFirst() { d += " L\(n(p.x)),\(n(p.y))" }
        let dash = dashed ? " stroke-dasharray=\"7 4\"" : ""
        elements.append("<path class=\"\(className)\" data-run=\"\(SVGCanvas.escape(run))\" d=\"\(d)\" fill=\"none\" "
            + "stroke=\"\(stroke)\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\"\(dash)>"
            + "<title>\(SVGCanvas.escape(run))</title></path>")
    }

    /// A filled circle with a white rim, so overlapping markers stay distinct.
    mutating func marker(x: Double, y: Double, radius: Double, fill: String, className: String) {
        elements.append("<circle class=\"\(className)\" cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(fill)\" "
            + "stroke=\"#ffffff\" stroke-width=\"1\"/>")
    }

    /// A rectangle outline (a plot frame).
    mutating func frame(x: Double, y: Double, width: Double, height: Double, stroke: String) {
        elements.append("<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"none\" "
            + "stroke=\"\(stroke)\" stroke-width=\"1\"/>")
    }

    /// `text` with the five XML special characters escaped, for text content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // Control characters other than tab and newline are not allowed in XML 1.0 at all.
            case _ where c.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" && $0 != "\n" }: continue
            default: out.append(c)
            }
        }
        return out
    }

    /// A coordinate rounded to 0.1 px, without a trailing ".0".
    private func n(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// An estimate of the width of `text` at `size` px in DejaVu Sans (generous, so that layouts
    /// that rely on it leave room rather than overlap).
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.62 }
}
