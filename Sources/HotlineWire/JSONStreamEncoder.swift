/// Writes an `Encodable` value as JSON straight into bytes, fields in the order the value encodes them: no
/// intermediate tree and no key sorting, which is what Foundation's `JSONEncoder` spends its time on (a 630-byte
/// event: 14.5 µs there). For documents read back by a decoder: the node's stored tickets and events.
///
/// With `sortedKeys`, each object's members are put in the order of their names' UTF-8 bytes when the object is
/// closed, which is what `JSONEncoder` writes with `.sortedKeys` (and `.withoutEscapingSlashes`), byte for byte:
/// wire message bodies, which protocols/README §8 wants sorted.
///
/// Strings are escaped as `JSONWriter` does (RFC 8259); non-finite numbers are refused, as by `JSONEncoder`.
/// Coding paths name the top-level value only: building a path per key cost more than the rest of the encoding,
/// and the one error this encoder raises (a non-finite number) names the number.
public enum JSONStreamEncoder {
    public static func encode<T: Encodable>(_ value: T, sortedKeys: Bool = false) throws -> [UInt8] {
        try encode(value, sortedKeys: sortedKeys, byHand: true)
    }

    /// One object whose members `body` writes (sorted by name at the close with `sortedKeys`, as `encode` sorts):
    /// for a JSON document that is not a Swift value of its own, such as an operator's answer.
    public static func object(sortedKeys: Bool = false, _ body: (JSONObjectWriter) throws -> Void) rethrows -> [UInt8] {
        let out = StreamOutput(sortedKeys: sortedKeys)
        try out.object(body)
        return out.bytes
    }

    /// `byHand: false` ignores `JSONObjectEncodable` and writes every value through its `encode(to:)`: what the
    /// tests compare the hand-written writers with.
    static func encode<T: Encodable>(_ value: T, sortedKeys: Bool, byHand: Bool) throws -> [UInt8] {
        let out = StreamOutput(sortedKeys: sortedKeys, byHand: byHand)
        if byHand, let v = value as? any JSONObjectEncodable {
            try out.object(v)
            return out.bytes
        }
        let encoder = StreamEncoder(out: out, codingPath: [])
        try value.encode(to: encoder)
        encoder.level.close(out)
        if out.count == 0 { out.ascii("{}") }
        return out.bytes
    }
}

extension StreamLevel {
    /// Puts the object's members (all written, the closing brace not yet) in the order of their names. Nested
    /// objects were sorted when they closed; sorting moves whole members, so their bytes stay as they are.
    fileprivate func sortMembers(_ out: StreamOutput) {
        let members = self.members   // a local copy: no exclusivity check per comparison
        let base = out.base
        var sorted = true
        for i in 1..<members.count where !members[i - 1].precedes(members[i], in: base) {
            sorted = false
            break
        }
        guard !sorted else { return }
        let from = members[0].start, end = out.count
        // Member i runs to the comma before member i + 1; the last one to the end.
        let ranges = members.indices.map { i in members[i].start..<(i + 1 < members.count ? members[i + 1].start - 1 : end) }
        let order = members.indices.sorted { members[$0].precedes(members[$1], in: base) }
        let region = Array(UnsafeBufferPointer(start: base + from, count: end - from))
        var at = from
        for (n, i) in order.enumerated() {
            if n > 0 { base[at] = UInt8(ascii: ","); at += 1 }
            region.withUnsafeBufferPointer { r in
                (base + at).update(from: r.baseAddress! + (ranges[i].lowerBound - from), count: ranges[i].count)
            }
            at += ranges[i].count
        }
    }
}

/// One object or array being written: whether it has an element yet, and a container opened inside it by
/// `nestedContainer`/`superEncoder` that must be closed before its next element (streaming cannot go back).
final class StreamLevel {
    let closer: UInt8?
    var first = true
    var openChild: StreamLevel?
    /// For a `superEncoder` slot: where its value starts, so a value that wrote nothing still leaves `{}`.
    let slotStart: Int?
    /// With sorted keys: where each member starts and how to compare its name.
    private(set) var members: [MemberMark] = []

    func mark(_ m: MemberMark) {
        // Room for a ticket's members at once: growing 1, 2, 4, … was a sixth of writing a name.
        if members.isEmpty { members.reserveCapacity(32) }
        members.append(m)
    }

    init(closer: UInt8?, slotStart: Int? = nil) {
        self.closer = closer
        self.slotStart = slotStart
    }

    /// The level of a value that has opened no container yet. Shared and never changed: only the levels of
    /// containers (and `superEncoder` slots) get elements, members or open children, and closing this one writes
    /// nothing.
    nonisolated(unsafe) static let none = StreamLevel(closer: nil)

