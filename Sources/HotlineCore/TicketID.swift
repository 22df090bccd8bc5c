/// 工单编号 — a ticket id such as "JN-20260302-000123": the profile's id prefix, the city's local date of intake and
/// a 6-digit daily sequence. The city allocates the sequence; Core only formats and parses.
public struct TicketID: Sendable, Hashable, CustomStringConvertible {
    public var prefix: String
    public var date: LocalDate
    public var sequence: Int

    public static func make(prefix: String, date: LocalDate, sequence: Int) -> String {
        let digits = String(sequence)
        let padded = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        return "\(prefix)-\(date.compact)-\(padded)"
    }

    /// Nil when the text is not prefix-YYYYMMDD-NNNNNN with an uppercase letter prefix and a real date.
    public static func parse(_ text: String) -> TicketID? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && $0.isUppercase }),
              parts[1].count == 8, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              parts[2].count == 6, parts[2].allSatisfy({ $0.isASCII && $0.isNumber }),
              let y = Int(parts[1].prefix(4)), let m = Int(parts[1].dropFirst(4).prefix(2)),
              let d = Int(parts[1].suffix(2)), let date = LocalDate(year: y, month: m, day: d),
              let seq = Int(parts[2]) else { return nil }
        return TicketID(prefix: String(parts[0]), date: date, sequence: seq)
    }

    public var description: String { TicketID.make(prefix: prefix, date: date, sequence: sequence) }
}
