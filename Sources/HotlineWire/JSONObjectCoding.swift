/// A type that reads itself from a JSON object by hand: named lookups and direct calls instead of the
/// `Decodable` containers, whose existential boxes, generic metadata lookups and retains were most of the time a
/// node spent reading a ticket (perf, hotline-bench hop: 29 % of a unit's connection thread; the parse 14 %).
///
/// `init(json:)` must read the value `init(from:)` reads, accept what it accepts and refuse what it refuses;
/// `JSONStreamDecoder` then uses it wherever the type appears, at the top or nested in a `Decodable` value.
public protocol JSONObjectDecodable: Decodable {
    init(json: JSONObjectReader) throws
}

/// A type that writes itself as a JSON object by hand: the same members in the same order as `encode(to:)`, so
/// the bytes are the same (sorted keys are sorted at the object's close, as for every other object).
/// `JSONStreamEncoder` uses it wherever the type appears.
public protocol JSONObjectEncodable: Encodable {
    func write(json: JSONObjectWriter) throws
}

/// A member name in a coding path, for errors.
struct MemberKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// One JSON object being read by a `JSONObjectDecodable` type. Errors are those `JSONDecoder` raises for the same
/// input (`keyNotFound`, `typeMismatch`, `valueNotFound`, `dataCorrupted`), with the coding path. It points into the
/// tape being decoded: valid only inside the `init(json:)` it is given to. Names are literals (`StaticString`):
/// their bytes are at hand without making a `String`.
public struct JSONObjectReader {
    let object: JSONValue
    /// Where hand-reading began: its coding path, and its value, which holds this object.
    let base: TreeDecoder

    init(_ decoder: TreeDecoder) throws {
        guard decoder.node.kind == .object else {
            throw Unwrap.mismatch([String: Any].self, decoder.node, decoder.codingPath)
        }
        object = decoder.node
        base = decoder
    }

    private init(object: JSONValue, base: TreeDecoder) {
        self.object = object
        self.base = base
    }

    /// This object's coding path (worked out from the tape: only errors need it).
    var codingPath: [any CodingKey] { base.codingPath + base.node.path(to: object.i) }

    func path(_ name: StaticString) -> [any CodingKey] { codingPath + [MemberKey(name.description)] }

    private func node(_ name: StaticString) throws -> JSONValue {
        guard let v = object.member(name) else { throw missing(name) }
        return v
    }

    func missing(_ name: StaticString) -> DecodingError {
        .keyNotFound(MemberKey(name.description), .init(codingPath: codingPath, debugDescription: "No value associated with key \(name)."))
    }

    /// The member's value, or nil when it is missing or null (what `decodeIfPresent` treats as absent).
    private func present(_ name: StaticString) -> JSONValue? {
        guard let v = object.member(name), !v.isNull else { return nil }
        return v
    }

    public func string(_ name: StaticString) throws -> String { try Unwrap.string(node(name)) { path(name) } }

    public func stringIfPresent(_ name: StaticString) throws -> String? {
        try present(name).map { try Unwrap.string($0) { path(name) } }
    }

    /// A number read from the member's text by `parse`, given the string's UTF-8 bytes without making a `String`
    /// (a time, say); nil when the member is missing, null or not a string, or `parse` gives nil. Not generic: a
    /// generic here would run unspecialised in the modules that call it.
    public func number(fromText name: StaticString, _ parse: (UnsafeBufferPointer<UInt8>) -> Int64?) -> Int64? {
        present(name)?.withUTF8(parse) ?? nil
    }

    public func int(_ name: StaticString) throws -> Int { try Unwrap.integer(Int.self, node(name)) { path(name) } }

    public func intIfPresent(_ name: StaticString) throws -> Int? {
        try present(name).map { try Unwrap.integer(Int.self, $0) { path(name) } }
    }

    public func int64(_ name: StaticString) throws -> Int64 { try Unwrap.integer(Int64.self, node(name)) { path(name) } }

    public func bool(_ name: StaticString) throws -> Bool { try Unwrap.bool(node(name)) { path(name) } }

    public func boolIfPresent(_ name: StaticString) throws -> Bool? {
        try present(name).map { try Unwrap.bool($0) { path(name) } }
    }

    /// Whether the member is there and not null.
    public func isPresent(_ name: StaticString) -> Bool { present(name) != nil }

    public func strings(_ name: StaticString) throws -> [String] { try strings(name, node(name)) }

    public func stringsIfPresent(_ name: StaticString) throws -> [String]? {
        try present(name).map { try strings(name, $0) }
    }

    func strings(_ name: StaticString, _ array: JSONValue) throws -> [String] {
        guard array.kind == .array else { throw Unwrap.mismatch([Any].self, array, path(name)) }
        var out: [String] = []
        out.reserveCapacity(array.count)
        var j = array.first
        while j < array.end {
            let n = out.count
            out.append(try Unwrap.string(array.value(at: j)) { path(name) + [IndexKey(n)] })
            j = array.after(j)
        }
        return out
    }

    /// The member's object, to be read by its own type.
    public func nested(_ name: StaticString) throws -> JSONObjectReader { try reader(name, node(name)) }

    public func nestedIfPresent(_ name: StaticString) throws -> JSONObjectReader? {
        try present(name).map { try reader(name, $0) }
    }

    func reader(_ name: StaticString, _ value: JSONValue) throws -> JSONObjectReader {
        guard value.kind == .object else { throw Unwrap.mismatch([String: Any].self, value, path(name)) }
        return JSONObjectReader(object: value, base: base)
    }

