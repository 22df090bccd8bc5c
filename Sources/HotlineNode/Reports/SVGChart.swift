import Foundation
import HotlineCore

/// Small inline SVG charts for the bulletin: they print sharply and need no script or image file.
enum SVGChart {
    static let accent = "#a4161a"

    /// A column per label (intake by day): the value above each column, labels thinned to fit.
    static func columns(_ data: [BulletinCount], width: Int, height: Int) -> String {
        guard !data.isEmpty else { return "" }
        let left = 34.0, bottom = 22.0, top = 14.0, right = 6.0
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        let peak = niceCeiling(data.map(\.count).max() ?? 0)
        let slot = plotW / Double(data.count)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" role=\"img\" aria-label=\"每日受理量\">"
        for step in 0...4 {
            let v = peak * step / 4
            let y = top + plotH - plotH * Double(v) / Double(max(peak, 1))
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y))\" stroke=\"#ddd\" stroke-width=\"0.6\"/>"
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(y + 3))\" font-size=\"8\" text-anchor=\"end\" fill=\"#666\">\(v)</text>"
        }
        let labelEvery = max(1, Int((Double(data.count) * 30 / plotW).rounded(.up)))
        for (i, d) in data.enumerated() {
            let h = plotH * Double(d.count) / Double(max(peak, 1))
            let x = left + Double(i) * slot + slot * 0.15
            s += "<rect x=\"\(f(x))\" y=\"\(f(top + plotH - h))\" width=\"\(f(slot * 0.7))\" height=\"\(f(h))\" fill=\"\(accent)\"><title>\(BulletinHTML.esc(d.label))：\(d.count)件</title></rect>"
            if d.count > 0 && data.count <= 31 {
                s += "<text x=\"\(f(x + slot * 0.35))\" y=\"\(f(top + plotH - h - 2))\" font-size=\"6.5\" text-anchor=\"middle\" fill=\"#333\">\(d.count)</text>"
            }
            if i % labelEvery == 0 {
                s += "<text x=\"\(f(x + slot * 0.35))\" y=\"\(f(top + plotH + 12))\" font-size=\"8\" text-anchor=\"middle\" fill=\"#444\">\(BulletinHTML.esc(d.label))</text>"
            }
        }
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(left + plotW))\" y2=\"\(f(top + plotH))\" stroke=\"#888\" stroke-width=\"0.8\"/>"
        return s + "</svg>"
    }

    /// Horizontal bars with the label on the left and the count on the right.
    static func bars(_ data: [BulletinCount], width: Int) -> String {
        let rowH = 16.0, labelW = 70.0, countW = 40.0
        let height = Int(rowH * Double(data.count) + 4)
        let peak = max(data.map(\.count).max() ?? 1, 1)
        let total = max(data.map(\.count).reduce(0, +), 1)
        let barW = Double(width) - labelW - countW
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" role=\"img\">"
        for (i, d) in data.enumerated() {
            let y = 2 + Double(i) * rowH
            let w = barW * Double(d.count) / Double(peak)
            s += "<text x=\"\(f(labelW - 4))\" y=\"\(f(y + 11))\" font-size=\"9\" text-anchor=\"end\" fill=\"#333\">\(BulletinHTML.esc(clip(d.label, 7)))</text>"
            s += "<rect x=\"\(f(labelW))\" y=\"\(f(y + 2))\" width=\"\(f(max(w, 1)))\" height=\"\(f(rowH - 5))\" fill=\"\(accent)\" opacity=\"0.85\"/>"
            let share = String(format: "%.0f%%", Double(d.count) * 100 / Double(total))
            s += "<text x=\"\(f(labelW + w + 3))\" y=\"\(f(y + 11))\" font-size=\"8.5\" fill=\"#333\">\(d.count)（\(share)）</text>"
        }
        return s + "</svg>"
    }

    /// A line of daily counts, for the hot-issue trend.
    static func sparkline(_ values: [Int], width: Int, height: Int) -> String {
        guard values.count > 1 else { return "" }
        let peak = Double(max(values.max() ?? 1, 1))
        let step = Double(width - 4) / Double(values.count - 1)
        let points = values.enumerated().map { i, v in
            "\(f(2 + Double(i) * step)),\(f(Double(height) - 3 - (Double(height) - 6) * Double(v) / peak))"
        }.joined(separator: " ")
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\">"
            + "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(accent)\" stroke-width=\"1.4\"/></svg>"
    }

    static func niceCeiling(_ v: Int) -> Int {
        guard v > 4 else { return 4 }
        let magnitude = Int(pow(10, floor(log10(Double(v)))))
        for m in [1, 2, 4, 5, 8, 10] where m * magnitude >= v && (m * magnitude) % 4 == 0 { return m * magnitude }
        return ((v + 3) / 4) * 4
    }

    static func clip(_ s: String, _ n: Int) -> String { s.count > n ? String(s.prefix(n - 1)) + "…" : s }
    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
