// libFuzzer target: the envelope parser on whole payloads (JSON text), the path every received frame takes.
// Built by deploy/fuzz/run.sh together with Sources/HotlineWire (one module), never by SwiftPM.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let message = try? WireMessage.decode(bytes, knownKinds: ["ticket.event", "ticket.assign", "notice", "kb.entry"]) {
        // What decodes must encode again and decode to the same message.
        let again = try? WireMessage.decode(message.encode(), knownKinds: ["ticket.event", "ticket.assign", "notice", "kb.entry"])
        precondition(again == message, "re-encoding changed the message")
    }
    return 0
}
