/// A stable error code carried in an `error` frame. The raw value is what travels on the wire; never rename one,
/// a peer written in another language matches on it.
public enum WireErrorCode: String, Sendable, CaseIterable, CustomStringConvertible {
    case frameTooLarge = "frame-too-large"
    case zeroLength = "zero-length"
    case invalidUTF8 = "invalid-utf8"
    case invalidJSON = "invalid-json"
    case unknownType = "unknown-type"
    case unknownKind = "unknown-kind"
    case missingField = "missing-field"
    case versionUnsupported = "version-unsupported"
    case seqFromFuture = "seq-from-future"
    case dataBeforeHello = "data-before-hello"
    case protocolViolation = "protocol-violation"
    case notAuthorized = "not-authorized"
    case unknownNode = "unknown-node"
    case internalError = "internal"

    /// Whether the sender of this code closes the connection right after the error frame. Every code a
    /// `LinkSession` emits today is fatal: once the byte stream or the sequence is in doubt, resuming from the
    /// durable `lastReceived` on a fresh connection is the only safe continuation.
    public var isFatal: Bool { true }

    public var description: String { rawValue }
}
