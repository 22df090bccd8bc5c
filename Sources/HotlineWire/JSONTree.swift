import Glibc

/// A parsed JSON value for `JSONStreamDecoder`: strings are decoded once, numbers keep their text (a range of the
/// input) until a type asks for them, objects keep their members in input order.
enum JSONNode {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in Int64.
    case integer(Int64)
    /// Any other number, as written.
    case number(String)
    case string(String)
    case array([JSONNode])
    /// Members in input order; a repeated name keeps its first value, as `JSONDecoder` does. One array of
    /// members, not three parallel ones: a ticket has a dozen objects, and their arrays' growth was a seventh of
    /// reading one.
    case object([JSONMember])

    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// One member of a parsed object. `print` is the name's fingerprint (`JSONTreeParser.fingerprint`), which makes a
/// lookup one integer comparison per member.
struct JSONMember {
    let key: String
    let value: JSONNode
    let print: UInt32
    /// Where the value's bytes are in the input parsed (offsets into the frame for a body parsed in place).
    let range: Range<Int>
}

/// An object's members as the parser left them, and the lookup of one by name.
struct JSONMembers {
    let members: [JSONMember]
    /// One bit per member (its fingerprint modulo 64): most keys a type asks for are absent (an event has some
    /// fifty optional fields and carries a dozen), and most of those are answered by this word alone.
    private let bloom: UInt64

    init(_ members: [JSONMember]) {
        self.members = members
        var bloom: UInt64 = 0
        for m in members { bloom |= 1 << (m.print & 63) }
        self.bloom = bloom
    }

    subscript(_ j: Int) -> JSONNode { members[j].value }

    /// The member named `name`, searched from `hint` (where the last one was found: types read their keys in the
    /// order they were written, so the next one is usually the next member); `hint` moves to it.
    func index(_ name: String, hint: inout Int) -> Int? {
        let print = JSONTreeParser.fingerprint(name)
        guard bloom & (1 << (print & 63)) != 0 else { return nil }
        let n = members.count
        var j = hint
        for _ in 0..<n {
            if j >= n { j = 0 }
            if members[j].print == print, members[j].key == name {
                hint = j
                return j
            }
            j += 1
        }
        return nil
    }
}

/// A strict RFC 8259 parser into `JSONNode`s: one pass, no Foundation objects, UTF-8 validated. The grammar
/// and limits are `EnvelopeParser`'s (nesting deeper than 256 is refused); this one keeps every value.
struct JSONTreeParser {
    static let maxDepth = 256

    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0

    private init(_ b: UnsafeBufferPointer<UInt8>) {
        self.b = b
    }

    static func parse(_ bytes: [UInt8]) throws(WireError) -> JSONNode {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> JSONNode in
            var p = JSONTreeParser(buffer)
            p.skipSpace()
            let root = try p.value(depth: 0)
            p.skipSpace()
            guard p.i == buffer.count else { throw p.fail("data after the value") }
            return root
        }
    }

    /// The value starting at `offset` of a larger input (a member of an object `EnvelopeParser` is reading),
    /// parsed as if nested `depth` containers deep (its own containers count from `depth + 1`, the limit is the
    /// same), and the index just after it. Nothing after the value is looked at.
    static func parseValue(_ buffer: UnsafeBufferPointer<UInt8>, at offset: Int, depth: Int) throws(WireError) -> (JSONNode, end: Int) {
        var p = JSONTreeParser(buffer)
        p.i = offset
        let value = try p.value(depth: depth)
        return (value, p.i)
    }

    private func fail(_ what: String) -> WireError {
        .invalidJSON("\(what) at byte \(i)")
    }

