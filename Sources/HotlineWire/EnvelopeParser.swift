/// A top-level member's value as the envelope needs it. Nested values are only validated; an object member
/// keeps its exact byte range so a data body can be forwarded verbatim.
enum EnvelopeValue {
    case string(String)
    /// A number written without fraction or exponent that fits in Int64.
    case integer(Int64)
    /// Any other number (fraction, exponent, out of range): never valid where the protocol wants an integer.
    case otherNumber
    case bool(Bool)
    case null
    /// An array; `integers` is nil unless every element is an integer.
    case array(integers: [Int64]?)
    case object(Range<Int>)
    /// An array or object inside a top-level array: validated, not kept.
    case nested
}

/// The top-level members of an envelope, in input order; a name given twice reads as its last value (as a
/// dictionary assigned in order would). A handful of members, so a lookup compares names one by one: a `[String:
/// EnvelopeValue]` hashed every name twice and rehashed as it grew, 3 % of a unit's CPU taking in a backlog (perf,
/// hotline-bench catchup). A lookup is linear in the members, and so in the frame's size, like parsing it.
struct EnvelopeMembers {
    private var names: [String] = []
    private var values: [EnvelopeValue] = []

    init() {
        names.reserveCapacity(12)
        values.reserveCapacity(12)
    }

    subscript(_ name: String) -> EnvelopeValue? {
        get {
            var j = names.count - 1
            while j >= 0 {
                if names[j] == name { return values[j] }
                j -= 1
            }
            return nil
        }
        set {
            // Only the parser sets, and always a value.
            guard let newValue else { return }
            names.append(name)
            values.append(newValue)
        }
    }
}

/// A single-pass, validating JSON parser for one frame payload (RFC 8259 grammar). It builds only the
/// top-level members and validates everything nested without allocating, which makes it several times faster
/// than `JSONSerialization` on a ticket-sized body. Input must already be valid UTF-8.
struct EnvelopeParser {
    /// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
    static let maxDepth = 256

    private let b: [UInt8]
    private var i = 0

    private init(_ bytes: [UInt8]) {
        b = bytes
    }

    static func parse(_ bytes: [UInt8]) throws(WireError) -> EnvelopeMembers {
        var parser = EnvelopeParser(bytes)
        parser.skipSpace()
        guard parser.peek == UInt8(ascii: "{") else { throw .invalidJSON("the top level is not an object") }
        var members = EnvelopeMembers()
        try parser.object(depth: 1) { (key, p) throws(WireError) in members[key] = try p.topLevelValue() }
        parser.skipSpace()
        guard parser.i == bytes.count else { throw .invalidJSON("data after the object at byte \(parser.i)") }
        return members
    }

    /// `parse` for a frame whose UTF-8 is not yet checked, reading the object member named `key` (a data message's
    /// body) into a tape too (`JSONTape`), in the same pass: where `parse` only validates a body that the reader then
    /// parses again. The tape parser checks that member's bytes (grammar, nesting and UTF-8, at the depth `parse`
    /// checks them); the bytes outside it are checked for UTF-8 here. So it accepts exactly what `parse` after a
    /// UTF-8 check of the whole frame accepts, and the same members, except that it refuses a member `JSONTape`
    /// refuses (a lone surrogate escape) where `parse` only checks the escape's digits; a reader of the body
    /// refuses it anyway, unless a later member of the same name replaces it. A repeated name keeps its last
    /// value, as in `parse`; the tape is that value's (nil when it is not an object).
    static func parse(_ bytes: [UInt8], tape key: String) throws(WireError) -> (members: EnvelopeMembers, tape: JSONTape?) {
        var parser = EnvelopeParser(bytes)
        parser.skipSpace()
        guard parser.peek == UInt8(ascii: "{") else { throw .invalidJSON("the top level is not an object") }
        var members = EnvelopeMembers()
        var tape: JSONTape?
        var parsed: [Range<Int>] = []
        try parser.object(depth: 1) { (name, p) throws(WireError) in
            guard name == key, p.peek == UInt8(ascii: "{") else {
                members[name] = try p.topLevelValue()
                if name == key { tape = nil }
                return
            }
            let start = p.i
            // Depth 1: the member's object is at depth 2, where `topLevelValue` skips it.
            let (value, end) = try JSONTape.parseValue(bytes, at: start, depth: 1)
            p.i = end
            members[name] = .object(start..<end)
            tape = value
            parsed.append(start..<end)
        }
        parser.skipSpace()
        guard parser.i == bytes.count else { throw .invalidJSON("data after the object at byte \(parser.i)") }
        // Each parsed member begins with '{' and ends with '}', so the bytes between them split at ASCII.
        var from = 0
        for range in parsed + [bytes.count..<bytes.count] {
            guard String(validating: bytes[from..<range.lowerBound], as: UTF8.self) != nil else { throw .invalidUTF8 }
            from = range.upperBound
        }
        return (members, tape)
    }

    private var peek: UInt8? { i < b.count ? b[i] : nil }

    private func fail(_ what: String) -> WireError {
        .invalidJSON("\(what) at byte \(i)")
    }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws(WireError) {
        guard peek == byte else { throw fail("expected '\(Character(Unicode.Scalar(byte)))'") }
        i += 1
    }

