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

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// RFC 8259 string escaping: quote, backslash and C0 controls are escaped (the two-character forms where
    /// they exist, else \u00xx); everything else is raw UTF-8.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        // Runs without anything to escape are copied whole (most text is such a run); only the escapes byte by byte.
        s.withUTF8 { utf8 in
            var start = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                appendEscape(b, to: &out)
                start = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
        case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
        default:
            out.append(contentsOf: Array("\\u00".utf8))
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0x0F)])
        }
    }
}
