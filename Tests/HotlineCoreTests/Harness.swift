import Foundation
import HotlineCore
import HotlineProfiles

/// A local time in China Standard Time, "2026-03-02T09:00".
func at(_ local: String) -> Timestamp {
    Timestamp(iso8601: local + ":00+08:00") ?? Timestamp(millis: 0)
}

let cityActor = Actor(node: "city", role: .city)
let waterUnit = Actor(node: "water", role: .unit)
let roadsUnit = Actor(node: "roads", role: .unit)
let eastCounty = Actor(node: "east", role: .county)

/// Drives one ticket through `decide` and `apply`, numbering events.
struct Harness {
    var rules: Rules
    var ticket: Ticket?
    var counter = 0

    init(_ profile: String, calendar: WorkingCalendar = .weekendsOnly) throws {
        rules = Rules(profile: try ProfileLibrary.builtin(profile), deadlines: DeadlineCalculator(calendar: calendar))
    }

    var t: Ticket { ticket! }
    var profile: PolicyProfile { rules.profile }

    @discardableResult
    mutating func run(_ command: Command, by actor: Actor = cityActor, at now: Timestamp) throws -> [TicketEvent] {
        var n = counter
        let events = try Lifecycle.decide(command, ticket: ticket, actor: actor, now: now, rules: rules) {
            n += 1
            return "e\(n)"
        }
        counter = n
        for event in events { ticket = try Lifecycle.apply(event, to: ticket) }
        return events
    }

    /// The error a command is refused with (nil if it was accepted).
    mutating func refusal(_ command: Command, by actor: Actor = cityActor, at now: Timestamp) -> LifecycleError? {
        do {
            try run(command, by: actor, at: now)
            return nil
        } catch let error as LifecycleError {
            return error
        } catch {
            return .invalidInput("unexpected \(error)")
        }
    }

    func intake(caller: CallerInfo = CallerInfo(phone: "13800000000"), kind: String = "complain",
                topic: String = "water-supply", street: String = "Quancheng", sequence: Int = 1) -> TicketIntake {
        let date = LocalDate(year: 2026, month: 3, day: 2) ?? LocalDate(dayNumber: 0)
        return TicketIntake(id: TicketID.make(prefix: profile.prefix, date: date, sequence: sequence), channel: "phone-12345",
                            kind: kind, topic: topic, area: Area(district: "Lixia", street: street),
                            address: "1 Main Road", text: "No water since morning", caller: caller)
    }

    /// Received Monday 2026-03-02 09:00 and dispatched to `water` at 09:30 (tier when the profile needs one).
    mutating func dispatched(tier: String? = nil, caller: CallerInfo = CallerInfo(phone: "13800000000")) throws {
        try run(.receive(intake(caller: caller)), at: at("2026-03-02T09:00"))
        let chosen = tier ?? (profile.tierRequired.value ? profile.tiers.last?.code : nil)
        try run(.dispatch(lead: "water", assisting: ["roads"], tier: chosen), at: at("2026-03-02T09:30"))
    }

    /// Dispatched and signed by `water` at 10:00.
    mutating func signed(tier: String? = nil, caller: CallerInfo = CallerInfo(phone: "13800000000")) throws {
        try dispatched(tier: tier, caller: caller)
        try run(.sign, by: waterUnit, at: at("2026-03-02T10:00"))
    }

    /// Signed, replied on Wednesday, and reviewed where the profile reviews.
    mutating func awaitingCallback(caller: CallerInfo = CallerInfo(phone: "13800000000")) throws {
        try signed(caller: caller)
        try run(.reply(result: "Pipe repaired", callerContacted: true), by: waterUnit, at: at("2026-03-04T15:00"))
        if profile.reviewRequired.value { try run(.passReview, at: at("2026-03-04T16:00")) }
    }
}

extension LifecycleError {
    var rule: String? {
        if case let .ruleViolated(rule, _) = self { return rule }
        return nil
    }
}
