// libFuzzer target: a ticket and events as a peer sends them (ticket.assign / ticket.event bodies), decoded and
// applied by the lifecycle core, then every command an operator could give on the result decided and applied, and
// the ticket written as text and read back: a node must never crash on what a peer sends, nor store what it cannot
// read again. Events a node refuses before applying them (`TicketEvent.implausibility`) are skipped here too. Read
// with JSONStreamDecoder, as the nodes read them. Built by deploy/fuzz/run.sh together with Sources/HotlineCore and
// Sources/HotlineWire (one module), never by SwiftPM.
import Foundation

/// Every bundled profile, read from the repository (this file is Tests/Fuzz/EventFuzz.swift).
let fuzzRules: [Rules] = {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/HotlineProfiles/profiles").standardized
    let files = ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
        .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
    let rules = files.compactMap { try? PolicyProfile.decode(Data(contentsOf: $0)) }
        .map { Rules(profile: $0, deadlines: DeadlineCalculator(calendar: .weekendsOnly)) }
    precondition(!rules.isEmpty, "no profiles in \(dir.path)")
    return rules
}()

let fuzzCommands: [Command] = [
    .sign, .requestExtension(period: nil, reason: "x", leaderSignOff: true),
    .requestExtension(period: .workingDays(5), reason: "x", leaderSignOff: true), .approveExtension,
    .refuseExtension(reason: "n"), .requestReturn(reason: "r", basis: "b"), .approveReturn(note: "a"), .refuseReturn(reason: "n"),
    .reportProgress(note: "p"), .reply(result: "done", callerContacted: true), .passReview, .sendBack(reason: "b"),
    .recordCallback(CallbackResult(level: .satisfied, resolved: true)), .recordCallback(CallbackResult(stars: 2, resolved: false)),
    .supervise(form: "phone", reason: "s"), .suspend(reason: "s"), .resume, .close(note: "c"), .reopen(reason: "r"),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEvents(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    // One JSON array: the events of one ticket, applied in order from nothing.
    guard let events = try? JSONStreamDecoder.decode([TicketEvent].self, from: input) else {
        _ = try? JSONStreamDecoder.decode(Ticket.self, from: input)
        return 0
    }
    var ticket: Ticket?
    for e in events where e.implausibility == nil {
        guard let next = try? Lifecycle.apply(e, to: ticket) else { break }
        ticket = next
    }
    guard let start = ticket, start.implausibility == nil else { return 0 }
    _ = Figures.compute(tickets: [start], from: LocalDate(dayNumber: 0), to: LocalDate(dayNumber: 40_000), by: .unit)
    let rules = fuzzRules[Int(size % fuzzRules.count)]
    let now = (start.events.last?.at ?? start.receivedAt).adding(hours: 1)
    let actors = [Actor(node: "c", role: .city), Actor(node: start.holder, role: .unit), Actor(node: start.holder, role: .county)]
    var t = start
    var n = 0
    for command in fuzzCommands {
        for actor in actors {
            guard let made = try? Lifecycle.decide(command, ticket: t, actor: actor, now: now, rules: rules, makeId: { n += 1; return "f\(n)" })
            else { continue }
            for e in made { if let next = try? Lifecycle.apply(e, to: t) { t = next } }
        }
    }
    // What a node stores it must read back: every time, however far out, as text and again.
    guard let text = try? JSONEncoder().encode(t) else { return 0 }
    guard let back = try? JSONStreamDecoder.decode(Ticket.self, from: [UInt8](text)) else {
        fatalError("a ticket written as JSON does not read back: \(String(decoding: text.prefix(2000), as: UTF8.self))")
    }
    precondition(back.events.map(\.at) == t.events.map(\.at) && back.deadlines == t.deadlines,
                 "a ticket's times changed on the way through JSON")
    return 0
}
