import Glibc

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

    /// A string's UTF-8 bytes (escapes decoded) handed to `body`, without making a `String`; nil if it is not a string.
    func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        guard kind == .string else { return nil }
        let s = Int(e[i].start) + 1, t = Int(e[i].end) - 1
        if e[i].flags & TapeEntry.escaped == 0 { return body(UnsafeBufferPointer(start: b + s, count: t - s)) }
        return JSONTape.unescape(b, from: s, to: t).withUnsafeBufferPointer(body)
    }

    /// The seed of the tape's name fingerprints, kept at the head of its slots.
    var seed: UInt64 { UInt64(UInt32(bitPattern: t[0])) | UInt64(UInt32(bitPattern: t[1])) << 32 }

    /// The text of the string or name at entry `j`.
    private func text(_ j: Int) -> String {
        let s = Int(e[j].start) + 1, t = Int(e[j].end) - 1
        if e[j].flags & TapeEntry.escaped == 0 {
            return String(decoding: UnsafeBufferPointer(start: b + s, count: t - s), as: UTF8.self)
        }
        return String(decoding: JSONTape.unescape(b, from: s, to: t), as: UTF8.self)
    }

    /// Whether the string at `j` (unescaped) has exactly these bytes.
    func textEquals(_ j: Int, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
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
    func member(_ name: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        let table = e[i].aux
        let bits = table & 0xFF
        guard bits != 0 else { return nil }
        let print = JSONTape.fingerprint(bytes: name, seed: seed)
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
        return name.withUTF8 { member($0) }
    }

    func member(_ name: StaticString) -> JSONValue? {
        member(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
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

    /// Slots for a value of no tape (`null`: it has no members, so none are read).
    nonisolated(unsafe) static let noSlots: UnsafePointer<Int32> = {
        let t = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
        t.initialize(repeating: 0, count: 2)
        return UnsafePointer(t)
    }()
}
