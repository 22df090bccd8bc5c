extension WireMessage {
    /// Decodes one frame payload in a single validating pass (see `EnvelopeParser`); a data body keeps its exact
    /// bytes. `knownKinds` is the application's registry of data kinds (nil: any kind, for a link session that
    /// hands a kind it does not know to the application to refuse).
    public static func decode(_ json: [UInt8], knownKinds: Set<String>?) throws(WireError) -> WireMessage {
        guard String(validating: json, as: UTF8.self) != nil else { throw .invalidUTF8 }
        return try message(Fields(members: try EnvelopeParser.parse(json)), json, knownKinds: knownKinds)
    }

    /// A data message and its body read as `T`, in one pass over the frame: what `decode(frame, knownKinds:)`
    /// and then `JSONStreamDecoder.decode(T.self, from: message.body)` give, without first validating the body
    /// and the frame's UTF-8 and then parsing the body again (together a seventh of a connection thread's work
    /// on a ticket). Nil when either of those would throw, when the message is not a data message, and in the
    /// rare cases `EnvelopeParser.parse(_:tape:)` refuses more than they do: a caller that needs the error
    /// decodes the usual way.
    ///
    /// `layout` tells where the body's values are in the frame, for a reader that keeps parts of it as they are.
    public static func decode<T: Decodable>(_ frame: [UInt8], knownKinds: Set<String>,
                                            dataBody: T.Type) -> (message: WireMessage, body: T, layout: BodyLayout)? {
        guard let (members, tape) = try? EnvelopeParser.parse(frame, tape: "body"), let tape,
              let message = try? message(Fields(members: members), frame, knownKinds: knownKinds),
              case .data = message,
              let body = try? JSONStreamDecoder.decode(T.self, tape: tape) else { return nil }
        return (message, body, BodyLayout(tape: tape))
    }

    private static func message(_ fields: Fields, _ json: [UInt8], knownKinds: Set<String>?) throws(WireError) -> WireMessage {
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
                                clock: try fields.optionalInt64("clock"), role: try fields.optionalString("role"),
                                restored: try fields.optionalBool("restored"), profile: try fields.optionalString("profile")))
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
            guard case let .object(range)? = fields.members["body"] else {
                throw .missingField(name: "body", expected: "a JSON object")
            }
            if let knownKinds, !knownKinds.contains(kind) { throw .unknownKind(kind) }
            return .data(DataMessage(id: id, seq: seq, origin: origin, dest: dest, kind: kind,
                                     body: Array(json[range]), at: at))
        default:
            throw .unknownType(type)
        }
    }
}

/// Typed, strict reads of the top-level members; `null` counts as absent.
private struct Fields {
    let members: EnvelopeMembers

    private func present(_ name: String) -> EnvelopeValue? {
        if case .null? = members[name] { return nil }
        return members[name]
    }

    func string(_ name: String) throws(WireError) -> String {
        guard case let .string(s)? = members[name] else { throw .missingField(name: name, expected: "a string") }
        return s
    }

    func optionalString(_ name: String) throws(WireError) -> String? {
        guard present(name) != nil else { return nil }
        return try string(name)
    }

    func int(_ name: String) throws(WireError) -> Int {
        guard case let .integer(n)? = members[name], let i = Int(exactly: n) else {
            throw .missingField(name: name, expected: "an integer")
        }
        return i
    }

    func unsigned(_ name: String) throws(WireError) -> UInt64 {
        guard case let .integer(n)? = members[name], n >= 0, UInt64(n) <= WireProtocol.maxSafeInteger else {
            throw .missingField(name: name, expected: "an integer from 0 to 2^53-1")
        }
        return UInt64(n)
    }

    func optionalInt64(_ name: String) throws(WireError) -> Int64? {
        guard let value = present(name) else { return nil }
        guard case let .integer(n) = value else { throw .missingField(name: name, expected: "an integer") }
        return n
    }

    func optionalBool(_ name: String) throws(WireError) -> Bool? {
        guard let value = present(name) else { return nil }
        guard case let .bool(flag) = value else { throw .missingField(name: name, expected: "true or false") }
        return flag
    }

    func intArray(_ name: String) throws(WireError) -> [Int] {
        guard case let .array(integers?)? = members[name] else {
            throw .missingField(name: name, expected: "an array of integers")
        }
        var result: [Int] = []
        result.reserveCapacity(integers.count)
        for n in integers {
            guard let i = Int(exactly: n) else { throw .missingField(name: name, expected: "an array of integers") }
            result.append(i)
        }
        return result
    }
}

/// Where the values of a body read by `WireMessage.decode(_:knownKinds:dataBody:)` are in its frame.
public struct BodyLayout {
    let tape: JSONTape

    /// The frame's bytes of the value reached by these member names from the body (each the first member of that
    /// name, the one the body was read from); nil where there is no such member or a name is asked of a value that
    /// is not an object.
    public func range(of path: String...) -> Range<Int>? {
        tape.withRoot { root in
            var node = root
            var found: Range<Int>?
            for name in path {
                guard node.kind == .object, let member = node.member(name) else { return nil }
                node = member
                found = member.range
            }
            return found
        }
    }

    /// The frame's bytes of each element of the array reached by these member names (as `range(of:)` reaches it),
    /// in order; nil where there is no such array or an element is not an object. The tape already knows where
    /// each element ends, so nothing is scanned again.
    public func objectElements(of path: String...) -> [Range<Int>]? {
        tape.withRoot { root in
            var node = root
            for name in path {
                guard node.kind == .object, let member = node.member(name) else { return nil }
                node = member
            }
            guard node.kind == .array else { return nil }
            var out: [Range<Int>] = []
            out.reserveCapacity(node.count)
            var j = node.first
            while j < node.end {
                let item = node.value(at: j)
                guard item.kind == .object else { return nil }
                out.append(item.range)
                j = node.after(j)
            }
            return out
        }
    }
}