    /// Closes a pending nested container and writes the separator for the next element.
    func nextElement(_ out: StreamOutput) {
        if let child = openChild {
            child.close(out)
            openChild = nil
        }
        if first { first = false } else { out.byte(UInt8(ascii: ",")) }
    }

    func close(_ out: StreamOutput) {
        if let child = openChild {
            child.close(out)
            openChild = nil
        }
        if members.count > 1 { sortMembers(out) }
        if let closer { out.byte(closer) }
        if let slotStart, out.count == slotStart { out.ascii("{}") }
    }
}

final class StreamEncoder: Encoder {
    let out: StreamOutput
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// The container this value opened (none yet: a single value, or nothing written).
    var level = StreamLevel.none

    init(out: StreamOutput, codingPath: [any CodingKey]) {
        self.out = out
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if level.closer != UInt8(ascii: "}") {
            out.byte(UInt8(ascii: "{"))
            level = StreamLevel(closer: UInt8(ascii: "}"))
        }
        return KeyedEncodingContainer(KeyedStream<Key>(encoder: self, level: level))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if level.closer != UInt8(ascii: "]") {
            out.byte(UInt8(ascii: "["))
            level = StreamLevel(closer: UInt8(ascii: "]"))
        }
        return UnkeyedStream(encoder: self, level: level)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleStream(encoder: self) }

    /// Writes a nested value through its own `encode(to:)` and closes what it opened (a value that wrote nothing
    /// is `{}`, as `JSONEncoder` writes it). One dynamic cast, for a value that writes itself (`JSONObjectEncodable`);
    /// primitives come back through `SingleStream`.
    ///
    /// The value is given this same encoder (its coding path is the same: paths name the top-level value), with its
    /// own level for the duration: containers already handed out keep theirs, and the caller's level is put back
    /// after. An encoder and a level per nested value were a sixth of a document's allocations.
    func write<T: Encodable>(_ value: T) throws {
        if out.byHand, let v = value as? any JSONObjectEncodable { return try out.object(v) }
        let start = out.count
        let outer = level
        level = .none
        defer { level = outer }
        try value.encode(to: self)
        level.close(out)
        if out.count == start { out.ascii("{}") }
    }

    /// A container opened inside the current one without a value to encode into it: closed lazily.
    func nested(closer: UInt8, in parent: StreamLevel) -> StreamLevel {
        let level = StreamLevel(closer: closer)
        parent.openChild = level
        out.byte(closer == UInt8(ascii: "}") ? UInt8(ascii: "{") : UInt8(ascii: "["))
        return level
    }
}