    /// Parses `{ "key": value, ... }`, handing each key to `member`, which must consume the value.
    private mutating func object(depth: Int,
                                 member: (String, inout EnvelopeParser) throws(WireError) -> Void) throws(WireError) {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if peek == UInt8(ascii: "}") {
            i += 1
            return
        }
        while true {
            skipSpace()
            let key = try string()
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
            try member(key, &self)
            skipSpace()
            guard let next = peek else { throw fail("unterminated object") }
            i += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw fail("expected ',' or '}'") }
        }
    }

    private mutating func array(depth: Int, element: (inout EnvelopeParser) throws(WireError) -> Void) throws(WireError) {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        try expect(UInt8(ascii: "["))
        skipSpace()
        if peek == UInt8(ascii: "]") {
            i += 1
            return
        }
        while true {
            skipSpace()
            try element(&self)
            skipSpace()
            guard let next = peek else { throw fail("unterminated array") }
            i += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw fail("expected ',' or ']'") }
        }
    }

    private mutating func topLevelValue() throws(WireError) -> EnvelopeValue {
        switch peek {
        case UInt8(ascii: "{"):
            let start = i
            try skipValue(depth: 2)
            return .object(start..<i)
        case UInt8(ascii: "["):
            var integers: [Int64]? = []
            try array(depth: 2) { (p) throws(WireError) in
                if case let .integer(n) = try p.scalarOrSkip(depth: 3) { integers?.append(n) } else { integers = nil }
            }
            return .array(integers: integers)
        default:
            return try scalarOrSkip(depth: 2)
        }
    }

    /// A scalar's value; a container is validated, skipped and reported as `.nested`.
    private mutating func scalarOrSkip(depth: Int) throws(WireError) -> EnvelopeValue {
        guard let c = peek else { throw fail("expected a value") }
        switch c {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipValue(depth: depth)
            return .nested
        default: throw fail("expected a value")
        }
    }

    private mutating func skipValue(depth: Int) throws(WireError) {
        switch peek {
        case UInt8(ascii: "{"):
            try object(depth: depth) { (_, p) throws(WireError) in try p.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try array(depth: depth) { (p) throws(WireError) in try p.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            try skipString()
        default:
            _ = try scalarOrSkip(depth: depth)
        }
    }

    private mutating func literal(_ word: StaticString) throws(WireError) {
        let count = word.utf8CodeUnitCount
        guard i + count <= b.count else { throw fail("truncated literal") }
        let matches = word.withUTF8Buffer { w in w.elementsEqual(b[i..<(i + count)]) }
        guard matches else { throw fail("invalid literal") }
        i += count
    }

    private mutating func number() throws(WireError) -> EnvelopeValue {
        var negative = false
        if peek == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard let first = peek, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { throw fail("bad number") }
        var value: Int64 = 0
        var fits = true
        if first == UInt8(ascii: "0") {
            i += 1
        } else {
            while let d = peek, d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(d - UInt8(ascii: "0")))
                if o1 || o2 { fits = false } else { value = s }
                i += 1
            }
        }
        var integral = true
        if peek == UInt8(ascii: ".") {
            integral = false
            i += 1
            try digits()
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            integral = false
            i += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            try digits()
        }
        guard integral, fits else { return .otherNumber }
        return .integer(negative ? -value : value)
    }

    private mutating func digits() throws(WireError) {
        let start = i
        while let d = peek, d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") { i += 1 }
        guard i > start else { throw fail("expected digits") }
    }

    private mutating func skipString() throws(WireError) {
        _ = try stringBounds()
    }

    /// Validates a string and returns its content range and whether it contains escapes.
    private mutating func stringBounds() throws(WireError) -> (Range<Int>, escaped: Bool) {
        try expect(UInt8(ascii: "\""))
        let start = i
        var escaped = false
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return (start..<(i - 1), escaped)
            } else if c == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < b.count else { break }
                switch b[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 5 < b.count, (2...5).allSatisfy({ Self.hexValue(b[i + $0]) != nil }) else {
                        throw fail("bad \\u escape")
                    }
                    i += 6
                default:
                    throw fail("bad escape")
                }
            } else if c < 0x20 {
                throw fail("unescaped control character in string")
            } else {
                i += 1
            }
        }
        throw fail("unterminated string")
    }

    private mutating func string() throws(WireError) -> String {
        let (range, escaped) = try stringBounds()
        guard escaped else { return String(decoding: b[range], as: UTF8.self) }
        return try unescape(range)
    }

    private func unescape(_ range: Range<Int>) throws(WireError) -> String {
        var out = String.UnicodeScalarView()
        var bytes: [UInt8] = []
        var j = range.lowerBound
        func flush() {
            out.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars)
            bytes.removeAll(keepingCapacity: true)
        }
        while j < range.upperBound {
            guard b[j] == UInt8(ascii: "\\") else {
                bytes.append(b[j])
                j += 1
                continue
            }
            flush()
            let e = b[j + 1]
            j += 2
            switch e {
            case UInt8(ascii: "b"): out.append("\u{8}")
            case UInt8(ascii: "f"): out.append("\u{C}")
            case UInt8(ascii: "n"): out.append("\n")
            case UInt8(ascii: "r"): out.append("\r")
            case UInt8(ascii: "t"): out.append("\t")
            case UInt8(ascii: "u"):
                var code = hex4(at: j)
                j += 4
                if (0xD800..<0xDC00).contains(code), j + 5 < range.upperBound, b[j] == UInt8(ascii: "\\"),
                   b[j + 1] == UInt8(ascii: "u") {
                    let low = hex4(at: j + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        j += 6
                    }
                }
                guard let scalar = Unicode.Scalar(code) else { throw .invalidJSON("unpaired surrogate in a string") }
                out.append(scalar)
            default: out.append(Unicode.Scalar(e))
            }
        }
        flush()
        return String(out)
    }

    private func hex4(at j: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 4 | UInt32(Self.hexValue(b[j + $1]) ?? 0) }
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