    private mutating func skipSpace() {
        while i < b.count {
            let c = b[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    private mutating func literal(_ word: StaticString, _ node: JSONNode) throws(WireError) -> JSONNode {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { throw fail("unexpected end") }
        let w = word.utf8Start
        for k in 0..<n where b[i + k] != w[k] { throw fail("unexpected character") }
        i += n
        return node
    }

    private mutating func value(depth: Int) throws(WireError) -> JSONNode {
        guard i < b.count else { throw fail("unexpected end, a value was expected") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func object(depth: Int) throws(WireError) -> JSONNode {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        i += 1
        var members: [JSONMember] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") {
            i += 1
            return .object(members)
        }
        members.reserveCapacity(8)
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("a member name was expected") }
            let (key, print) = try name()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("':' was expected") }
            i += 1
            skipSpace()
            let start = i
            let v = try value(depth: depth)
            // A name seen before keeps its first value (JSONDecoder's rule); fingerprints make the check cheap.
            if !members.contains(where: { $0.print == print && $0.key == key }) {
                members.append(JSONMember(key: key, value: v, print: print, range: start..<i))
            }
            skipSpace()
            guard i < b.count else { throw fail("unexpected end in an object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "}") else { throw fail("',' or '}' was expected") }
            i += 1
            return .object(members)
        }
    }

    private mutating func array(depth: Int) throws(WireError) -> JSONNode {
        guard depth <= Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        i += 1
        var items: [JSONNode] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") {
            i += 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try value(depth: depth))
            skipSpace()
            guard i < b.count else { throw fail("unexpected end in an array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "]") else { throw fail("',' or ']' was expected") }
            i += 1
            return .array(items)
        }
    }

    private mutating func digits() throws(WireError) {
        let start = i
        while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
        guard i > start else { throw fail("a digit was expected") }
    }

    private mutating func number() throws(WireError) -> JSONNode {
        let start = i
        let negative = b[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard i < b.count else { throw fail("a digit was expected") }
        if b[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            try digits()
        }
        if i == b.count || (b[i] != UInt8(ascii: ".") && b[i] != UInt8(ascii: "e") && b[i] != UInt8(ascii: "E")) {
            // An integer: accumulated negatively so Int64.min fits; longer ones keep their text.
            var v: Int64 = 0
            var fits = true
            for k in (negative ? start + 1 : start)..<i {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (d, o2) = m.subtractingReportingOverflow(Int64(b[k] - UInt8(ascii: "0")))
                if o1 || o2 { fits = false; break }
                v = d
            }
            if fits, negative { return .integer(v) }
            if fits, v != Int64.min { return .integer(-v) }
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            try digits()
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            try digits()
        }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
    }

    /// A member name's fingerprint: what the parser computes for each name it reads, and a lookup for the name it
    /// wants. Eight bytes at a step, each mixed in by a multiply and a fold (names are short: one or two steps), so
    /// that computing it for each of the fifty optional members an event is asked for stays cheap.
    static func fingerprint(_ name: String) -> UInt32 {
        var name = name
        return name.withUTF8 { fingerprint(bytes: $0) }
    }

    static func fingerprint(bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let raw = UnsafeRawBufferPointer(bytes)
        let n = raw.count
        func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let m = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
            return m ^ (m >> 29)
        }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(n)
        var i = 0
        while i + 8 <= n {
            h = mix(h, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(raw[i]) << shift
                shift += 8
                i += 1
            }
            h = mix(h, w)
        }
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// A member name at `i` (at its opening quote) and its fingerprint.
    private mutating func name() throws(WireError) -> (text: String, print: UInt32) {
        let start = i + 1
        let text = try string()
        // Unescaped (the usual case), the name's bytes are the input's; else those of the text they decode to.
        if i - 1 - start == text.utf8.count {
            return (text, Self.fingerprint(bytes: UnsafeBufferPointer(rebasing: b[start..<(i - 1)])))
        }
        return (text, Self.fingerprint(text))
    }

    /// A string at `i` (which is at the opening quote); `i` ends after its closing quote.
    private mutating func string() throws(WireError) -> String {
        i += 1
        let start = i
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: b[start..<i])
                i += 1
                return try Self.text(raw, fail)
            }
            if c == UInt8(ascii: "\\") { return try escapedString(from: start) }
            guard c >= 0x20 else { throw fail("a control character in a string") }
            i += 1
        }
        throw fail("unterminated string")
    }

    /// The bytes as a string, refused unless they are valid UTF-8. `String(decoding:)` is the fast, specialised
    /// constructor but repairs bad bytes, so a string that is not pure ASCII must come out byte for byte the same.
    private static func text(_ raw: UnsafeBufferPointer<UInt8>, _ fail: (String) -> WireError) throws(WireError) -> String {
        let text = String(decoding: raw, as: UTF8.self)
        var ascii = true
        for c in raw where c >= 0x80 {
            ascii = false
            break
        }
        if ascii { return text }
        var same = true
        text.utf8.withContiguousStorageIfAvailable { copy in
            same = copy.count == raw.count && memcmp(copy.baseAddress!, raw.baseAddress!, raw.count) == 0
        }
        guard same else { throw fail("invalid UTF-8 in a string") }
        return text
    }

    /// The slow path: a string with escapes, from `start` (after the quote); `i` is at the first backslash.
    private mutating func escapedString(from start: Int) throws(WireError) -> String {
        var out: [UInt8] = Array(b[start..<i])
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                return try out.withUnsafeBufferPointer { (raw) throws(WireError) in try Self.text(raw, fail) }
            case UInt8(ascii: "\\"):
                i += 1
                guard i < b.count else { throw fail("unterminated escape") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800, scalar < 0xDC00 {
                        guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                            throw fail("a lone surrogate escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard low >= 0xDC00, low < 0xE000 else { throw fail("a lone surrogate escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00, scalar < 0xE000 {
                        throw fail("a lone surrogate escape")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("an invalid escape") }
                    out.append(contentsOf: UTF8.encode(u)!)
                default:
                    throw fail("an invalid escape")
                }
            default:
                guard c >= 0x20 else { throw fail("a control character in a string") }
                out.append(c)
                i += 1
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws(WireError) -> UInt32 {
        guard i + 4 <= b.count else { throw fail("a short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: throw fail("a bad hex digit in a \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}
