/// The member names a `JSONObjectDecodable` type reads, in the order its `init(from:)` reads them, for reading an
/// object in one pass over the members it has (`JSONObjectReader.readMembers`) rather than one lookup for each name
/// it may have. An event may have some fifty members and carries about ten: a lookup for each was half of reading
/// one, most of them for names not there (callgrind, hotline-bench hop: 385,000 lookups for 2,500 assignments).
///
/// Made once per type (a `static let`): the names' fingerprints are the process's (`JSONTape.fingerprint`), kept in a
/// small open-addressing table like an object's own.
public final class MemberNames: Sendable {
    let names: [StaticString]
    private let prints: [UInt32]
    private let slots: [Int32]
    private let mask: Int

    public init(_ names: [StaticString]) {
        precondition(names.count <= 64, "readMembers keeps the names seen in 64 bits")
        self.names = names
        prints = names.map { Self.print($0, seed: JSONTape.seed) }
        var size = 4
        while size < 2 * names.count { size <<= 1 }
        mask = size - 1
        var slots = [Int32](repeating: -1, count: size)
        for (i, p) in prints.enumerated() {
            var h = Int(p) & (size - 1)
            while slots[h] >= 0 { h = (h + 1) & (size - 1) }
            slots[h] = Int32(i)
        }
        self.slots = slots
    }

    private static func print(_ name: StaticString, seed: UInt64) -> UInt32 {
        JSONTape.fingerprint(bytes: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), seed: seed)
    }

    /// Which of the names the name at entry `k` of `object`'s tape is, if any. The tape's fingerprint of the name is
    /// compared with the names': every tape is made by `TapeParser`, with `JSONTape.seed`, as these are.
    func index(ofNameAt k: Int, in object: JSONValue) -> Int? {
        let print = UInt32(truncatingIfNeeded: object.e[k].aux)
        var h = Int(print) & mask
        while true {
            let i = Int(slots[h])
            if i < 0 { return nil }
            if prints[i] == print {
                let n = names[i]
                if object.textEquals(k, UnsafeBufferPointer(start: n.utf8Start, count: n.utf8CodeUnitCount)) { return i }
            }
            h = (h + 1) & mask
        }
    }
}

extension JSONObjectReader {
    /// Reads the object in one pass: `body` gets the index in `names` and the value of each member named there, in
    /// the input's order, a repeated name once (its first value, `JSONDecoder`'s rule), a null value too
    /// (`Member.isNull`: the `…IfPresent` readers take it as absent, as `decodeIfPresent` does). Other members are
    /// skipped, as `init(from:)` skips them.
    ///
    /// Refuses what reading the names one by one in their order refuses, with the same error: a member `body`
    /// throws for does not stop the pass, and the error thrown at its end is the one of the earliest name in
    /// `names` that failed or, if earlier still, the earliest name in `required` that is missing (`keyNotFound`).
    public func readMembers(_ names: MemberNames, required: UInt64, _ body: (Int, Member) throws -> Void) throws {
        var seen: UInt64 = 0
        var failed: (index: Int, error: any Error)?
        var k = object.first
        let stop = object.end
        while k < stop {
            if object.e[k].flags & TapeEntry.repeated == 0, let i = names.index(ofNameAt: k, in: object) {
                seen |= 1 << UInt64(i)
                if failed == nil || i < failed!.index {
                    do { try body(i, Member(value: object.value(at: k + 1), name: names.names[i], reader: self)) }
                    catch { failed = (i, error) }
                }
            }
            k = object.after(k + 1)
        }
        let absent = required & ~seen
        if absent != 0 {
            let i = absent.trailingZeroBitCount
            if failed == nil || i < failed!.index { throw missing(names.names[i]) }
        }
        if let failed { throw failed.error }
    }

    /// The member with this name (`keyNotFound` when there is none), to be read as a `Member`.
    public func member(_ name: StaticString) throws -> Member {
        guard let v = object.member(name) else { throw missing(name) }
        return Member(value: v, name: name, reader: self)
    }

    /// The member with this name, nil when it is missing or null (what `decodeIfPresent` treats as absent).
    public func presentMember(_ name: StaticString) -> Member? {
        guard let v = object.member(name), !v.isNull else { return nil }
        return Member(value: v, name: name, reader: self)
    }

    /// One member's value, read by the same rules and with the same errors as the reader's named methods.
    public struct Member {
        let value: JSONValue
        let name: StaticString
        let reader: JSONObjectReader

        /// Null: what the `…IfPresent` readers take as absent.
        public var isNull: Bool { value.isNull }

        public func string() throws -> String { try Unwrap.string(value) { reader.path(name) } }
        public func stringIfPresent() throws -> String? { isNull ? nil : try string() }
        public func int() throws -> Int { try Unwrap.integer(Int.self, value) { reader.path(name) } }
        public func intIfPresent() throws -> Int? { isNull ? nil : try int() }
        public func int64() throws -> Int64 { try Unwrap.integer(Int64.self, value) { reader.path(name) } }
        public func bool() throws -> Bool { try Unwrap.bool(value) { reader.path(name) } }
        public func boolIfPresent() throws -> Bool? { isNull ? nil : try bool() }
        public func strings() throws -> [String] { try reader.strings(name, value) }
        public func stringsIfPresent() throws -> [String]? { isNull ? nil : try strings() }
        public func nested() throws -> JSONObjectReader { try reader.reader(name, value) }
        public func nestedIfPresent() throws -> JSONObjectReader? { isNull ? nil : try nested() }
        public func elements() throws -> [JSONObjectReader] { try reader.elements(name, value) }
        public func elementsIfPresent() throws -> [JSONObjectReader]? { isNull ? nil : try elements() }

        /// As `JSONObjectReader.number(fromText:_:)`: nil when null or not a string, or `parse` gives nil.
        public func number(fromText parse: (UnsafeBufferPointer<UInt8>) -> Int64?) -> Int64? {
            isNull ? nil : value.withUTF8(parse) ?? nil
        }

        public func decodeIfPresent<T: Decodable>(as type: T.Type = T.self) throws -> T? {
            isNull ? nil : try reader.decode(T.self, name, value)
        }

        public func invalid(_ description: String) -> DecodingError { reader.invalid(name, description) }
    }
}
