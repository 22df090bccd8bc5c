import Foundation

public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var millis: Int64
    public init(millis: Int64) { self.millis = millis }
    public func adding(millis: Int64) -> Timestamp { Timestamp(millis: self.millis + millis) }
    public func adding(hours: Int) -> Timestamp { adding(millis: Int64(hours) * 3_600_000) }
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millis < b.millis }
    public var iso8601: String {
        let local = millis + ChinaTime.utcOffsetMillis
        let dayNo = Int((local >= 0 ? local : local - 86_399_999) / 86_400_000)
        let d = LocalDate(dayNumber: dayNo)
        let rest = local - Int64(dayNo) * 86_400_000
        let h = rest / 3_600_000, m = (rest / 60_000) % 60, s = (rest / 1000) % 60, ms = rest % 1000
        var out = d.iso + "T" + String(format: "%02d:%02d:%02d", h, m, s)
        if ms != 0 { out += String(format: ".%03d", ms) }
        return out + "+08:00"
    }
    public init?(iso8601: String) {
        let parts = iso8601.split(separator: "T", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 10, let d = LocalDate(iso: String(parts[0])) else { return nil }
        var t = String(parts[1]); var off: Int64 = 0
        // Only ASCII digits: Int64/Double would also take "+9", "-0", "1e1" or "0x1p3".
        func digits<S: StringProtocol>(_ s: S, _ n: Int) -> Bool { s.utf8.count == n && s.utf8.allSatisfy { (48...57).contains($0) } }
        if t.hasSuffix("Z") { t.removeLast() } else if t.count >= 6 {
            let o = t.suffix(6); let sign: Int64 = o.first == "-" ? -1 : 1
            let hm = o.dropFirst().split(separator: ":")
            guard o.first == "+" || o.first == "-", hm.count == 2, digits(hm[0], 2), digits(hm[1], 2),
                  let oh = Int64(hm[0]), let om = Int64(hm[1]),
                  (0...14).contains(oh), (0...59).contains(om) else { return nil }
            off = sign * (oh * 3_600_000 + om * 60_000); t.removeLast(6)
        }
        let hms = t.split(separator: ":", omittingEmptySubsequences: false)
        let sec = hms.count == 3 ? hms[2].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false) : []
        guard hms.count == 3, digits(hms[0], 2), digits(hms[1], 2), digits(sec[0], 2),
              sec.count == 1 || (!sec[1].isEmpty && digits(sec[1], sec[1].utf8.count)),
              let h = Int64(hms[0]), let m = Int64(hms[1]), let s = Double(hms[2]),
              (0...23).contains(h), (0...59).contains(m), s >= 0, s < 61 else { return nil }
        millis = Int64(d.dayNumber) * 86_400_000 + h * 3_600_000 + m * 60_000 + Int64((s * 1000).rounded()) - off
    }
    public var description: String { iso8601 }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self), let t = Timestamp(iso8601: s) { self = t; return }
        self.millis = try c.decode(Int64.self)
    }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(iso8601) }
}

