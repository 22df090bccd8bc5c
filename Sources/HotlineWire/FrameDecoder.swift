/// Cuts an incoming byte stream into frame payloads, whatever the read sizes were: a frame split over many
/// reads, many frames in one read, or one byte per read.
///
/// Bytes are appended to one buffer consumed from a read index; the consumed prefix is dropped only when it is
/// at least half of the buffer, so each byte is copied a bounded number of times (no O(n²) shifting).
public struct FrameDecoder: Sendable {
    public let maxFrame: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maxFrame: Int = FrameEncoder.defaultMaxFrame) {
        self.maxFrame = maxFrame
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete payload, or nil when more bytes are needed. A bad header throws as soon as its 4 bytes
    /// are in, before any of the announced body is buffered; after a throw the stream is unusable.
    public mutating func nextFrame() throws(WireError) -> [UInt8]? {
        guard buffer.count - readIndex >= 4 else { return nil }
        let length = UInt32(buffer[readIndex]) << 24 | UInt32(buffer[readIndex + 1]) << 16
            | UInt32(buffer[readIndex + 2]) << 8 | UInt32(buffer[readIndex + 3])
        if length == 0 { throw .zeroLength }
        if Int(length) > maxFrame { throw .frameTooLarge(length: length, max: maxFrame) }
        let start = readIndex + 4
        let end = start + Int(length)
        guard buffer.count >= end else { return nil }
        let payload = Array(buffer[start..<end])
        readIndex = end
        compactIfWorthIt()
        return payload
    }

    private mutating func compactIfWorthIt() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= 65_536 && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