struct KeyedStream<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StreamEncoder
    let level: StreamLevel
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func key(_ key: Key) { encoder.out.key(key.stringValue, in: level) }

    mutating func encodeNil(forKey k: Key) throws { key(k); encoder.out.ascii("null") }
    mutating func encode(_ v: Bool, forKey k: Key) throws { key(k); encoder.out.ascii(v ? "true" : "false") }
    mutating func encode(_ v: String, forKey k: Key) throws { key(k); encoder.out.string(v) }
    mutating func encode(_ v: Double, forKey k: Key) throws { key(k); try encoder.out.double(v, codingPath) }
    mutating func encode(_ v: Float, forKey k: Key) throws { key(k); try encoder.out.double(Double(v), codingPath) }
    mutating func encode(_ v: Int, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode(_ v: Int8, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode(_ v: Int16, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode(_ v: Int32, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode(_ v: Int64, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode(_ v: UInt, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode(_ v: UInt8, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode(_ v: UInt16, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode(_ v: UInt32, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode(_ v: UInt64, forKey k: Key) throws { key(k); encoder.out.int(v) }
    mutating func encode<T: Encodable>(_ v: T, forKey k: Key) throws {
        key(k)
        try encoder.write(v)
    }

    // The optional members: the protocol's default `encodeIfPresent` is generic code in the standard library, which
    // looks up `Optional<T>`'s metadata on every call (a tenth of writing a stored event, perf in the hop).
    mutating func encodeIfPresent(_ v: Bool?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: String?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: Double?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: Float?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: Int?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: Int8?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: Int16?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: Int32?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: Int64?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: UInt?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: UInt8?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: UInt16?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: UInt32?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent(_ v: UInt64?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }
    mutating func encodeIfPresent<T: Encodable>(_ v: T?, forKey k: Key) throws { if let v { try encode(v, forKey: k) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey k: Key)
        -> KeyedEncodingContainer<NestedKey> {
        key(k)
        let child = StreamEncoder(out: encoder.out, codingPath: codingPath)
        child.level = encoder.nested(closer: UInt8(ascii: "}"), in: level)
        return KeyedEncodingContainer(KeyedStream<NestedKey>(encoder: child, level: child.level))
    }

    mutating func nestedUnkeyedContainer(forKey k: Key) -> any UnkeyedEncodingContainer {
        key(k)
        let child = StreamEncoder(out: encoder.out, codingPath: codingPath)
        child.level = encoder.nested(closer: UInt8(ascii: "]"), in: level)
        return UnkeyedStream(encoder: child, level: child.level)
    }

    mutating func superEncoder() -> any Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey k: Key) -> any Encoder {
        key(k)
        let child = StreamEncoder(out: encoder.out, codingPath: codingPath)
        // Whatever the caller writes through it is closed before this container's next key.
        let slot = StreamLevel(closer: nil, slotStart: encoder.out.count)
        level.openChild = slot
        child.level = slot
        return LazyEncoder(child: child, slot: slot)
    }
}

/// The encoder `superEncoder` hands out: its container, once opened, is closed by the parent's next element.
final class LazyEncoder: Encoder {
    let child: StreamEncoder
    let slot: StreamLevel
    var codingPath: [any CodingKey] { child.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(child: StreamEncoder, slot: StreamLevel) {
        self.child = child
        self.slot = slot
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let c = child.container(keyedBy: type)
        slot.openChild = child.level
        return c
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let c = child.unkeyedContainer()
        slot.openChild = child.level
        return c
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { child.singleValueContainer() }
}

struct UnkeyedStream: UnkeyedEncodingContainer {
    let encoder: StreamEncoder
    let level: StreamLevel
    private(set) var count = 0
    var codingPath: [any CodingKey] { encoder.codingPath }

    init(encoder: StreamEncoder, level: StreamLevel) {
        self.encoder = encoder
        self.level = level
    }

    private mutating func element() {
        level.nextElement(encoder.out)
        count += 1
    }

    mutating func encodeNil() throws { element(); encoder.out.ascii("null") }
    mutating func encode(_ v: Bool) throws { element(); encoder.out.ascii(v ? "true" : "false") }
    mutating func encode(_ v: String) throws { element(); encoder.out.string(v) }
    mutating func encode(_ v: Double) throws { element(); try encoder.out.double(v, codingPath) }
    mutating func encode(_ v: Int) throws { element(); encoder.out.int(v) }
    mutating func encode(_ v: Int64) throws { element(); encoder.out.int(v) }
    mutating func encode<T: Encodable>(_ v: T) throws {
        element()
        try encoder.write(v)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        element()
        let child = StreamEncoder(out: encoder.out, codingPath: codingPath)
        child.level = encoder.nested(closer: UInt8(ascii: "}"), in: level)
        return KeyedEncodingContainer(KeyedStream<NestedKey>(encoder: child, level: child.level))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        element()
        let child = StreamEncoder(out: encoder.out, codingPath: codingPath)
        child.level = encoder.nested(closer: UInt8(ascii: "]"), in: level)
        return UnkeyedStream(encoder: child, level: child.level)
    }

    mutating func superEncoder() -> any Encoder {
        element()
        let child = StreamEncoder(out: encoder.out, codingPath: codingPath)
        let slot = StreamLevel(closer: nil, slotStart: encoder.out.count)
        level.openChild = slot
        child.level = slot
        return LazyEncoder(child: child, slot: slot)
    }
}

struct SingleStream: SingleValueEncodingContainer {
    let encoder: StreamEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.out.ascii("null") }
    mutating func encode(_ v: Bool) throws { encoder.out.ascii(v ? "true" : "false") }
    mutating func encode(_ v: String) throws { encoder.out.string(v) }
    mutating func encode(_ v: Double) throws { try encoder.out.double(v, codingPath) }
    mutating func encode(_ v: Float) throws { try encoder.out.double(Double(v), codingPath) }
    mutating func encode(_ v: Int) throws { encoder.out.int(v) }
    mutating func encode(_ v: Int8) throws { encoder.out.int(v) }
    mutating func encode(_ v: Int16) throws { encoder.out.int(v) }
    mutating func encode(_ v: Int32) throws { encoder.out.int(v) }
    mutating func encode(_ v: Int64) throws { encoder.out.int(v) }
    mutating func encode(_ v: UInt) throws { encoder.out.int(v) }
    mutating func encode(_ v: UInt8) throws { encoder.out.int(v) }
    mutating func encode(_ v: UInt16) throws { encoder.out.int(v) }
    mutating func encode(_ v: UInt32) throws { encoder.out.int(v) }
    mutating func encode(_ v: UInt64) throws { encoder.out.int(v) }
    mutating func encode<T: Encodable>(_ v: T) throws { try v.encode(to: encoder) }
}
