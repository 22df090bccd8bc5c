import Foundation

/// Reads a `Decodable` value from JSON bytes: `JSONTape` parses them into a tape (one array of plain entries, no
/// Foundation objects) and these containers hand its values to the value's `init(from:)`. The counterpart of
/// `JSONStreamEncoder`, for what every node decodes per message and per stored document: Foundation's
/// `JSONDecoder` took 59 µs for a 1.9 KB `ticket.assign` body on this machine, most of it outside the parse.
///
/// It decodes what `JSONDecoder` with default strategies decodes, to the same values: a missing key is
/// `keyNotFound`, a wrong type `typeMismatch`, null for a value `valueNotFound`, a number that does not fit
/// `dataCorrupted`; a repeated member name keeps its first value; `Data` is base64 and `URL` a string, as there.
/// Invalid JSON (strict RFC 8259, UTF-8) is `dataCorrupted` naming the byte.
public enum JSONStreamDecoder {
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(type, from: bytes, byHand: true)
    }

    /// `byHand: false` ignores `JSONObjectDecodable` and reads every value through its `init(from:)`: what the
    /// tests compare the hand-written readers with.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], byHand: Bool) throws -> T {
        let tape: JSONTape
        do { tape = try JSONTape.parse(bytes) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "The given data was not valid JSON: \(error.detail)"))
        }
        return try decode(type, tape: tape, byHand: byHand)
    }

    /// A value from a tape `JSONTape` already made (of the bytes `decode(_:from:)` would be given).
    static func decode<T: Decodable>(_ type: T.Type, tape: JSONTape, byHand: Bool = true) throws -> T {
        try tape.withRoot { root in try Unwrap.value(type, root, parent: nil, key: nil, byHand: byHand) }
    }
}

private extension WireError {
    var detail: String {
        if case .invalidJSON(let what) = self { return what }
        return "\(self)"
    }
}

/// The key of an array element in a coding path, as `JSONDecoder` names it.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

/// The key `superDecoder()` reads, whatever the container's keys are.
struct SuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }
    init() {}
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}

/// One value being decoded; also a link of the coding path (its parent and its key), which is built only when an
/// error needs it. It points into a tape: it must not outlive the decode that made it.
final class TreeDecoder: Decoder, SingleValueDecodingContainer {
    let node: JSONValue
    let parent: TreeDecoder?
    let key: (any CodingKey)?
    /// Whether a `JSONObjectDecodable` type reads itself (the normal case) or goes through `init(from:)`.
    let byHand: Bool
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The whole coding path, when it is not the parent's and the key (a value a hand-written reader reached).
    let fixedPath: [any CodingKey]?

    init(_ node: JSONValue, parent: TreeDecoder?, key: (any CodingKey)?, byHand: Bool? = nil) {
        self.node = node
        self.parent = parent
        self.key = key
        self.byHand = byHand ?? parent?.byHand ?? true
        fixedPath = nil
    }

    init(_ node: JSONValue, path: [any CodingKey], byHand: Bool) {
        self.node = node
        parent = nil
        key = nil
        self.byHand = byHand
        fixedPath = path
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var link: TreeDecoder? = self
        while let l = link {
            if let fixed = l.fixedPath { return fixed + path.reversed() }
            guard let k = l.key else { break }
            path.append(k)
            link = l.parent
        }
        return path.reversed()
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard node.kind == .object else { throw Unwrap.mismatch([String: Any].self, node, codingPath) }
        return KeyedDecodingContainer(KeyedTree<Key>(object: node, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard node.kind == .array else { throw Unwrap.mismatch([Any].self, node, codingPath) }
        return UnkeyedTree(array: node, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { node.isNull }

    func decode(_ type: Bool.Type) throws -> Bool { try Unwrap.bool(node) { codingPath } }
    func decode(_ type: String.Type) throws -> String { try Unwrap.string(node) { codingPath } }
    func decode(_ type: Double.Type) throws -> Double { try Unwrap.double(node) { codingPath } }
    func decode(_ type: Float.Type) throws -> Float { try Unwrap.float(node) { codingPath } }
    func decode(_ type: Int.Type) throws -> Int { try Unwrap.integer(type, node) { codingPath } }
    func decode(_ type: Int8.Type) throws -> Int8 { try Unwrap.integer(type, node) { codingPath } }
    func decode(_ type: Int16.Type) throws -> Int16 { try Unwrap.integer(type, node) { codingPath } }
    func decode(_ type: Int32.Type) throws -> Int32 { try Unwrap.integer(type, node) { codingPath } }
    func decode(_ type: Int64.Type) throws -> Int64 { try Unwrap.integer(type, node) { codingPath } }
    func decode(_ type: UInt.Type) throws -> UInt { try Unwrap.integer(type, node) { codingPath } }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Unwrap.integer(type, node) { codingPath } }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Unwrap.integer(type, node) { codingPath } }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Unwrap.integer(type, node) { codingPath } }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Unwrap.integer(type, node) { codingPath } }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        // The value itself, not a child: a type that decodes a wrapped value through its single value container.
        return try Unwrap.value(type, node, parent: parent, key: key)
    }
}