    /// The objects of the member's array, each to be read by its own type.
    public func elements(_ name: StaticString) throws -> [JSONObjectReader] { try elements(name, node(name)) }

    public func elementsIfPresent(_ name: StaticString) throws -> [JSONObjectReader]? {
        try present(name).map { try elements(name, $0) }
    }

    func elements(_ name: StaticString, _ array: JSONValue) throws -> [JSONObjectReader] {
        guard array.kind == .array else { throw Unwrap.mismatch([Any].self, array, path(name)) }
        var out: [JSONObjectReader] = []
        out.reserveCapacity(array.count)
        var j = array.first
        while j < array.end {
            let item = array.value(at: j)
            guard item.kind == .object else {
                throw Unwrap.mismatch([String: Any].self, item, path(name) + [IndexKey(out.count)])
            }
            out.append(JSONObjectReader(object: item, base: base))
            j = array.after(j)
        }
        return out
    }

    /// The error for a member whose value is of the right type but not one the reader accepts (`dataCorrupted`),
    /// e.g. a string that names no case of an enumeration.
    public func invalid(_ name: StaticString, _ description: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: path(name), debugDescription: description))
    }

    /// Any other value, through its `init(from:)` (missing or null: nil).
    public func decodeIfPresent<T: Decodable>(_ name: StaticString, as type: T.Type = T.self) throws -> T? {
        guard let v = present(name) else { return nil }
        return try decode(T.self, name, v)
    }

    func decode<T: Decodable>(_ type: T.Type, _ name: StaticString, _ v: JSONValue) throws -> T {
        try Unwrap.value(T.self, v, parent: TreeDecoder(object, path: codingPath, byHand: base.byHand), key: MemberKey(name.description))
    }
}

/// One JSON object being written by a `JSONObjectEncodable` type, member by member; an optional member that is nil
/// is left out, as `encodeIfPresent` leaves it out. Names are literals (`StaticString`): their bytes are copied
/// as they are, without making or scanning a `String`.
public struct JSONObjectWriter {
    let out: StreamOutput
    let level: StreamLevel

    public func string(_ name: StaticString, _ v: String) {
        out.key(name, in: level)
        out.string(v)
    }

    public func string(_ name: StaticString, _ v: String?) { if let v { string(name, v) } }

    /// A string member whose text `write` writes at the pointer it is given (at most `maxCount` bytes; it returns
    /// how many), as UTF-8 that needs no escaping in JSON (no `"`, `\` or control characters: a timestamp's digits
    /// and punctuation), without making a `String` of it first.
    public func unescapedString(_ name: StaticString, maxCount: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        out.key(name, in: level)
        out.reserve(maxCount + 2)
        out.base[out.count] = UInt8(ascii: "\"")
        let n = write(out.base + out.count + 1)
        precondition(n >= 0 && n <= maxCount, "unescapedString: \(n) bytes written, at most \(maxCount) allowed")
        out.base[out.count + 1 + n] = UInt8(ascii: "\"")
        out.advance(n + 2)
    }

    public func int(_ name: StaticString, _ v: Int) {
        out.key(name, in: level)
        out.int(v)
    }

    public func int(_ name: StaticString, _ v: Int?) { if let v { int(name, v) } }

    public func bool(_ name: StaticString, _ v: Bool) {
        out.key(name, in: level)
        out.ascii(v ? "true" : "false")
    }

    public func bool(_ name: StaticString, _ v: Bool?) { if let v { bool(name, v) } }

    /// A member whose value is `null` (what an answer writes for a field it has no value for).
    public func null(_ name: StaticString) {
        out.key(name, in: level)
        out.ascii("null")
    }

    public func strings(_ name: StaticString, _ v: [String]) {
        out.key(name, in: level)
        out.byte(UInt8(ascii: "["))
        for (i, s) in v.enumerated() {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            out.string(s)
        }
        out.byte(UInt8(ascii: "]"))
    }

    public func strings(_ name: StaticString, _ v: [String]?) { if let v { strings(name, v) } }

    /// Opens the member's object: the caller writes its members through the writer returned and then `end`s it.
    public func nested(_ name: StaticString) -> JSONObjectWriter {
        out.key(name, in: level)
        out.byte(UInt8(ascii: "{"))
        return JSONObjectWriter(out: out, level: StreamLevel(closer: UInt8(ascii: "}")))
    }

    /// Closes an object opened by `nested` (sorting its members first when keys are sorted).
    public func end() { level.close(out) }

    /// An array of `count` objects, each written by `element` (given its index and the object's writer).
    public func objects(_ name: StaticString, count: Int, _ element: (Int, JSONObjectWriter) throws -> Void) rethrows {
        out.key(name, in: level)
        out.byte(UInt8(ascii: "["))
        for i in 0..<count {
            if i > 0 { out.byte(UInt8(ascii: ",")) }
            try out.object { try element(i, $0) }
        }
        out.byte(UInt8(ascii: "]"))
    }

    /// Any other value, through its `encode(to:)`.
    public func encode<T: Encodable>(_ name: StaticString, _ v: T) throws {
        out.key(name, in: level)
        try StreamEncoder(out: out, codingPath: []).write(v)
    }

    public func encode<T: Encodable>(_ name: StaticString, _ v: T?) throws { if let v { try encode(name, v) } }
}
