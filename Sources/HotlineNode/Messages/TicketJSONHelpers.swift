import HotlineCore
import HotlineWire

// The generic helpers the hand-written readers and writers of tickets use (`TicketJSON.swift`). They live in this
// module, beside their callers, so that the compiler specialises them for each type (a generic in HotlineWire called
// from here would run unspecialised, through witness tables and metadata lookups).
extension JSONObjectReader {
    func raw<E: RawRepresentable>(_ name: StaticString, as type: E.Type = E.self) throws -> E where E.RawValue == String {
        try member(name).raw()
    }

    func rawIfPresent<E: RawRepresentable>(_ name: StaticString, as type: E.Type = E.self) throws -> E?
        where E.RawValue == String {
        try presentMember(name)?.raw()
    }

    func object<T: JSONObjectDecodable>(_ name: StaticString, as type: T.Type = T.self) throws -> T {
        try T(json: nested(name))
    }

    func objectIfPresent<T: JSONObjectDecodable>(_ name: StaticString, as type: T.Type = T.self) throws -> T? {
        try nestedIfPresent(name).map { try T(json: $0) }
    }

    func objects<T: JSONObjectDecodable>(_ name: StaticString, as type: T.Type = T.self) throws -> [T] {
        try elements(name).map { try T(json: $0) }
    }

    func objectsIfPresent<T: JSONObjectDecodable>(_ name: StaticString, as type: T.Type = T.self) throws -> [T]? {
        try elementsIfPresent(name).map { try $0.map { try T(json: $0) } }
    }

    func timestamp(_ name: StaticString) throws -> Timestamp { try member(name).timestamp() }

    func timestampIfPresent(_ name: StaticString) throws -> Timestamp? { try presentMember(name)?.timestamp() }
}

// One member's value, whether the object is read by name or in one pass (`JSONObjectReader.readMembers`).
extension JSONObjectReader.Member {
    /// As the synthesised `init(from:)` of a `String` enumeration: a string naming no case is `dataCorrupted`.
    func raw<E: RawRepresentable>(as type: E.Type = E.self) throws -> E where E.RawValue == String {
        let text = try string()
        guard let v = E(rawValue: text) else { throw invalid("Cannot initialize \(E.self) from invalid String value \(text)") }
        return v
    }

    func rawIfPresent<E: RawRepresentable>(as type: E.Type = E.self) throws -> E? where E.RawValue == String {
        isNull ? nil : try raw(as: E.self)
    }

    func objectIfPresent<T: JSONObjectDecodable>(as type: T.Type = T.self) throws -> T? {
        try nestedIfPresent().map { try T(json: $0) }
    }

    func objectsIfPresent<T: JSONObjectDecodable>(as type: T.Type = T.self) throws -> [T]? {
        try elementsIfPresent().map { try $0.map { try T(json: $0) } }
    }

    /// As `Timestamp.init(from:)`: an ISO 8601 string, else milliseconds as a number.
    func timestamp() throws -> Timestamp {
        if let ms = number(fromText: { Timestamp(iso8601UTF8: $0)?.millis }) { return Timestamp(millis: ms) }
        let millis = try int64()
        guard let t = Timestamp(readableMillis: millis) else { throw invalid(Timestamp.unreadable(millis)) }
        return t
    }

    func timestampIfPresent() throws -> Timestamp? { isNull ? nil : try timestamp() }
}

extension JSONObjectWriter {
    func raw<E: RawRepresentable>(_ name: StaticString, _ v: E) where E.RawValue == String { string(name, v.rawValue) }
    func raw<E: RawRepresentable>(_ name: StaticString, _ v: E?) where E.RawValue == String { if let v { string(name, v.rawValue) } }

    func object<T: JSONObjectEncodable>(_ name: StaticString, _ v: T) throws {
        let w = nested(name)
        try v.write(json: w)
        w.end()
    }

    func object<T: JSONObjectEncodable>(_ name: StaticString, _ v: T?) throws { if let v { try object(name, v) } }

    func objects<T: JSONObjectEncodable>(_ name: StaticString, _ v: [T]) throws {
        try objects(name, count: v.count) { i, w in try v[i].write(json: w) }
    }

    func objects<T: JSONObjectEncodable>(_ name: StaticString, _ v: [T]?) throws { if let v { try objects(name, v) } }

    func timestamp(_ name: StaticString, _ t: Timestamp) { unescapedString(name, maxCount: Timestamp.iso8601MaxCount) { t.writeISO8601(to: $0) } }
    func timestamp(_ name: StaticString, _ t: Timestamp?) { if let t { timestamp(name, t) } }
}
