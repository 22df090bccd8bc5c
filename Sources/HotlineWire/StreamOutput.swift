import Glibc

/// The bytes being written, shared by every encoder and container of one `encode`: a buffer of its own, written
/// through a pointer. Appending to an `[UInt8]` held by a class paid a uniqueness and a capacity check and a call
/// for every byte and ~90 instructions for every copy, and each member name was scanned for escapes: writing
/// JSON was 15 % of the lifecycle centre's instructions, ~300 a member name and ~320 a string (callgrind,
/// hotline-bench lifecycle --quick).
final class StreamOutput {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    let sortedKeys: Bool
    /// Whether a `JSONObjectEncodable` value writes itself (the normal case) or goes through `encode(to:)`.
    let byHand: Bool

    init(sortedKeys: Bool, byHand: Bool = true) {
        self.sortedKeys = sortedKeys
        self.byHand = byHand
        capacity = 2048
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// What has been written, as an array of its own.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Room for `n` more bytes at `base + count`.
    @inline(__always) func reserve(_ n: Int) {
        if capacity - count < n { grow(n) }
    }

    private func grow(_ n: Int) {
        var c = capacity * 2
        while c - count < n { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        b.update(from: base, count: count)
        base.deallocate()
        base = b
        capacity = c
    }

    /// Counts `n` bytes written at `base + count` (after `reserve`).
    @inline(__always) func advance(_ n: Int) { count += n }

    @inline(__always) func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    func raw(_ p: UnsafeRawBufferPointer) {
        guard let from = p.baseAddress, p.count > 0 else { return }
        reserve(p.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: from, byteCount: p.count)
        count += p.count
    }

    /// A value that writes itself: its object, members in the order it writes them (sorted at the close when
    /// keys are sorted, as every other object).
    func object<T: JSONObjectEncodable>(_ value: T) throws { try object { try value.write(json: $0) } }

    /// An object whose members `body` writes through the writer it is given, closed (and sorted) after.
    func object(_ body: (JSONObjectWriter) throws -> Void) rethrows {
        byte(UInt8(ascii: "{"))
        let level = StreamLevel(closer: UInt8(ascii: "}"))
        try body(JSONObjectWriter(out: self, level: level))
        level.close(self)
    }

    /// A literal's bytes as they are (`null`, `true`, `{}`).
    func ascii(_ s: StaticString) { s.withUTF8Buffer { raw(UnsafeRawBufferPointer($0)) } }

    func string(_ s: String) {
        var s = s
        s.withUTF8 { escaped($0) }
    }

    /// The bytes as a JSON string: quoted, with RFC 8259's escapes (`JSONWriter.appendString`'s).
    func escaped(_ u: UnsafeBufferPointer<UInt8>) {
        reserve(u.count * 6 + 2)
        count = JSONWriter.writeString(u, to: base + count) - base
    }

    /// A member's name and colon in `level`'s object (with sorted keys, noted for the sort at its close).
    func key(_ name: String, in level: StreamLevel) {
        var name = name
        name.withUTF8 { key($0, in: level) }
    }

    /// A literal name (what `JSONObjectWriter` is given): one that needs no escaping, as every member name in this
    /// code base, is copied with its quotes and colon in one reservation, without the string writer (which made a
    /// name ~280 instructions).
    func key(_ name: StaticString, in level: StreamLevel) {
        guard name.hasPointerRepresentation, name.utf8CodeUnitCount <= 16 else {
            return name.withUTF8Buffer { key($0, in: level) }
        }
        let n = name.utf8CodeUnitCount, src = name.utf8Start
        // 8 bytes or more: in two 8-byte words (overlapping when shorter than 16); fewer: byte by byte.
        var first: UInt64 = 0, last: UInt64 = 0
        if n >= 8 {
            first = UnsafeRawPointer(src).loadUnaligned(as: UInt64.self)
            last = UnsafeRawPointer(src + n - 8).loadUnaligned(as: UInt64.self)
            if JSONWriter.anyNeedsEscape(first) || JSONWriter.anyNeedsEscape(last) {
                return name.withUTF8Buffer { key($0, in: level) }
            }
        } else {
            for i in 0..<n where JSONWriter.needsEscape(src[i]) {
                return name.withUTF8Buffer { key($0, in: level) }
            }
        }
        level.nextElement(self)
        reserve(n + 3)
        if sortedKeys { level.mark(MemberMark(UnsafeBufferPointer(start: src, count: n), start: count, written: n + 2)) }
        let at = base + count
        at[0] = UInt8(ascii: "\"")
        if n >= 8 {
            UnsafeMutableRawPointer(at + 1).storeBytes(of: first, as: UInt64.self)
            UnsafeMutableRawPointer(at + 1 + n - 8).storeBytes(of: last, as: UInt64.self)
        } else {
            for i in 0..<n { at[1 + i] = src[i] }
        }
        at[n + 1] = UInt8(ascii: "\"")
        at[n + 2] = UInt8(ascii: ":")
        count += n + 3
    }

    private func key(_ name: UnsafeBufferPointer<UInt8>, in level: StreamLevel) {
        level.nextElement(self)
        let start = count
        escaped(name)
        if sortedKeys { level.mark(MemberMark(name, start: start, written: count - start)) }
        byte(UInt8(ascii: ":"))
    }

    func int<T: BinaryInteger>(_ v: T) {
        reserve(21)
        if v < 0 { base[count] = UInt8(ascii: "-"); count += 1 }
        var x = UInt64(v.magnitude)
        var digits = 1
        var t = x
        while t >= 10 { t /= 10; digits += 1 }
        var at = count + digits
        repeat {
            at -= 1
            base[at] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: x % 10)
            x /= 10
        } while x != 0
        count += digits
    }

    func number(_ text: String) {
        var text = text
        text.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
    }

    func double(_ v: Double, _ path: [any CodingKey]) throws {
        guard v.isFinite else {
            throw EncodingError.invalidValue(v, .init(codingPath: path, debugDescription: "JSON has no \(v)"))
        }
        // Integral values as integers, as JSONEncoder writes them.
        if v == v.rounded(), abs(v) < 1e15 { int(Int64(v)) } else { number("\(v)") }
    }
}

/// Where one member of an object being written with sorted keys starts, and how to find its name: the name's
/// first 8 bytes as a big-endian number (compares as the bytes do) decide most comparisons; otherwise the name is
/// read where it was written (right after `start`'s quote), or from `spelled` when escaping changed its bytes.
struct MemberMark {
    let prefix: UInt64
    /// At its name's opening quote.
    let start: Int
    let nameCount: Int
    /// The name's UTF-8 when it is not what was written (a name with a character JSON escapes).
    let spelled: [UInt8]?

    init(_ name: UnsafeBufferPointer<UInt8>, start: Int, written: Int) {
        var p: UInt64 = 0
        for i in 0..<8 { p = p << 8 | UInt64(i < name.count ? name[i] : 0) }
        prefix = p
        self.start = start
        nameCount = name.count
        spelled = written == name.count + 2 ? nil : Array(name)
    }

    /// The name's bytes, given the output it was written to.
    func withName<R>(in base: UnsafeMutablePointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let spelled { return spelled.withUnsafeBufferPointer(body) }
        return body(UnsafeBufferPointer(start: base + start + 1, count: nameCount))
    }

    /// UTF-8 byte order (which is code point order).
    func precedes(_ other: MemberMark, in base: UnsafeMutablePointer<UInt8>) -> Bool {
        if prefix != other.prefix { return prefix < other.prefix }
        return withName(in: base) { x in
            other.withName(in: base) { y in
                let n = min(x.count, y.count)
                let c = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
                return c < 0 || (c == 0 && x.count < y.count)
            }
        }
    }
}
