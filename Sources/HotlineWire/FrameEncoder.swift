/// Builds frames: a 4-byte unsigned big-endian length, then the payload bytes.
public enum FrameEncoder {
    /// The default bound on a frame's payload, 4 MiB; large enough for any ticket with its history.
    public static let defaultMaxFrame = 4_194_304

    /// Prefixes `payload` with its length. The caller keeps payloads within the peer's `maxFrame`.
    public static func encode(payload: [UInt8]) -> [UInt8] {
        var frame = [UInt8]()
        frame.reserveCapacity(payload.count + 4)
        appendHeader(length: payload.count, to: &frame)
        frame.append(contentsOf: payload)
        return frame
    }

    static func appendHeader(length: Int, to frame: inout [UInt8]) {
        let n = UInt32(truncatingIfNeeded: length)
        frame.append(UInt8(truncatingIfNeeded: n >> 24))
        frame.append(UInt8(truncatingIfNeeded: n >> 16))
        frame.append(UInt8(truncatingIfNeeded: n >> 8))
        frame.append(UInt8(truncatingIfNeeded: n))
    }
}
