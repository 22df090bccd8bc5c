// libFuzzer target: the frame decoder and the envelope parser, fed any bytes in any read sizes.
// Built by deploy/fuzz/run.sh together with Sources/HotlineWire (one module), never by SwiftPM.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    // The first byte chooses the read size, so frames arrive split in every way.
    let chunk = Int(first % 64) + 1
    var decoder = FrameDecoder(maxFrame: 1 << 16)
    var i = 1
    var read = 0
    while i < bytes.count {
        // Reads alternate between arrays (kept as they came, frames cut in place) and slices (copied).
        let piece = bytes[i..<min(i + chunk, bytes.count)]
        if read % 2 == 0 { decoder.append(Array(piece)) } else { decoder.append(piece) }
        read += 1
        i += chunk
        while true {
            let frame: [UInt8]?
            do { frame = try decoder.nextFrame() } catch { return 0 }
            guard let frame else { break }
            _ = try? WireMessage.decode(frame, knownKinds: ["ticket.event", "ticket.assign", "notice"])
        }
    }
    return 0
}
