import Testing
@testable import HotlineWire

/// How a byte stream is cut into reads.
enum Chunking: CustomTestStringConvertible, Sendable {
    case allAtOnce
    case byteAtATime
    case random(seed: UInt64)

    var testDescription: String {
        switch self {
        case .allAtOnce: "all at once"
        case .byteAtATime: "byte at a time"
        case let .random(seed): "random chunks, seed \(seed)"
        }
    }

    func cut(_ bytes: [UInt8]) -> [[UInt8]] {
        switch self {
        case .allAtOnce:
            return [bytes]
        case .byteAtATime:
            return bytes.map { [$0] }
        case let .random(seed):
            var rng = SeededGenerator(seed: seed)
            var chunks: [[UInt8]] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...37, using: &rng)
                chunks.append(Array(bytes[i..<min(bytes.count, i + n)]))
                i += n
            }
            return chunks
        }
    }
}

let chunkings: [Chunking] = [.allAtOnce, .byteAtATime] + (1...8).map { .random(seed: UInt64($0)) }

private func samplePayloads() -> [[UInt8]] {
    (1...50).map { i in Array("{\"n\":\(i),\"pad\":\"\(String(repeating: "x", count: i * 7))\"}".utf8) }
}

@Test(arguments: chunkings)
func decoderReturnsEveryFrameWhateverTheReadSplits(chunking: Chunking) throws {
    let payloads = samplePayloads()
    let stream = payloads.flatMap { FrameEncoder.encode(payload: $0) }
    var decoder = FrameDecoder()
    var got: [[UInt8]] = []
    for chunk in chunking.cut(stream) {
        decoder.append(chunk)
        while let frame = try decoder.nextFrame() { got.append(frame) }
    }
    #expect(got == payloads)
    #expect(decoder.bufferedByteCount == 0)
}

@Test func decoderWaitsForTheRestOfAPartialFrame() throws {
    var decoder = FrameDecoder()
    let frame = FrameEncoder.encode(payload: Array("{\"a\":1}".utf8))
    decoder.append(frame.dropLast())
    #expect(try decoder.nextFrame() == nil)
    decoder.append(frame.suffix(1))
    #expect(try decoder.nextFrame() == Array("{\"a\":1}".utf8))
}

@Test func decoderRefusesAZeroLengthHeader() {
    var decoder = FrameDecoder()
    decoder.append([0, 0, 0, 0])
    #expect(throws: WireError.zeroLength) { try decoder.nextFrame() }
}

@Test func decoderRefusesAnOversizeFrameFromTheHeaderAlone() {
    var decoder = FrameDecoder(maxFrame: 1024)
    decoder.append([0, 0, 0x04, 0x01])
    #expect(throws: WireError.frameTooLarge(length: 1025, max: 1024)) { try decoder.nextFrame() }
}

@Test func decoderAcceptsAFrameOfExactlyTheMaximum() throws {
    var decoder = FrameDecoder(maxFrame: 10)
    let payload = Array("{\"a\":\"12\"}".utf8)
    #expect(payload.count == 10)
    decoder.append(FrameEncoder.encode(payload: payload))
    #expect(try decoder.nextFrame() == payload)
}

@Test func decoderCompactsItsBufferOnALongStream() throws {
    var decoder = FrameDecoder()
    let payload = Array(String(repeating: "y", count: 1000).utf8)
    let frame = FrameEncoder.encode(payload: payload)
    var count = 0
    for _ in 0..<500 {
        decoder.append(frame + frame.prefix(3))
        decoder.append(frame.dropFirst(3))
        while try decoder.nextFrame() != nil { count += 1 }
    }
    #expect(count == 1000)
    #expect(decoder.bufferedByteCount == 0)
}

@Test func encoderWritesABigEndianLength() {
    let frame = FrameEncoder.encode(payload: Array(repeating: 0x20, count: 0x010203))
    #expect(Array(frame.prefix(4)) == [0x00, 0x01, 0x02, 0x03])
    #expect(frame.count == 0x010203 + 4)
}

/// Reads handed over as arrays are cut without being copied first, reads of any other kind are copied; a stream
/// mixing both, with frames pulled after some reads and not others (a session waiting for approval pulls none),
/// must come out as the same frames in the same order.
@Test(arguments: 1...12)
func decoderReturnsEveryFrameWhenArraysAndOtherReadsAreMixedAndPulledLate(seed: Int) throws {
    var rng = SeededGenerator(seed: UInt64(seed))
    let payloads = (1...200).map { i in Array((String(repeating: "z", count: Int.random(in: 1...300, using: &rng)) + "\(i)").utf8) }
    let stream = payloads.flatMap { FrameEncoder.encode(payload: $0) }
    var decoder = FrameDecoder()
    var got: [[UInt8]] = []
    var i = 0
    while i < stream.count {
        let n = min(stream.count - i, Int.random(in: 1...700, using: &rng))
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: decoder.append(Array(stream[i..<(i + n)]))
        case 1: decoder.append(stream[i..<(i + n)])
        default: stream[i..<(i + n)].withUnsafeBytes { decoder.append($0) }
        }
        i += n
        if Bool.random(using: &rng) {
            while let frame = try decoder.nextFrame() { got.append(frame) }
        }
        #expect(decoder.bufferedByteCount == i - got.reduce(0) { $0 + 4 + $1.count })
    }
    while let frame = try decoder.nextFrame() { got.append(frame) }
    #expect(got == payloads)
    #expect(decoder.bufferedByteCount == 0)
}

@Test func decoderRefusesABadHeaderInTheMiddleOfAnAdoptedRead() throws {
    var decoder = FrameDecoder(maxFrame: 100)
    let good = FrameEncoder.encode(payload: Array("{\"a\":1}".utf8))
    decoder.append(good + [0, 0, 0, 101] + [UInt8](repeating: 0x20, count: 10))
    #expect(try decoder.nextFrame() == Array("{\"a\":1}".utf8))
    #expect(throws: WireError.frameTooLarge(length: 101, max: 100)) { try decoder.nextFrame() }
}

@Test func decoderRefusesABadHeaderSplitAcrossReads() throws {
    var decoder = FrameDecoder()
    decoder.append([0, 0] as [UInt8])
    #expect(try decoder.nextFrame() == nil)
    decoder.append([0, 0, 9, 9] as [UInt8])
    #expect(throws: WireError.zeroLength) { try decoder.nextFrame() }
}
