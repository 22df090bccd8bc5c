// libFuzzer target: a ticket and events as a peer sends them (ticket.assign / ticket.event bodies), decoded and
// applied by the lifecycle core: a node must never crash on what a peer sends. Read with JSONStreamDecoder, as the
// nodes read them. Built by deploy/fuzz/run.sh together with Sources/HotlineCore and Sources/HotlineWire (one
// module), never by SwiftPM.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEvents(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    // One JSON array: the events of one ticket, applied in order from nothing.
    guard let events = try? JSONStreamDecoder.decode([TicketEvent].self, from: input) else {
        _ = try? JSONStreamDecoder.decode(Ticket.self, from: input)
        return 0
    }
    var ticket: Ticket?
    for e in events {
        guard let next = try? Lifecycle.apply(e, to: ticket) else { break }
        ticket = next
    }
    if let t = ticket {
        _ = Figures.compute(tickets: [t], from: LocalDate(dayNumber: 0), to: LocalDate(dayNumber: 40_000), by: .unit)
    }
    return 0
}
