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
/// input (`keyNotFound`, `typeMismatch`, `valueNotFound`, `dataCorrupted`), with the coding path.
public struct JSONObjectReader {
    let members: JSONMembers
    let decoder: TreeDecoder
    private var hint = 0

    init(_ decoder: TreeDecoder) throws {
        guard case .object(let members) = decoder.node else {
            throw Unwrap.mismatch([String: Any].self, decoder.node, decoder.codingPath)
        }
        self.members = JSONMembers(members)
        self.decoder = decoder
    }

    private func path(_ name: String) -> [any CodingKey] { decoder.codingPath + [MemberKey(name)] }

    private mutating func node(_ name: String) throws -> JSONNode {
        guard let j = members.index(name, hint: &hint) else {
            throw DecodingError.keyNotFound(MemberKey(name), .init(codingPath: decoder.codingPath,
                                                                   debugDescription: "No value associated with key \(name)."))
        }
        return members[j]
    }

    /// The member's value, or nil when it is missing or null (what `decodeIfPresent` treats as absent).
    private mutating func present(_ name: String) -> JSONNode? {
        guard let j = members.index(name, hint: &hint) else { return nil }
        if case .null = members[j] { return nil }
        return members[j]
    }

    public mutating func string(_ name: String) throws -> String { try Unwrap.string(node(name)) { path(name) } }

    public mutating func stringIfPresent(_ name: String) throws -> String? {
        try present(name).map { try Unwrap.string($0) { path(name) } }
    }

    /// The member's text if it is a string, else nil (for values with a fallback, such as a time written as a number).
    public mutating func text(_ name: String) -> String? {
        guard let n = present(name), case .string(let s) = n else { return nil }
        return s
    }

    public mutating func int(_ name: String) throws -> Int { try Unwrap.integer(Int.self, node(name)) { path(name) } }

    public mutating func intIfPresent(_ name: String) throws -> Int? {
        try present(name).map { try Unwrap.integer(Int.self, $0) { path(name) } }
    }

    public mutating func int64(_ name: String) throws -> Int64 { try Unwrap.integer(Int64.self, node(name)) { path(name) } }

    public mutating func bool(_ name: String) throws -> Bool { try Unwrap.bool(node(name)) { path(name) } }

    public mutating func boolIfPresent(_ name: String) throws -> Bool? {
        try present(name).map { try Unwrap.bool($0) { path(name) } }
    }

    /// Whether the member is there and not null.
    public mutating func isPresent(_ name: String) -> Bool { present(name) != nil }

    public mutating func strings(_ name: String) throws -> [String] { try strings(name, node(name)) }

    public mutating func stringsIfPresent(_ name: String) throws -> [String]? {
        try present(name).map { try strings(name, $0) }
    }

    private func strings(_ name: String, _ node: JSONNode) throws -> [String] {
        guard case .array(let items) = node else { throw Unwrap.mismatch([Any].self, node, path(name)) }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            out.append(try Unwrap.string(item) { path(name) + [IndexKey(i)] })
        }
        return out
    }

    /// The member's object, to be read by its own type.
    public mutating func nested(_ name: String) throws -> JSONObjectReader {
        try JSONObjectReader(TreeDecoder(node(name), parent: decoder, key: MemberKey(name)))
    }

    public mutating func nestedIfPresent(_ name: String) throws -> JSONObjectReader? {
        try present(name).map { try JSONObjectReader(TreeDecoder($0, parent: decoder, key: MemberKey(name))) }
    }

    /// The objects of the member's array, each to be read by its own type.
    public mutating func elements(_ name: String) throws -> [JSONObjectReader] { try elements(name, node(name)) }

    public mutating func elementsIfPresent(_ name: String) throws -> [JSONObjectReader]? {
        try present(name).map { try elements(name, $0) }
    }

    private func elements(_ name: String, _ node: JSONNode) throws -> [JSONObjectReader] {
        guard case .array(let items) = node else { throw Unwrap.mismatch([Any].self, node, path(name)) }
        let array = TreeDecoder(node, parent: decoder, key: MemberKey(name))
        var out: [JSONObjectReader] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            out.append(try JSONObjectReader(TreeDecoder(item, parent: array, key: IndexKey(i))))
        }
        return out
    }

    /// The error for a member whose value is of the right type but not one the reader accepts (`dataCorrupted`),
    /// e.g. a string that names no case of an enumeration.
    public func invalid(_ name: String, _ description: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: path(name), debugDescription: description))
    }

    /// Any other value, through its `init(from:)` (missing or null: nil).
    public mutating func decodeIfPresent<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T? {
        try present(name).map { try Unwrap.value(T.self, $0, parent: decoder, key: MemberKey(name)) }
    }
}