/// Turns a node into the type asked for, or the error `JSONDecoder` would raise. `path` is called only on error.
enum Unwrap {
    static func mismatch(_ type: Any.Type, _ node: JSONValue, _ path: [any CodingKey]) -> DecodingError {
        if node.isNull {
            return .valueNotFound(type, .init(codingPath: path, debugDescription: "Expected \(type) value but found null instead."))
        }
        return .typeMismatch(type, .init(codingPath: path, debugDescription: "Expected to decode \(type) but found \(node.kindName) instead."))
    }

    static func bool(_ node: JSONValue, _ path: () -> [any CodingKey]) throws -> Bool {
        guard let v = node.bool else { throw mismatch(Bool.self, node, path()) }
        return v
    }

    static func string(_ node: JSONValue, _ path: () -> [any CodingKey]) throws -> String {
        guard node.kind == .string, let v = node.string else { throw mismatch(String.self, node, path()) }
        return v
    }

    static func double(_ node: JSONValue, _ path: () -> [any CodingKey]) throws -> Double {
        if let v = node.integer { return Double(v) }
        switch node.kind {
        case .number:
            let text = node.numberText ?? ""
            guard let v = Double(text), v.isFinite else {
                throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "Parsed JSON number <\(text)> does not fit in Double."))
            }
            return v
        default: throw mismatch(Double.self, node, path())
        }
    }

    static func float(_ node: JSONValue, _ path: () -> [any CodingKey]) throws -> Float {
        let d = try double(node, path)
        let v = Float(d)
        guard v.isFinite else {
            throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "Parsed JSON number <\(d)> does not fit in Float."))
        }
        return v
    }

    static func integer<I: FixedWidthInteger>(_ type: I.Type, _ node: JSONValue, _ path: () -> [any CodingKey]) throws -> I {
        if let v = node.integer {
            if let r = I(exactly: v) { return r }
            throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "Parsed JSON number <\(v)> does not fit in \(I.self)."))
        }
        switch node.kind {
        case .number:
            let text = node.numberText ?? ""
            // Larger than Int64 (a UInt64), or written with a fraction or exponent but integral ("1.0", "1e2").
            if let r = I(text) { return r }
            if let d = Double(text), d.isFinite, let r = I(exactly: d) { return r }
            throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "Parsed JSON number <\(text)> does not fit in \(I.self)."))
        default:
            throw mismatch(I.self, node, path())
        }
    }

    /// A nested value of any type; `parent` and `key` are where it sits, for its coding path.
    static func value<T: Decodable>(_ type: T.Type, _ node: JSONValue, parent: TreeDecoder?, key: (any CodingKey)?,
                                    byHand: Bool? = nil) throws -> T {
        func path() -> [any CodingKey] { (parent?.codingPath ?? []) + (key.map { [$0] } ?? []) }
        if T.self == String.self { return try string(node, path) as! T }
        if T.self == Int.self { return try integer(Int.self, node, path) as! T }
        let byHand = byHand ?? parent?.byHand ?? true
        if byHand, let type = T.self as? any JSONObjectDecodable.Type {
            return try type.init(json: JSONObjectReader(TreeDecoder(node, parent: parent, key: key))) as! T
        }
        if T.self == Data.self {
            let text = try string(node, path)
            guard let data = Data(base64Encoded: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "Encountered Data is not valid Base64."))
            }
            return data as! T
        }
        if T.self == URL.self {
            let text = try string(node, path)
            guard let url = URL(string: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "Invalid URL string."))
            }
            return url as! T
        }
        return try T(from: TreeDecoder(node, parent: parent, key: key, byHand: byHand))
    }
}

