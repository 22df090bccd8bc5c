/// Terminal tables that line up with Chinese text: East Asian wide characters take two columns.
enum Table {
    /// The widest a cell is shown in a column that others follow (display columns); longer ones end in "…". One
    /// 5,000-character topic would otherwise pad every row of `list` to 10,000 columns. The last column is shown
    /// whole, and `show` and `--json` always give whole values.
    static let widest = 60

    static func render(header: [String], rows: [[String]]) -> String {
        let columns = header.count
        let all = ([header] + rows).map { row in
            row.enumerated().map { i, cell in i < columns - 1 ? cut(cell, to: widest) : cell }
        }
        var widths = Array(repeating: 0, count: columns)
        for row in all { for (i, cell) in row.enumerated() where i < columns { widths[i] = max(widths[i], width(cell)) } }
        func line(_ row: [String]) -> String {
            var text = row.enumerated().map { i, cell in
                i < columns ? cell + String(repeating: " ", count: max(0, widths[i] - width(cell))) : cell
            }.joined(separator: "  ")
            // Without the padding after the last cell. (A regular expression here was quadratic in the padding.)
            while text.last?.isWhitespace == true { text.removeLast() }
            return text
        }
        var out = [line(all[0]), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += all.dropFirst().map(line)
        return out.joined(separator: "\n")
    }

    /// `s` if it takes at most `columns` display columns, else its beginning and "…" within them.
    static func cut(_ s: String, to columns: Int) -> String {
        guard width(s) > columns else { return s }
        var out = ""
        var w = 0
        for c in s {
            let cw = width(String(c))
            if w + cw > columns - 1 { break }
            out.append(c)
            w += cw
        }
        return out + "…"
    }

    static func width(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + (isWide($1) ? 2 : 1) }
    }

    static func isWide(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
