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
    /// The seed of this tape's fingerprints (its first two slots, low half first), then the objects' member tables:
    /// the entry of a member's name, or -1 for an empty slot.
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
                    // Never empty (the seed), but an address is not promised by the type.
                    try body(JSONValue(e: e.baseAddress!, b: b.baseAddress!, t: t.baseAddress ?? JSONValue.noSlots, i: root))
                }
            }
        }
    }

    /// A member name's fingerprint: what the parser computes for each name it reads, and a lookup for the name it
    /// wants. Eight bytes at a step, each mixed in by a multiply and a fold (names are short: one or two steps),
    /// from a seed drawn when the process starts (`seed`; the parser keeps it at the head of the tape's slots, where
    /// lookups read it): names chosen to fall into one slot of a member table (which would make a 4 MB object of
    /// them take minutes) cannot be worked out ahead. Fingerprints never leave the process.
    ///
    /// The bytes after the last whole step are read in at most two loads, not one at a time: the last eight bytes
    /// of a name of eight or more (overlapping the step before), two four-byte loads that overlap for a name of four
    /// to seven, the first, middle and last bytes for one of one to three. Each covers every byte, and the length is
    /// in the seed, so two names of one length differ in the word mixed in. A byte at a time, the tail was most of
    /// the 80 instructions a fingerprint took (33 now), and a ticket.assign takes about 230 of them: 75 names read,
    /// 155 looked up (callgrind, hotline-bench hop: the unit's connection thread 4.8 % fewer instructions).
    static func fingerprint(bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt32 {
        let raw = UnsafeRawBufferPointer(bytes)
        let n = raw.count
        var h: UInt64 = seed ^ UInt64(n)
        if n >= 8 {
            var i = 0
            while i + 8 <= n {
                h = mix(h, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i += 8
            }
            if i < n { h = mix(h, raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) }
        } else if n >= 4 {
            let low = UInt64(raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            let high = UInt64(raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            h = mix(h, low | high << 32)
        } else if n > 0 {
            h = mix(h, UInt64(raw[0]) | UInt64(raw[n >> 1]) << 8 | UInt64(raw[n - 1]) << 16)
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