final class KeyedTree<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONValue
    let decoder: TreeDecoder

    init(object: JSONValue, decoder: TreeDecoder) {
        self.object = object
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] {
        var keys: [Key] = []
        object.forEachMember { name, _ in if let key = Key(stringValue: name) { keys.append(key) } }
        return keys
    }

    private func member(_ key: Key) -> JSONValue? { object.member(key.stringValue) }

    private func node(_ key: Key) throws -> JSONValue {
        guard let v = member(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath,
                                                       debugDescription: "No value associated with key \(key.stringValue)."))
        }
        return v
    }

    /// The member's value unless it is missing or null (what `decodeIfPresent` reads as nil).
    private func present(_ key: Key) -> JSONValue? {
        guard let v = member(key), !v.isNull else { return nil }
        return v
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func contains(_ key: Key) -> Bool { member(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try node(key).isNull }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try Unwrap.bool(node(key)) { path(key) } }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try Unwrap.string(node(key)) { path(key) } }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try Unwrap.double(node(key)) { path(key) } }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try Unwrap.float(node(key)) { path(key) } }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try Unwrap.integer(type, node(key)) { path(key) } }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try Unwrap.integer(type, node(key)) { path(key) } }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try Unwrap.integer(type, node(key)) { path(key) } }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try Unwrap.integer(type, node(key)) { path(key) } }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try Unwrap.integer(type, node(key)) { path(key) } }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try Unwrap.integer(type, node(key)) { path(key) } }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try Unwrap.integer(type, node(key)) { path(key) } }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try Unwrap.integer(type, node(key)) { path(key) } }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try Unwrap.integer(type, node(key)) { path(key) } }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try Unwrap.integer(type, node(key)) { path(key) } }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try Unwrap.value(type, node(key), parent: decoder, key: key)
    }

    /// One lookup instead of the default's three (contains, decodeNil, decode).
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try present(key).map { try Unwrap.value(type, $0, parent: decoder, key: key) }
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try present(key).map { try Unwrap.string($0) { path(key) } }
    }

    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        try present(key).map { try Unwrap.integer(type, $0) { path(key) } }
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        try present(key).map { try Unwrap.bool($0) { path(key) } }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey> {
        try TreeDecoder(node(key), parent: decoder, key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(node(key), parent: decoder, key: key).unkeyedContainer()
    }

    /// As `JSONDecoder`: the member "super" whatever the keys are, null when it is missing.
    func superDecoder() throws -> any Decoder {
        TreeDecoder(object.member("super") ?? JSONValue.null, parent: decoder, key: SuperKey())
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        TreeDecoder(member(key) ?? JSONValue.null, parent: decoder, key: key)
    }
}

struct UnkeyedTree: UnkeyedDecodingContainer {
    let array: JSONValue
    let decoder: TreeDecoder
    private(set) var currentIndex = 0
    /// The entry of the item at `currentIndex`.
    private var cursor: Int

    init(array: JSONValue, decoder: TreeDecoder) {
        self.array = array
        self.decoder = decoder
        cursor = array.first
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    private func path() -> [any CodingKey] { codingPath + [IndexKey(currentIndex)] }

    /// The next element; the index moves on (`advance`) only when it decoded (as in `JSONDecoder`).
    private func next(_ type: Any.Type) throws -> JSONValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path(), debugDescription: "Unkeyed container is at end."))
        }
        return array.value(at: cursor)
    }

    private mutating func advance() {
        cursor = array.after(cursor)
        currentIndex += 1
    }

    private mutating func take<T>(_ type: T.Type, _ unwrap: (JSONValue, () -> [any CodingKey]) throws -> T) throws -> T {
        let v = try unwrap(next(type), path)
        advance()
        return v
    }

    mutating func decodeNil() throws -> Bool {
        if try next(Any?.self).isNull {
            advance()
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try take(type, Unwrap.bool) }
    mutating func decode(_ type: String.Type) throws -> String { try take(type, Unwrap.string) }
    mutating func decode(_ type: Double.Type) throws -> Double { try take(type, Unwrap.double) }
    mutating func decode(_ type: Float.Type) throws -> Float { try take(type, Unwrap.float) }
    mutating func decode(_ type: Int.Type) throws -> Int { try take(type) { try Unwrap.integer(type, $0, $1) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try take(type) { try Unwrap.integer(type, $0, $1) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try take(type) { try Unwrap.integer(type, $0, $1) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try take(type) { try Unwrap.integer(type, $0, $1) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try take(type) { try Unwrap.integer(type, $0, $1) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try take(type) { try Unwrap.integer(type, $0, $1) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try take(type) { try Unwrap.integer(type, $0, $1) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try take(type) { try Unwrap.integer(type, $0, $1) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try take(type) { try Unwrap.integer(type, $0, $1) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try take(type) { try Unwrap.integer(type, $0, $1) } }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let v = try Unwrap.value(type, next(type), parent: decoder, key: IndexKey(currentIndex))
        advance()
        return v
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let c = try TreeDecoder(next([String: Any].self), parent: decoder, key: IndexKey(currentIndex)).container(keyedBy: type)
        advance()
        return c
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let c = try TreeDecoder(next([Any].self), parent: decoder, key: IndexKey(currentIndex)).unkeyedContainer()
        advance()
        return c
    }

    mutating func superDecoder() throws -> any Decoder {
        let d = TreeDecoder(try next(Any.self), parent: decoder, key: IndexKey(currentIndex))
        advance()
        return d
    }
}
