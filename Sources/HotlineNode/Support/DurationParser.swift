/// Durations for `clock --advance`: "2h", "90m", "1d12h", "45s".
enum DurationParser {
    /// Ten years: more is a typo, and would push deadlines beyond any calendar data.
    static let maximum: Int64 = 3650 * 86_400_000

    static func milliseconds(_ text: String) throws(DurationError) -> Int64 {
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        for c in text {
            if c.isASCII && c.isNumber { number.append(c); continue }
            guard let n = Int64(number) else { throw .invalid(text) }
            let unit: Int64
            switch c {
            case "d": unit = 86_400_000
            case "h": unit = 3_600_000
            case "m": unit = 60_000
            case "s": unit = 1000
            default: throw .invalid(text)
            }
            let (part, o1) = n.multipliedReportingOverflow(by: unit)
            let (sum, o2) = total.addingReportingOverflow(part)
            guard !o1, !o2, sum <= maximum else { throw .invalid(text) }
            total = sum
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
