import Glibc

/// What a `TapeEntry` is.
enum TapeKind: UInt8 {
    case null, `false`, `true`
    /// A number written without fraction or exponent that fits in Int64 (its value in `aux`).
    case integer
    /// Any other number, as written.
    case number
    case string, array, object
    /// An object member's name; its value's entries follow it.
    case key
}

/// One value of a parsed document (or one member name), in input order: a container's entry comes before those of
/// its values. Plain data, so a document is one array and reading it retains nothing.
struct TapeEntry {
    /// An integer: its bits. An object: where its member table is in `JSONTape.slots` (shifted left 8) and the
    /// table's size (log 2, in the low 8 bits; 0 for no members). An array: how many items. A member name: its
    /// fingerprint (`JSONTape.fingerprint`).
    var aux: UInt64
    /// The value's bytes in the input (a string's and a name's with their quotes).
    var start: Int32
    var end: Int32
    /// The entry after this value and everything in it.
    var next: Int32
    var kind: TapeKind
    var flags: UInt8

    /// A string or name written with escapes: its text must be decoded.
    static let escaped: UInt8 = 1
    /// A name given before in the same object: ignored, the first one's value counts (`JSONDecoder`'s rule).
    static let repeated: UInt8 = 2
}

/// A JSON document parsed into a tape (`TapeEntry`s in one array) over its bytes: strict RFC 8259, UTF-8 checked,
/// nesting deeper than 256 refused, in one pass that makes no `String` and no node per value. A reader then makes
/// the strings and numbers it asks for, and only those, from the bytes (`JSONValue`). Each object gets a small
/// open-addressing table of its member names by fingerprint, so a lookup is one or two probes whether the name is
/// there or not (an event is asked for some fifty names and carries a dozen). The tape replaced a tree of enum
/// nodes whose member arrays, name strings and reference counting were half of reading a ticket (perf,
/// hotline-bench codec: parse 40 %, the typed read over the tree 55 %, a fifth of that retains and releases).
struct JSONTape {
    static let maxDepth = 256

    /// The input; the entries' offsets are into it.
    let bytes: [UInt8]
    let entries: [TapeEntry]
    /// The objects' member tables: the entry of a member's name, or -1 for an empty slot.
    let slots: [Int32]
    /// The entry of the value that was parsed (a whole document: 0).
    let root: Int

