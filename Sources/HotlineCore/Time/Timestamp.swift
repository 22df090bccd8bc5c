import Foundation

public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var millis: Int64
    public init(millis: Int64) { self.millis = millis }
    public func adding(millis: Int64) -> Timestamp { Timestamp(millis: self.millis + millis) }
    public func adding(hours: Int) -> Timestamp { adding(millis: Int64(hours) * 3_600_000) }
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millis < b.millis }
    /// The instants a time given as milliseconds may name: the years 0000 to 9999 with any offset, and a day's
    /// margin. A number outside is refused, so a peer cannot hand in `Int64.max` and have the next sum overflow
    /// (the check would stop the node). Text names four-digit years only, unless written expanded (below).
    public static let readable: ClosedRange<Int64> = (-719_529 * 86_400_000)...(2_932_898 * 86_400_000)
    /// `millis` when it lies in `readable`; nil outside the years 0000-9999.
    public init?(readableMillis millis: Int64) {
        guard Self.readable.contains(millis) else { return nil }
        self.millis = millis
    }
    /// `2026-03-02T09:00:00+08:00` (with `.mmm` when the milliseconds are not zero), China Standard Time.
    /// Written byte by byte: every stored ticket and event carries several of these, and formatting them with
    /// `String(format:)` was an eighth of a node's work per message (profiled in hotline-bench's hop).
    public var iso8601: String {
        String(unsafeUninitializedCapacity: Self.iso8601MaxCount) { writeISO8601(to: $0.baseAddress!) }
    }

    /// Appends `iso8601`'s bytes to `out` without making a `String` (a stored event has a few timestamps, and
    /// making each a string and then copying it was a quarter of writing the event). The bytes are ASCII digits
    /// and `-T:.+`: nothing a JSON string escapes.
    /// Never traps: an instant beyond ±142,000 years (`clamped`) is written as that bound rather than overflowing
    /// the sum below. A year outside 0000-9999 is written expanded (`+010000-01-30T…`), which the reader reads.
    public func appendISO8601(to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.iso8601MaxCount) { buffer in
            let n = writeISO8601(to: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// The most bytes `writeISO8601` writes: `+YYYYYY-MM-DDTHH:MM:SS.mmm+08:00`.
    public static let iso8601MaxCount = 32

    /// Writes `iso8601`'s bytes at `p` (room for `iso8601MaxCount`) and returns how many: for a writer that has
    /// its own buffer (a stored document's), no copy through an array.
    public func writeISO8601(to p: UnsafeMutablePointer<UInt8>) -> Int {
        let local = Self.clamped(millis) + ChinaTime.utcOffsetMillis
        let dayNo = Int((local >= 0 ? local : local - 86_399_999) / 86_400_000)
        let d = LocalDate(dayNumber: dayNo)
        let rest = Int(local - Int64(dayNo) * 86_400_000)
        let ms = rest % 1000
        var n = 0
        /// The last `width` decimal digits of `value`, zero-padded.
        func digits(_ value: Int, _ width: Int) {
            var v = value
            for k in stride(from: n + width - 1, through: n, by: -1) {
                p[k] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            n += width
        }
        func put(_ c: Unicode.Scalar) {
            p[n] = UInt8(ascii: c)
            n += 1
        }
        if d.year < 0 || d.year > 9999 {
            // ISO 8601's expanded year, six digits and a sign (`clamped` keeps it within ±142,000): what the
            // general reader reads back, so no stored document holds a time it cannot read.
            put(d.year < 0 ? "-" : "+"); digits(abs(d.year), 6)
        } else {
            digits(d.year, 4)
        }
        put("-"); digits(d.month, 2)
        put("-"); digits(d.day, 2)
        put("T"); digits(rest / 3_600_000, 2)
        put(":"); digits((rest / 60_000) % 60, 2)
        put(":"); digits((rest / 1000) % 60, 2)
        if ms != 0 { put("."); digits(ms, 3) }
        for c in "+08:00".utf8 { p[n] = c; n += 1 }
        return n
    }

    /// The shape this type writes, `YYYY-MM-DDTHH:MM:SS[.mmm](±HH:MM|Z)`, read without building substrings;
    /// nil for any other shape, which the general reader below then judges.
    private static func parseCommon(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        func num(_ at: Int, _ n: Int) -> Int? {
            var v = 0
            for i in at..<(at + n) {
                let c = b[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        let n = b.count
        guard n == 20 || n == 24 || n == 25 || n == 29, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let date = LocalDate(year: y, month: mo, day: d),
              let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2), h <= 23, mi <= 59, sec <= 60 else { return nil }
        var i = 19
        var ms = 0
        if n == 24 || n == 29 {
            guard b[19] == 46, let f = num(20, 3) else { return nil }
            ms = f
            i = 23
        }
        var off: Int64 = 0
        if n - i == 1 {
            guard b[i] == 90 else { return nil }
        } else {
            guard n - i == 6, b[i] == 43 || b[i] == 45, b[i + 3] == 58, let oh = num(i + 1, 2), let om = num(i + 4, 2),
                  oh <= 14, om <= 59 else { return nil }
            off = (b[i] == 45 ? -1 : 1) * (Int64(oh) * 3_600_000 + Int64(om) * 60_000)
        }
        return Int64(date.dayNumber) * 86_400_000 + Int64(h) * 3_600_000 + Int64(mi) * 60_000 + Int64(sec) * 1000 + Int64(ms) - off
    }

    /// `init?(iso8601:)` of the string these UTF-8 bytes spell, without making the string for the usual shape (a
    /// reader hands the bytes of a document it holds).
    public init?(iso8601UTF8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let millis = Self.parseCommon(bytes) ?? Self.parseGeneral(String(decoding: bytes, as: UTF8.self)) else {
            return nil
        }
        self.millis = millis
    }

    public init?(iso8601: String) {
        var text = iso8601
        guard let millis = text.withUTF8({ Self.parseCommon($0) }) ?? Self.parseGeneral(iso8601) else { return nil }
        self.millis = millis
    }

    /// Any other spelling `init?(iso8601:)` accepts (a fraction of other than three digits, say); nil if none.
    private static func parseGeneral(_ iso8601: String) -> Int64? {
        let parts = iso8601.split(separator: "T", omittingEmptySubsequences: false)
        guard parts.count == 2, let d = parts[0].utf8.count == 10 ? LocalDate(iso: String(parts[0])) : expandedDate(parts[0]) else {
            return nil
        }
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
        return Int64(d.dayNumber) * 86_400_000 + h * 3_600_000 + m * 60_000 + Int64((s * 1000).rounded()) - off
    }
    /// `±YYYYYY-MM-DD`, the expanded year `appendISO8601` writes for a year outside 0000...9999; nil otherwise.
    private static func expandedDate(_ text: Substring) -> LocalDate? {
        let b = Array(text.utf8)
        guard b.count == 13, b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-"),
              let rest = LocalDate(iso: "2000" + String(decoding: b[7...], as: UTF8.self)),
              b[1..<7].allSatisfy({ (48...57).contains($0) }), let year = Int(String(decoding: b[1..<7], as: UTF8.self)) else {
            return nil
        }
        return LocalDate(year: b[0] == UInt8(ascii: "-") ? -year : year, month: rest.month, day: rest.day)
    }

    /// `millis` held within ±2^52 ms, where adding an offset or a day's length cannot overflow.
    static func clamped(_ millis: Int64) -> Int64 { Swift.min(Swift.max(millis, -(1 << 52)), 1 << 52) }

    public var description: String { iso8601 }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self), let t = Timestamp(iso8601: s) { self = t; return }
        let millis = try c.decode(Int64.self)
        guard let t = Timestamp(readableMillis: millis) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: Self.unreadable(millis)))
        }
        self = t
    }
    /// Why a time given as milliseconds is refused.
    public static func unreadable(_ millis: Int64) -> String {
        "\(millis) ms is not a time between the years 0000 and 9999; send the time as text (2026-03-02T09:00:00+08:00)"
    }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(iso8601) }
}

