import Testing
import HotlineCore

/// SplitMix64: a small seeded generator so every failure replays from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomCommand(_ g: inout SeededGenerator, profile: PolicyProfile) -> Command {
    let levels = SatisfactionLevel.allCases
    let result = CallbackResult(level: levels.randomElement(using: &g), stars: Int.random(in: 1...5, using: &g),
                                resolved: Bool.random(using: &g), lawfulAnswer: Bool.random(using: &g),
                                sendBack: Bool.random(using: &g))
    let tier = profile.tiers.randomElement(using: &g)?.code
    let all: [Command] = [
        .answer(note: "a"), .reject(ground: profile.rejectionGrounds.value.first ?? "g", basis: "b"),
        .refer(to: profile.referralTargets.value.first ?? "110", note: "n"),
        .requestMaterial(note: "m"), .supplyMaterial(note: "m"),
        .dispatch(lead: ["water", "east"].randomElement(using: &g) ?? "water", assisting: ["roads"], tier: tier),
        .forward(to: "town"), .sign, .sign, .requestReturn(reason: "r", basis: "b"), .approveReturn(note: "n"),
        .refuseReturn(reason: "r"), .requestExtension(period: .workingDays(Int.random(in: 1...5, using: &g)), reason: "r",
                                                      leaderSignOff: Bool.random(using: &g)),
        .requestExtension(period: nil, reason: "r", leaderSignOff: true),
        .approveExtension, .refuseExtension(reason: "r"), .reportProgress(note: "p"), .reportAssist(note: "a"),
        .reply(result: "done", callerContacted: Bool.random(using: &g)), .reply(result: "done", callerContacted: true),
        .passReview, .sendBack(reason: "s"), .recordCallback(result), .recordCallback(result),
        .disputeEvaluation(reason: "d"), .reEvaluate(result), .supervise(form: "phone", reason: "r"),
        .escalate(to: profile.supervision.escalation.value.first ?? "x", reason: "r"), .requestRecusal(reason: "r"),
        .decideRecusal(granted: Bool.random(using: &g), note: "n"), .suspend(reason: "s"), .resume,
        .terminate(reason: "t", evidence: "e"), .close(note: "c"), .archive, .reopen(reason: "r"),
    ]
    return all.randomElement(using: &g) ?? .sign
}

func checkInvariants(_ t: Ticket, profile: PolicyProfile) {
    if t.status.isWithUnit {
        #expect(t.lead != nil && t.holder == t.lead, "holder is the lead while a unit handles")
        #expect(t.deadlines.handleBy != nil && t.deadlines.signBy != nil, "deadlines set when dispatched")
    } else {
        #expect(t.holder == t.centre, "the centre holds a ticket no unit handles (\(t.status))")
    }
    if t.pending != nil { #expect(t.status == .dispatched || t.status == .signed) }
    if t.status == .closed || t.status == .terminated { #expect(t.closedAt != nil) }
    if let max = profile.extensions.maxCount { #expect(t.extensions <= max.value) }
    if let pause = t.pause { #expect(t.deadlines.handleBy != nil && pause.since <= t.events.last?.at ?? pause.since) }
    for (before, after) in zip(t.events, t.events.dropFirst()) where before.type == .archived {
        #expect(after.type == .reopened, "nothing but reopen follows archived")
    }
    #expect(Set(t.events.map(\.id)).count == t.events.count)
}

@Test(arguments: 0..<30)
func randomLegalCommandSequencesKeepTicketsConsistent(seed: Int) throws {
    var g = SeededGenerator(seed: UInt64(seed))
    let name = ["jinan-2018", "anshan-2019", "tonghua-2021", "baoding-2022", "anshan-draft"][seed % 5]
    var h = try Harness(name)
    var now = at("2026-03-02T09:00")
    try h.run(.receive(h.intake()), at: now)
    let actors = [cityActor, cityActor, waterUnit, roadsUnit, eastCounty, Actor(node: "town", role: .unit)]
    var accepted = 0
    var types = Set<EventType>()
    for _ in 0..<150 {
        now = now.adding(millis: Int64.random(in: 0...(20 * 3_600_000), using: &g))
        // Rejection sampling: draw commands until one is legal, so the sequence is a random legal one.
        for _ in 0..<60 {
            let command = randomCommand(&g, profile: h.profile)
            let actor = actors.randomElement(using: &g) ?? cityActor
            if h.refusal(command, by: actor, at: now) == nil {
                accepted += 1
                types.insert(command.eventType)
                break
            }
        }
        checkInvariants(h.t, profile: h.profile)
    }
    #expect(accepted > 60, "the generator must exercise the machine (seed \(seed))")
    #expect(types.count > 10, "seed \(seed) reached only \(types.map(\.rawValue).sorted())")
    #expect(try Lifecycle.replay(h.t.events) == h.t)
}