    /// A whole document: one value, with only white space around it.
    static func parse(_ bytes: [UInt8]) throws(WireError) -> JSONTape {
        var entries: [TapeEntry] = []
        var slots: [Int32] = []
        try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) in
            var p = try TapeParser(buffer)
            p.skipSpace()
            try p.value(depth: 0)
            p.skipSpace()
            guard p.i == buffer.count else { throw p.fail("data after the value") }
            entries = p.out
            slots = p.slots
        }
        return JSONTape(bytes: bytes, entries: entries, slots: slots, root: 0)
    }

    /// The value starting at `offset` of a larger input (a member of an object `EnvelopeParser` is reading),
    /// parsed as if nested `depth` containers deep (its own containers count from `depth + 1`, the limit is the
    /// same), and the index just after it. Nothing after the value is looked at.
    static func parseValue(_ bytes: [UInt8], at offset: Int, depth: Int) throws(WireError) -> (JSONTape, end: Int) {
        var entries: [TapeEntry] = []
        var slots: [Int32] = []
        let end = try bytes.withUnsafeBufferPointer { (buffer) throws(WireError) -> Int in
            var p = try TapeParser(buffer)
            p.i = offset
            try p.value(depth: depth)
            entries = p.out
            slots = p.slots
            return p.i
        }
        return (JSONTape(bytes: bytes, entries: entries, slots: slots, root: 0), end)
    }

    /// Runs `body` with the root value. Values hold pointers into this tape: they are valid only inside `body`.
    func withRoot<R>(_ body: (JSONValue) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in
            try entries.withUnsafeBufferPointer { e in
                try slots.withUnsafeBufferPointer { t in
                    // An empty array may have no address; a document with no object never looks at its slots.
                    try body(JSONValue(e: e.baseAddress!, b: b.baseAddress!, t: t.baseAddress ?? JSONValue.noSlots, i: root))
                }
            }
        }
    }

    /// A member name's fingerprint: what the parser computes for each name it reads, and a lookup for the name it
    /// wants. Eight bytes at a step, each mixed in by a multiply and a fold (names are short: one or two steps),
    /// from a seed drawn when the process starts: names chosen to fall into one slot of a member table (which would
    /// make a 4 MB object of them take minutes) cannot be worked out ahead. Fingerprints never leave the process.
    static func fingerprint(_ name: String) -> UInt32 {
        var name = name
        return name.withUTF8 { fingerprint(bytes: $0) }
    }

    static func fingerprint(_ name: StaticString) -> UInt32 {
        fingerprint(bytes: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    static func fingerprint(bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let raw = UnsafeRawBufferPointer(bytes)
        let n = raw.count
        var h: UInt64 = seed ^ UInt64(n)
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

    /// Drawn once per process (the system's random generator).
    static let seed = UInt64.random(in: .min ... .max)

    @inline(__always) private static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
        let m = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
        return m ^ (m >> 29)
    }

    /// The text of a string written with escapes, between `s` and `t` (inside the quotes), already checked by the
    /// parser.
    static func unescape(_ b: UnsafePointer<UInt8>, from s: Int, to t: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(t - s)
        var i = s
        func hex4(_ at: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = b[k]
                let d: UInt8 = c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : (c | 0x20) - UInt8(ascii: "a") + 10
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while i < t {
            let c = b[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i += 1
                continue
            }
            let e = b[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if scalar >= 0xD800, scalar < 0xDC00 {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4(i + 2) - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
            default: out.append(e) // '"', '\\' or '/'
            }
        }
        return out
    }
}

/// One value of a tape: pointers to its entries and bytes, and its entry's index. Valid only inside
/// `JSONTape.withRoot`; copying one retains nothing.
struct JSONValue {
    let e: UnsafePointer<TapeEntry>
    let b: UnsafePointer<UInt8>
    let t: UnsafePointer<Int32>
    let i: Int

    var kind: TapeKind { e[i].kind }
    var isNull: Bool { e[i].kind == .null }

    /// The value's bytes in the input.
    var range: Range<Int> { Int(e[i].start)..<Int(e[i].end) }

    var kindName: String {
        switch kind {
        case .null: "null"
        case .false, .true: "a boolean"
        case .integer, .number: "a number"
        case .string, .key: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private func at(_ j: Int) -> JSONValue { JSONValue(e: e, b: b, t: t, i: j) }

    var bool: Bool? {
        switch kind {
        case .true: true
        case .false: false
        default: nil
        }
    }

    /// A number written as an integer that fits in Int64.
    var integer: Int64? { kind == .integer ? Int64(bitPattern: e[i].aux) : nil }

    /// A number's text as written (for one that is not such an integer).
    var numberText: String? {
        guard kind == .number || kind == .integer else { return nil }
        return String(decoding: UnsafeBufferPointer(start: b + Int(e[i].start), count: Int(e[i].end - e[i].start)), as: UTF8.self)
    }

    /// A string's (or a member name's) text.
    var string: String? {
        guard kind == .string || kind == .key else { return nil }
        return text(i)
    }

    /// The text of the string or name at entry `j`.
    private func text(_ j: Int) -> String {
        let s = Int(e[j].start) + 1, t = Int(e[j].end) - 1
        if e[j].flags & TapeEntry.escaped == 0 {
            return String(decoding: UnsafeBufferPointer(start: b + s, count: t - s), as: UTF8.self)
        }
        return String(decoding: JSONTape.unescape(b, from: s, to: t), as: UTF8.self)
    }

    /// Whether the string at `j` (unescaped) has exactly these bytes.
    private func textEquals(_ j: Int, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = Int(e[j].start) + 1, t = Int(e[j].end) - 1
        if e[j].flags & TapeEntry.escaped == 0 {
            return t - s == name.count && (name.count == 0 || memcmp(b + s, name.baseAddress!, name.count) == 0)
        }
        let text = JSONTape.unescape(b, from: s, to: t)
        return text.elementsEqual(name)
    }

    // MARK: Arrays

    /// An array's number of items.
    var count: Int { Int(e[i].aux) }

    /// The first item of an array (or the first name of an object), if any, as an entry index; the one after
    /// item `j` is `after(j)`. The end is `end`.
    var first: Int { i + 1 }
    var end: Int { Int(e[i].next) }
    func after(_ j: Int) -> Int { Int(e[j].next) }
    func value(at j: Int) -> JSONValue { at(j) }

    // MARK: Objects

    /// The members of an object in input order, a repeated name only once (its first value).
    func forEachMember(_ body: (_ name: String, _ value: JSONValue) throws -> Void) rethrows {
        var k = i + 1
        let stop = end
        while k < stop {
            if e[k].flags & TapeEntry.repeated == 0 { try body(text(k), at(k + 1)) }
            k = Int(e[k + 1].next)
        }
    }

    /// The value of the member with this name (the first, if it is given twice), found in the object's table.
    func member(_ name: UnsafeBufferPointer<UInt8>, print: UInt32) -> JSONValue? {
        let table = e[i].aux
        let bits = table & 0xFF
        guard bits != 0 else { return nil }
        let mask = Int((1 as UInt64) << bits) - 1
        let slots = t + Int(table >> 8)
        var h = Int(print) & mask
        while true {
            let k = Int(slots[h])
            if k < 0 { return nil }
            if e[k].aux == UInt64(print), textEquals(k, name) { return at(k + 1) }
            h = (h + 1) & mask
        }
    }

    func member(_ name: String) -> JSONValue? {
        var name = name
        return name.withUTF8 { bytes in member(bytes, print: JSONTape.fingerprint(bytes: bytes)) }
    }

    func member(_ name: StaticString) -> JSONValue? {
        let bytes = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return member(bytes, print: JSONTape.fingerprint(bytes: bytes))
    }

    // MARK: Paths

    /// The member names and item numbers that lead from this value to the one at entry `target` inside it, as
    /// `JSONDecoder` writes them in a coding path.
    func path(to target: Int) -> [any CodingKey] {
        var path: [any CodingKey] = []
        var node = i
        while node != target {
            let container = at(node)
            guard container.kind == .object || container.kind == .array, target > node, target < container.end else { break }
            var k = node + 1
            var n = 0
            if container.kind == .object {
                while Int(e[k + 1].next) <= target { k = Int(e[k + 1].next) }
                path.append(MemberKey(text(k)))
                node = k + 1
            } else {
                while Int(e[k].next) <= target {
                    k = Int(e[k].next)
                    n += 1
                }
                path.append(IndexKey(n))
                node = k
            }
        }
        return path
    }
}

/// Builds a tape. The grammar and the messages are `EnvelopeParser`'s.
struct TapeParser {
    private let b: UnsafeBufferPointer<UInt8>
    var i = 0
    var out: [TapeEntry]
    var slots: [Int32] = []

    init(_ b: UnsafeBufferPointer<UInt8>) throws(WireError) {
        guard b.count < Int(Int32.max) else { throw .invalidJSON("a document larger than 2 GB") }
        self.b = b
        out = []
        out.reserveCapacity(b.count / 8 + 8)
        slots.reserveCapacity(b.count / 4 + 8)
    }

    func fail(_ what: String) -> WireError {
        .invalidJSON("\(what) at byte \(i)")
    }

    mutating func skipSpace() {
        while i < b.count {
            let c = b[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    private mutating func scalar(_ kind: TapeKind, from start: Int, aux: UInt64 = 0, flags: UInt8 = 0) {
        out.append(TapeEntry(aux: aux, start: Int32(start), end: Int32(i), next: Int32(out.count + 1), kind: kind, flags: flags))
    }

    private mutating func literal(_ word: StaticString, _ kind: TapeKind) throws(WireError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { throw fail("unexpected end") }
        let w = word.utf8Start
        for k in 0..<n where b[i + k] != w[k] { throw fail("unexpected character") }
        i += n
        scalar(kind, from: i - n)
    }

    mutating func value(depth: Int) throws(WireError) {
        guard i < b.count else { throw fail("unexpected end, a value was expected") }
        switch b[i] {
        case UInt8(ascii: "{"): try object(depth: depth + 1)
        case UInt8(ascii: "["): try array(depth: depth + 1)
        case UInt8(ascii: "\""):
            let start = i
            let flags = try string()
            scalar(.string, from: start, flags: flags)
        case UInt8(ascii: "t"): try literal("true", .true)
        case UInt8(ascii: "f"): try literal("false", .false)
        case UInt8(ascii: "n"): try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw fail("unexpected character")
        }
    }

    /// Opens a container's entry; `close` finishes it.
    private mutating func open(_ kind: TapeKind) -> Int {
        out.append(TapeEntry(aux: 0, start: Int32(i), end: 0, next: 0, kind: kind, flags: 0))
        i += 1
        return out.count - 1
    }

    private mutating func close(_ me: Int, aux: UInt64) {
        i += 1
        out[me].end = Int32(i)
        out[me].next = Int32(out.count)
        out[me].aux = aux
    }

    private mutating func object(depth: Int) throws(WireError) {
        guard depth <= JSONTape.maxDepth else { throw fail("nesting deeper than \(JSONTape.maxDepth)") }
        let me = open(.object)
        var count = 0
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { return close(me, aux: 0) }
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw fail("a member name was expected") }
            try name()
            count += 1
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("':' was expected") }
            i += 1
            skipSpace()
            try value(depth: depth)
            skipSpace()
            guard i < b.count else { throw fail("unexpected end in an object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "}") else { throw fail("',' or '}' was expected") }
            close(me, aux: 0)
            return table(me, count: count)
        }
    }

    /// The member table of the object at entry `me`, with `count` members: at most half full. A name given before
    /// is marked repeated and left out: its first value counts (JSONDecoder's rule).
    private mutating func table(_ me: Int, count: Int) {
        var bits: UInt64 = 2
        while (1 << bits) < 2 * count { bits += 1 }
        let size = 1 << Int(bits)
        let base = slots.count
        slots.append(contentsOf: repeatElement(-1, count: size))
        out[me].aux = UInt64(base) << 8 | bits
        let stop = Int(out[me].next)
        var k = me + 1
        while k < stop {
            var h = Int(out[k].aux) & (size - 1)
            while true {
                let j = Int(slots[base + h])
                if j < 0 {
                    slots[base + h] = Int32(k)
                    break
                }
                if out[j].aux == out[k].aux, sameName(j, k) {
                    out[k].flags |= TapeEntry.repeated
                    break
                }
                h = (h + 1) & (size - 1)
            }
            k = Int(out[k + 1].next)
        }
    }

    /// Whether the names at entries `j` and `k` are the same (compared as `String`s when one has escapes).
    private func sameName(_ j: Int, _ k: Int) -> Bool {
        let (sj, tj) = (Int(out[j].start) + 1, Int(out[j].end) - 1)
        let (sk, tk) = (Int(out[k].start) + 1, Int(out[k].end) - 1)
        if (out[j].flags | out[k].flags) & TapeEntry.escaped == 0 {
            return tj - sj == tk - sk && (tj == sj || memcmp(b.baseAddress! + sj, b.baseAddress! + sk, tj - sj) == 0)
        }
        func text(_ f: UInt8, _ s: Int, _ t: Int) -> String {
            f & TapeEntry.escaped == 0 ? String(decoding: UnsafeBufferPointer(rebasing: b[s..<t]), as: UTF8.self)
                : String(decoding: JSONTape.unescape(b.baseAddress!, from: s, to: t), as: UTF8.self)
        }
        return text(out[j].flags, sj, tj) == text(out[k].flags, sk, tk)
    }

    private mutating func array(depth: Int) throws(WireError) {
        guard depth <= JSONTape.maxDepth else { throw fail("nesting deeper than \(JSONTape.maxDepth)") }
        let me = open(.array)
        var count: UInt64 = 0
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { return close(me, aux: 0) }
        while true {
            skipSpace()
            try value(depth: depth)
            count += 1
            skipSpace()
            guard i < b.count else { throw fail("unexpected end in an array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "]") else { throw fail("',' or ']' was expected") }
            return close(me, aux: count)
        }
    }

    private mutating func digits() throws(WireError) {
        let start = i
        while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
        guard i > start else { throw fail("a digit was expected") }
    }

    private mutating func number() throws(WireError) {
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
            if fits, negative || v != Int64.min {
                return scalar(.integer, from: start, aux: UInt64(bitPattern: negative ? v : -v))
            }
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
        scalar(.number, from: start)
    }

    /// A member name at `i` (at its opening quote), with its fingerprint.
    private mutating func name() throws(WireError) {
        let start = i
        let flags = try string()
        let print: UInt32
        if flags & TapeEntry.escaped == 0 {
            print = JSONTape.fingerprint(bytes: UnsafeBufferPointer(rebasing: b[(start + 1)..<(i - 1)]))
        } else {
            print = JSONTape.unescape(b.baseAddress!, from: start + 1, to: i - 1).withUnsafeBufferPointer { JSONTape.fingerprint(bytes: $0) }
        }
        scalar(.key, from: start, aux: UInt64(print), flags: flags)
    }

    /// Checks a string at `i` (its opening quote): escapes, control characters, UTF-8; `i` ends after its closing
    /// quote. Returns its flags (whether it has escapes).
    private mutating func string() throws(WireError) -> UInt8 {
        i += 1
        var flags: UInt8 = 0
        let raw = UnsafeRawPointer(b.baseAddress!)
        while i < b.count {
            // Eight bytes at a step while none is a quote, a backslash, a control character or non-ASCII (the
            // usual run of a name, an id or a time); the step that finds one goes on byte by byte.
            while i + 8 <= b.count {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                guard Self.plain(w) else { break }
                i += 8
            }
            guard i < b.count else { break }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return flags
            }
            if c == UInt8(ascii: "\\") {
                flags = TapeEntry.escaped
                try escape()
            } else if c < 0x20 {
                throw fail("a control character in a string")
            } else if c < 0x80 {
                i += 1
            } else {
                try utf8Sequence()
            }
        }
        throw fail("unterminated string")
    }

    /// Whether none of the eight bytes in `w` is '"', '\\', below 0x20 or above 0x7F (the classic "has a zero
    /// byte" test: a byte's borrow may mark the bytes after it too, never one before, so no such byte is missed).
    @inline(__always) static func plain(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        let control = (w &- ones &* 0x20) & ~w
        let special = control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
        return (special | w) & highs == 0
    }

    /// One escape at `i` (its backslash).
    private mutating func escape() throws(WireError) {
        i += 1
        guard i < b.count else { throw fail("unterminated escape") }
        let e = b[i]
        i += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return
        case UInt8(ascii: "u"):
            let scalar = try hex4()
            if scalar >= 0xD800, scalar < 0xDC00 {
                guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                    throw fail("a lone surrogate escape")
                }
                i += 2
                let low = try hex4()
                guard low >= 0xDC00, low < 0xE000 else { throw fail("a lone surrogate escape") }
            } else if scalar >= 0xDC00, scalar < 0xE000 {
                throw fail("a lone surrogate escape")
            }
        default:
            throw fail("an invalid escape")
        }
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

    /// One multi-byte UTF-8 sequence at `i` (RFC 3629: shortest form, no surrogates, at most U+10FFFF).
    private mutating func utf8Sequence() throws(WireError) {
        let c = b[i]
        let n: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch c {
        case 0xC2...0xDF: n = 1
        case 0xE0: n = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: n = 2
        case 0xED: n = 2; high = 0x9F
        case 0xF0: n = 3; low = 0x90
        case 0xF1...0xF3: n = 3
        case 0xF4: n = 3; high = 0x8F
        default: throw fail("invalid UTF-8 in a string")
        }
        guard i + n < b.count else { throw fail("invalid UTF-8 in a string") }
        let second = b[i + 1]
        guard second >= low, second <= high else { throw fail("invalid UTF-8 in a string") }
        for k in 2..<(n + 1) where b[i + k] & 0xC0 != 0x80 { throw fail("invalid UTF-8 in a string") }
        i += n + 1
    }
}

extension JSONValue {
    /// A null that belongs to no document (what `superDecoder` reads where there is no such member). Its storage
    /// is made once and never freed.
    nonisolated(unsafe) static let null: JSONValue = {
        let e = UnsafeMutablePointer<TapeEntry>.allocate(capacity: 1)
        e.initialize(to: TapeEntry(aux: 0, start: 0, end: 4, next: 1, kind: .null, flags: 0))
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: 4)
        for (k, c) in "null".utf8.enumerated() { b[k] = c }
        return JSONValue(e: e, b: b, t: noSlots, i: 0)
    }()

    /// Where the slots of a document without objects are said to be (never read).
    nonisolated(unsafe) static let noSlots: UnsafePointer<Int32> = {
        let t = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        t.initialize(to: -1)
        return UnsafePointer(t)
    }()
}
