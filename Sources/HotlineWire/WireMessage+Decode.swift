import Foundation

extension WireMessage {
    /// Decodes one frame payload. Parses once with `JSONSerialization`; a data body is then located in the
    /// original bytes and kept verbatim. `knownKinds` is the application's registry of data kinds.
    public static func decode(_ json: [UInt8], knownKinds: Set<String>) throws(WireError) -> WireMessage {
        guard String(validating: json, as: UTF8.self) != nil else { throw .invalidUTF8 }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(json))
        } catch {
            throw .invalidJSON("not parseable as JSON")
        }
        guard let object = parsed as? [String: Any] else { throw .invalidJSON("the top level is not an object") }
        let fields = Fields(object: object)

        let version = try fields.int("v")
        let type = try fields.string("type")
        let id = try fields.string("id")
        // A hello must be readable by every version so negotiation can happen; every other message must be in
        // a version this side speaks.
        if type != "hello" && !WireProtocol.supportedVersions.contains(version) {
            throw .versionUnsupported(got: version, supported: WireProtocol.supportedVersions)
        }
        switch type {
        case "hello":
            return .hello(Hello(id: id, node: try fields.string("node"), versions: try fields.intArray("versions"),
                                lastReceived: try fields.unsigned("lastReceived"),
                                clock: try fields.optionalInt64("clock"), role: try fields.optionalString("role")))
        case "ack":
            return .ack(Ack(id: id, upTo: try fields.unsigned("upTo")))
        case "heartbeat":
            return .heartbeat(Heartbeat(id: id, clock: try fields.optionalInt64("clock")))
        case "error":
            return .error(ErrorMessage(id: id, code: try fields.string("code"), message: try fields.string("message"),
                                       fatal: try fields.optionalBool("fatal")))
        case "data":
            let seq = try fields.unsigned("seq")
            let origin = try fields.string("origin")
            let dest = try fields.string("dest")
            let kind = try fields.string("kind")
            let at = try fields.optionalInt64("at")
            guard object["body"] is [String: Any] else { throw .missingField(name: "body", expected: "a JSON object") }
            guard knownKinds.contains(kind) else { throw .unknownKind(kind) }
            guard let range = RawJSONScanner.valueRange(ofTopLevelKey: "body", in: json) else {
                throw .invalidJSON("the body could not be located")
            }
            return .data(DataMessage(id: id, seq: seq, origin: origin, dest: dest, kind: kind,
                                     body: Array(json[range]), at: at))
        default:
            throw .unknownType(type)
        }
    }
}

/// Typed, strict reads from a `JSONSerialization` object. Foundation bridges `true` and `1.0` to integers
/// and `1` to `true`; the protocol does not, so the NSNumber's storage type is checked.
private struct Fields {
    let object: [String: Any]

    func string(_ name: String) throws(WireError) -> String {
        guard let s = object[name] as? String else { throw .missingField(name: name, expected: "a string") }
        return s
    }

    func optionalString(_ name: String) throws(WireError) -> String? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        return try string(name)
    }

    func int(_ name: String) throws(WireError) -> Int {
        guard let n = Self.integer(object[name]), let i = Int(exactly: n) else {
            throw .missingField(name: name, expected: "an integer")
        }
        return i
    }

    func unsigned(_ name: String) throws(WireError) -> UInt64 {
        guard let n = Self.integer(object[name]), n >= 0, UInt64(n) <= WireProtocol.maxSafeInteger else {
            throw .missingField(name: name, expected: "an integer from 0 to 2^53-1")
        }
        return UInt64(n)
    }

    func optionalInt64(_ name: String) throws(WireError) -> Int64? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let n = Self.integer(value) else { throw .missingField(name: name, expected: "an integer") }
        return n
    }

    func optionalBool(_ name: String) throws(WireError) -> Bool? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let n = value as? NSNumber, Self.storage(n) == UInt8(ascii: "c") else {
            throw .missingField(name: name, expected: "true or false")
        }
        return n.boolValue
    }

    func intArray(_ name: String) throws(WireError) -> [Int] {
        guard let array = object[name] as? [Any] else { throw .missingField(name: name, expected: "an array of integers") }
        var result: [Int] = []
        for element in array {
            guard let n = Self.integer(element), let i = Int(exactly: n) else {
                throw .missingField(name: name, expected: "an array of integers")
            }
            result.append(i)
        }
        return result
    }

    private static func storage(_ n: NSNumber) -> UInt8 {
        UInt8(bitPattern: n.objCType.pointee)
    }

    /// An integer written without fraction or exponent; booleans ("c") and doubles ("d", "f") are refused.
    static func integer(_ value: Any?) -> Int64? {
        guard let n = value as? NSNumber else { return nil }
        switch storage(n) {
        case UInt8(ascii: "s"), UInt8(ascii: "i"), UInt8(ascii: "l"), UInt8(ascii: "q"),
             UInt8(ascii: "C"), UInt8(ascii: "S"), UInt8(ascii: "I"):
            return n.int64Value
        case UInt8(ascii: "L"), UInt8(ascii: "Q"):
            return n.uint64Value <= UInt64(Int64.max) ? Int64(n.uint64Value) : nil
        default:
            return nil
        }
    }
}
