import Glibc

/// Builds a tape. The grammar and the messages are `EnvelopeParser`'s.
struct TapeParser {
    private let b: UnsafeBufferPointer<UInt8>
    var i = 0
    var out: [TapeEntry]
    var slots: [Int32] = []
    /// `JSONTape.seed`, read once: it heads the slots, for lookups.
    private let seed: UInt64

    init(_ b: UnsafeBufferPointer<UInt8>) throws(WireError) {
        guard b.count < Int(Int32.max) else { throw .invalidJSON("a document larger than 2 GB") }
        self.b = b
        out = []
        out.reserveCapacity(b.count / 8 + 8)
        slots.reserveCapacity(b.count / 4 + 8)
        seed = JSONTape.seed
        slots.append(Int32(truncatingIfNeeded: seed))
        slots.append(Int32(truncatingIfNeeded: seed >> 32))
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
            print = JSONTape.fingerprint(bytes: UnsafeBufferPointer(rebasing: b[(start + 1)..<(i - 1)]), seed: seed)
        } else {
            print = JSONTape.unescape(b.baseAddress!, from: start + 1, to: i - 1).withUnsafeBufferPointer {
                JSONTape.fingerprint(bytes: $0, seed: seed)
            }
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
            // usual run of a name, an id or a time); the step that finds one moves to it at once.
            while i + 8 <= b.count {
                let found = Self.special(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                if found == 0 {
                    i += 8
                    continue
                }
                i += found.trailingZeroBitCount >> 3
                break
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
            } else if Self.plainThreeByte(b, at: i) {
                // A three-byte character whose second byte may be any continuation byte (not E0, whose shortest
                // form starts at A0, nor ED, which would encode a surrogate): Chinese text, the bulk of a ticket's
                // non-ASCII bytes, checked here rather than through `utf8Sequence` — and the ones after it at once,
                // without looking at eight bytes first (a character at a step through that was ~25 instructions).
                i += 3
                while Self.plainThreeByte(b, at: i) { i += 3 }
            } else {
                try utf8Sequence()
            }
        }
        throw fail("unterminated string")
    }

    /// Whether a three-byte UTF-8 character that needs no further check starts at `i` (lead E1-EC or EE-EF and two
    /// continuation bytes).
    @inline(__always) static func plainThreeByte(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i + 2 < b.count else { return false }
        let c = b[i]
        return c >= 0xE1 && c != 0xED && c <= 0xEF && b[i + 1] & 0xC0 == 0x80 && b[i + 2] & 0xC0 == 0x80
    }

    /// The high bit of each of the eight bytes in `w` (the first in memory lowest) that is '"', '\\', below 0x20 or
    /// above 0x7F; the lowest set bit is exact (the classic "has a zero byte" test: a byte's borrow may mark the
    /// bytes after it too, never one before), so the first such byte is found and none is missed.
    @inline(__always) static func special(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
        let control = (w &- ones &* 0x20) & ~w
        let special = control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
        return (special | w) & highs
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
