/// Cuts an incoming byte stream into frame payloads, whatever the read sizes were: a frame split over many
/// reads, many frames in one read, or one byte per read.
///
/// The stream waiting to be cut is `buffer` (from `readIndex`) followed by `adopted` (from `adoptedIndex`). A read
/// handed over as an array while nothing of an earlier read waits in `adopted` is adopted as it is, without a copy
/// (an array shares its storage), and its whole frames are cut straight out of it; only a frame split across reads
/// is copied into `buffer`, and only its own bytes. Copying every read into one buffer first, and shifting that
/// buffer down, was two copies of every byte on the work loop of a node receiving a backlog (a durable hop, callgrind:
/// 9 of the unit loop's 343 million instructions). In `buffer` the consumed prefix is dropped only when it is at
/// least half of it, so each byte is copied a bounded number of times (no O(n²) shifting).
public struct FrameDecoder: Sendable {
    public let maxFrame: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var adopted: [UInt8] = []
    private var adoptedIndex = 0

    public init(maxFrame: Int = FrameEncoder.defaultMaxFrame) {
        self.maxFrame = maxFrame
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - readIndex + adopted.count - adoptedIndex }

    /// A read as it came: kept without a copy when no earlier read waits.
    public mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if adoptedIndex < adopted.count { spillAdopted() }
        adopted = bytes
        adoptedIndex = 0
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        spillAdopted()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        spillAdopted()
        buffer.append(contentsOf: bytes)
    }

    /// The next complete payload, or nil when more bytes are needed. A bad header throws as soon as its 4 bytes
    /// are in, before any of the announced body is buffered; after a throw the stream is unusable.
    public mutating func nextFrame() throws(WireError) -> [UInt8]? {
        if readIndex < buffer.count {
            // A frame begun in an earlier read: its header, then its body, from the adopted read (only its bytes).
            if buffer.count - readIndex < 4 { take(4 - (buffer.count - readIndex)) }
            guard buffer.count - readIndex >= 4 else { return nil }
            let length = try Self.length(buffer, at: readIndex, maxFrame: maxFrame)
            let end = readIndex + 4 + length
            if buffer.count < end { take(end - buffer.count) }
            guard buffer.count >= end else { return nil }
            let payload = Array(buffer[(readIndex + 4)..<end])
            readIndex = end
            compactIfWorthIt()
            return payload
        }
        guard adoptedIndex < adopted.count else { return nil }
        if adopted.count - adoptedIndex >= 4 {
            let length = try Self.length(adopted, at: adoptedIndex, maxFrame: maxFrame)
            let end = adoptedIndex + 4 + length
            if adopted.count >= end {
                let payload = Array(adopted[(adoptedIndex + 4)..<end])
                adoptedIndex = end
                if adoptedIndex == adopted.count { adopted = []; adoptedIndex = 0 }
                return payload
            }
        }
        // The read ends inside a frame: its bytes wait in `buffer` for the rest.
        spillAdopted()
        return nil
    }

    private static func length(_ bytes: [UInt8], at i: Int, maxFrame: Int) throws(WireError) -> Int {
        let length = UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
        if length == 0 { throw .zeroLength }
        if Int(length) > maxFrame { throw .frameTooLarge(length: length, max: maxFrame) }
        return Int(length)
    }

    /// Moves up to `n` bytes from the adopted read to `buffer`.
    private mutating func take(_ n: Int) {
        let m = min(n, adopted.count - adoptedIndex)
        guard m > 0 else { return }
        buffer.append(contentsOf: adopted[adoptedIndex..<(adoptedIndex + m)])
        adoptedIndex += m
        if adoptedIndex == adopted.count { adopted = []; adoptedIndex = 0 }
    }

    /// Moves what is left of the adopted read to `buffer` (a later read goes after it).
    private mutating func spillAdopted() {
        take(adopted.count - adoptedIndex)
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