/// One JSON object being written by a `JSONObjectEncodable` type, member by member; an optional member that is nil
/// is left out, as `encodeIfPresent` leaves it out.
public struct JSONObjectWriter {
    let out: StreamOutput
    let level: StreamLevel

    public func string(_ name: String, _ v: String) {
        out.key(name, in: level)
        out.string(v)
    }

    public func string(_ name: String, _ v: String?) { if let v { string(name, v) } }

    /// A string member whose text `write` appends, as UTF-8 that needs no escaping in JSON (no `"`, `\` or
    /// control characters: a timestamp's digits and punctuation), without making a `String` of it first.
    public func unescapedString(_ name: String, _ write: (inout [UInt8]) -> Void) {
        out.key(name, in: level)
        out.bytes.append(UInt8(ascii: "\""))
        write(&out.bytes)
        out.bytes.append(UInt8(ascii: "\""))
    }

    public func int(_ name: String, _ v: Int) {
        out.key(name, in: level)
        out.number(String(v))
    }

    public func int(_ name: String, _ v: Int?) { if let v { int(name, v) } }

    public func bool(_ name: String, _ v: Bool) {
        out.key(name, in: level)
        out.bytes.append(contentsOf: v ? "true".utf8 : "false".utf8)
    }

    public func bool(_ name: String, _ v: Bool?) { if let v { bool(name, v) } }

    public func strings(_ name: String, _ v: [String]) {
        out.key(name, in: level)
        out.bytes.append(UInt8(ascii: "["))
        for (i, s) in v.enumerated() {
            if i > 0 { out.bytes.append(UInt8(ascii: ",")) }
            out.string(s)
        }
        out.bytes.append(UInt8(ascii: "]"))
    }

    public func strings(_ name: String, _ v: [String]?) { if let v { strings(name, v) } }

    /// Opens the member's object: the caller writes its members through the writer returned and then `end`s it.
    public func nested(_ name: String) -> JSONObjectWriter {
        out.key(name, in: level)
        out.bytes.append(UInt8(ascii: "{"))
        return JSONObjectWriter(out: out, level: StreamLevel(closer: UInt8(ascii: "}")))
    }

    /// Closes an object opened by `nested` (sorting its members first when keys are sorted).
    public func end() { level.close(out) }

    /// An array of `count` objects, each written by `element` (given its index and the object's writer).
    public func objects(_ name: String, count: Int, _ element: (Int, JSONObjectWriter) throws -> Void) rethrows {
        out.key(name, in: level)
        out.bytes.append(UInt8(ascii: "["))
        for i in 0..<count {
            if i > 0 { out.bytes.append(UInt8(ascii: ",")) }
            out.bytes.append(UInt8(ascii: "{"))
            let w = JSONObjectWriter(out: out, level: StreamLevel(closer: UInt8(ascii: "}")))
            try element(i, w)
            w.end()
        }
        out.bytes.append(UInt8(ascii: "]"))
    }

    /// Any other value, through its `encode(to:)`.
    public func encode<T: Encodable>(_ name: String, _ v: T) throws {
        out.key(name, in: level)
        try StreamEncoder(out: out, codingPath: []).write(v)
    }

    public func encode<T: Encodable>(_ name: String, _ v: T?) throws { if let v { try encode(name, v) } }
}
