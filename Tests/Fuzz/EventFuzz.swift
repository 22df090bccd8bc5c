// libFuzzer target: a ticket and events as a peer sends them (ticket.assign / ticket.event bodies), decoded and
// applied by the lifecycle core: a node must never crash on what a peer sends.
// Built by deploy/fuzz/run.sh together with Sources/HotlineCore (one module), never by SwiftPM.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEvents(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(bytes: data, count: size)
    // One JSON array: the events of one ticket, applied in order from nothing.
    guard let events = try? JSONDecoder().decode([TicketEvent].self, from: input) else {
        _ = try? JSONDecoder().decode(Ticket.self, from: input)
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
