/// Durations for `clock --advance`: "2h", "90m", "1d12h", "45s".
enum DurationParser {
    static func milliseconds(_ text: String) throws(DurationError) -> Int64 {
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        for c in text {
            if c.isASCII && c.isNumber { number.append(c); continue }
            guard let n = Int64(number) else { throw .invalid(text) }
            switch c {
            case "d": total += n * 86_400_000
            case "h": total += n * 3_600_000
            case "m": total += n * 60_000
            case "s": total += n * 1000
            default: throw .invalid(text)
            }
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit, total > 0 else { throw .invalid(text) }
        return total
    }
}

enum DurationError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    var description: String { "\"\(self.text)\" is not a duration: use d, h, m, s, e.g. 2h, 90m, 1d12h" }
    private var text: String { if case .invalid(let t) = self { return t }; return "" }
}
