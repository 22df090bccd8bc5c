import Foundation

public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int, month: Int, day: Int
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1 else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        // Worked out, not looked up in an array literal: that allocated an array for every date and time read (a
        // stored event has several).
        let dim = month == 2 ? (leap ? 29 : 28) : (month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31)
        guard day <= dim else { return nil }
        self.year = year; self.month = month; self.day = day
    }
    /// Exactly `YYYY-MM-DD`: "2026-1-4", "-2026-01-04" or "2026--01-04" are refused, not guessed at.
    public init?(iso: String) {
        let b = Array(iso.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b.indices.allSatisfy({ $0 == 4 || $0 == 7 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[$0]) }),
              let y = Int(iso.prefix(4)), let m = Int(iso.dropFirst(5).prefix(2)), let d = Int(iso.suffix(2)) else { return nil }
        self.init(year: y, month: m, day: d)
    }
    /// `YYYY-MM-DD`. Written digit by digit: `String(format:)` (Foundation) was 1 % of a city's work loop on its
    /// own in hotline-bench latency (a ticket's dates, its id); years outside 0...9999 still go through it.
    public var iso: String { digits(separator: UInt8(ascii: "-")) }
    /// `YYYYMMDD`, as in a ticket id.
    public var compact: String { digits(separator: nil) }

    private func digits(separator: UInt8?) -> String {
        guard (0...9999).contains(year) else {
            return String(format: separator == nil ? "%04d%02d%02d" : "%04d-%02d-%02d", year, month, day)
        }
        let count = separator == nil ? 8 : 10
        return String(unsafeUninitializedCapacity: count) { out in
            var i = 0
            func put(_ value: Int, _ width: Int) {
                var divisor = width == 4 ? 1000 : 10
                while divisor > 0 {
                    out[i] = UInt8(ascii: "0") + UInt8(value / divisor % 10)
                    i += 1
                    divisor /= 10
                }
            }
            put(year, 4)
            if let separator { out[i] = separator; i += 1 }
            put(month, 2)
            if let separator { out[i] = separator; i += 1 }
            put(day, 2)
            return i
        }
    }
    public var description: String { iso }
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
    public init(dayNumber: Int) {
        let z = dayNumber + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (m <= 2 ? 1 : 0); month = m; day = d
    }
    public var weekday: Int { ((dayNumber % 7) + 7 + 3) % 7 + 1 }
    public func adding(days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + days) }
    public static func < (a: LocalDate, b: LocalDate) -> Bool { a.dayNumber < b.dayNumber }
    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let d = LocalDate(iso: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(s)\" is not a date (YYYY-MM-DD)"))
        }
        self = d
    }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(iso) }
}

public enum ChinaTime {
    public static let utcOffsetMillis: Int64 = 28_800_000
    public static func date(of t: Timestamp) -> LocalDate {
        let local = Timestamp.clamped(t.millis) + utcOffsetMillis
        return LocalDate(dayNumber: Int((local >= 0 ? local : local - 86_399_999) / 86_400_000))
    }
    public static func startOfDay(_ d: LocalDate) -> Timestamp { Timestamp(millis: Int64(d.dayNumber) * 86_400_000 - utcOffsetMillis) }
    public static func endOfDay(_ d: LocalDate) -> Timestamp { startOfDay(d.adding(days: 1)) }
    public static func timestamp(_ d: LocalDate, hour: Int, minute: Int, second: Int = 0) -> Timestamp {
        startOfDay(d).adding(millis: Int64(hour * 3600 + minute * 60 + second) * 1000)
    }
    /// "2026-03-05 17:30", local time, for reports and warnings.
    public static func localText(_ t: Timestamp) -> String {
        let d = date(of: t)
        let minutes = Int((t.millis - startOfDay(d).millis) / 60_000)
        return d.iso + String(format: " %02d:%02d", minutes / 60, minutes % 60)
    }
}

