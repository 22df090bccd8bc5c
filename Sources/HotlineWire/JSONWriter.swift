/// Appends one JSON object to a byte buffer by hand. Field order is fixed by the caller, so the same message
/// always encodes to the same bytes (the golden vectors depend on it) and no `JSONEncoder` pass is paid.
struct JSONWriter {
    private(set) var bytes: [UInt8]
    private var first = true
    private let framed: Bool

    /// With `framed`, room for the 4-byte length header is kept in front so a frame is built without a copy.
    init(capacity: Int = 128, framed: Bool = false) {
        self.framed = framed
        bytes = []
        bytes.reserveCapacity(capacity + 4)
        if framed { bytes.append(contentsOf: [0, 0, 0, 0]) }
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        if framed {
            let n = UInt32(truncatingIfNeeded: bytes.count - 4)
            bytes[0] = UInt8(truncatingIfNeeded: n >> 24)
            bytes[1] = UInt8(truncatingIfNeeded: n >> 16)
            bytes[2] = UInt8(truncatingIfNeeded: n >> 8)
            bytes[3] = UInt8(truncatingIfNeeded: n)
        }
        return bytes
    }

    mutating func field(_ key: String, _ value: String) {
        writeKey(key)
        Self.appendString(value, to: &bytes)
    }

    mutating func field(_ key: String, _ value: Int64) {
        writeKey(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ key: String, _ value: UInt64) {
        writeKey(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ key: String, _ value: Int) {
        field(key, Int64(value))
    }

    mutating func field(_ key: String, _ value: Bool) {
        writeKey(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func field(_ key: String, _ values: [Int]) {
        writeKey(key)
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: String(v).utf8)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Splices already-encoded JSON (a data message's body) verbatim, so forwarding never re-serialises it.
    mutating func rawField(_ key: String, _ json: [UInt8]) {
        writeKey(key)
        bytes.append(contentsOf: json)
    }

    private mutating func writeKey(_ name: String) {
        if first { first = false } else { bytes.append(UInt8(ascii: ",")) }
        Self.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// RFC 8259 string escaping: quote, backslash and C0 controls are escaped (the two-character forms where
    /// they exist, else \u00xx); everything else is raw UTF-8.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { u in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: u.count * 6 + 2) { t in
                let end = writeString(u, to: t.baseAddress!)
                out.append(contentsOf: UnsafeBufferPointer(start: t.baseAddress!, count: end - t.baseAddress!))
            }
        }
    }

    /// Writes `u` as a JSON string (quoted, escaped as `appendString` says) at `p`, which has room for
    /// `u.count * 6 + 2` bytes; returns where it ended. Runs without anything to escape are copied whole (most
    /// text is such a run), only the escapes byte by byte; the bytes are looked at 8 at a time (a byte at a time
    /// was ~7 instructions a byte, and the stored documents' text is most of what a node writes).
    static func writeString(_ u: UnsafeBufferPointer<UInt8>, to p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var p = p
        p.pointee = UInt8(ascii: "\"")
        p += 1
        if let src = u.baseAddress {
            let n = u.count
            var start = 0, i = 0
            func look(_ j: Int) {
                let b = src[j]
                guard needsEscape(b) else { return }
                p.update(from: src + start, count: j - start)
                p += j - start
                p = writeEscape(b, to: p)
                start = j + 1
            }
            while i + 8 <= n {
                if anyNeedsEscape(UnsafeRawPointer(src + i).loadUnaligned(as: UInt64.self)) {
                    for j in i..<(i + 8) { look(j) }
                }
                i += 8
            }
            while i < n {
                look(i)
                i += 1
            }
            p.update(from: src + start, count: n - start)
            p += n - start
        }
        p.pointee = UInt8(ascii: "\"")
        return p + 1
    }

    /// Whether JSON escapes this byte in a string: a quote, a backslash or a control character.
    @inline(__always) static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")
    }

    /// Whether any of the 8 bytes is below 0x20, a quote or a backslash: the "has a zero byte" test (each mask is
    /// non-zero exactly when some byte matches; which bits it sets is not looked at).
    @inline(__always) static func anyNeedsEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let control = (w &- ones &* 0x20) & ~w & highs
        let q = w ^ (ones &* UInt64(UInt8(ascii: "\""))), quote = (q &- ones) & ~q & highs
        let b = w ^ (ones &* UInt64(UInt8(ascii: "\\"))), backslash = (b &- ones) & ~b & highs
        return control | quote | backslash != 0
    }

    private static func writeEscape(_ b: UInt8, to p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        p[0] = UInt8(ascii: "\\")
        let short: UInt8
        switch b {
        case UInt8(ascii: "\""): short = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): short = UInt8(ascii: "\\")
        case 0x0A: short = UInt8(ascii: "n")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x09: short = UInt8(ascii: "t")
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        default:
            let hex: StaticString = "0123456789abcdef"
            p[1] = UInt8(ascii: "u")
            p[2] = UInt8(ascii: "0")
            p[3] = UInt8(ascii: "0")
            p[4] = hex.utf8Start[Int(b >> 4)]
            p[5] = hex.utf8Start[Int(b & 0x0F)]
            return p + 6
        }
        p[1] = short
        return p + 2
    }
}
