/// Why a frame or a message could not be decoded. Each case maps to the `WireErrorCode` sent to the peer.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The 4-byte header announced more than the configured maximum.
    case frameTooLarge(length: UInt32, max: Int)
    /// The 4-byte header announced an empty frame; an empty payload is never a message.
    case zeroLength
    /// The payload is not well-formed UTF-8.
    case invalidUTF8
    /// The payload is not a single JSON object.
    case invalidJSON(String)
    /// `type` names no message of this protocol version.
    case unknownType(String)
    /// A `data` message's `kind` is not in the application's registry.
    case unknownKind(String)
    /// A required field is absent or has the wrong JSON type.
    case missingField(name: String, expected: String)
    /// The envelope's `v` is not a version this side speaks.
    case versionUnsupported(got: Int, supported: [Int])

    /// The stable code to put in the `error` frame answering this input.
    public var code: WireErrorCode {
        switch self {
        case .frameTooLarge: .frameTooLarge
        case .zeroLength: .zeroLength
        case .invalidUTF8: .invalidUTF8
        case .invalidJSON: .invalidJSON
        case .unknownType: .unknownType
        case .unknownKind: .unknownKind
        case .missingField: .missingField
        case .versionUnsupported: .versionUnsupported
        }
    }

    public var description: String {
        switch self {
        case let .frameTooLarge(length, max):
            "frame announces \(length) bytes but the limit is \(max): split the payload or raise maxFrame on both sides"
        case .zeroLength:
            "frame announces 0 bytes: every frame must carry one JSON object"
        case .invalidUTF8:
            "frame payload is not valid UTF-8: encode the JSON text as UTF-8"
        case let .invalidJSON(detail):
            "frame payload is not one JSON object (\(detail)): send exactly one object per frame"
        case let .unknownType(type):
            "unknown message type \"\(type)\": expected hello, ack, heartbeat, error or data"
        case let .unknownKind(kind):
            "unknown data kind \"\(kind)\": both nodes must run a release that defines it"
        case let .missingField(name, expected):
            "field \"\(name)\" is missing or not \(expected): see protocols/README.md for the message layout"
        case let .versionUnsupported(got, supported):
            "protocol version \(got) is not supported (this side speaks \(supported)): upgrade the older node"
        }
    }
}
