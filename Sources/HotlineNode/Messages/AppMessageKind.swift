/// The application messages carried in data frames (`kind`). Specified in protocols/README.md, "Application
/// messages"; their bodies have JSON Schemas in protocols/schemas/app/.
enum AppMessageKind: String, CaseIterable, Sendable {
    /// A ticket handed to a county or unit (dispatch, forward, assist): the ticket as the recipient may see it.
    case ticketAssign = "ticket.assign"
    /// One lifecycle event of a ticket, travelling to the city (from below) or to the holder (from the city).
    case ticketEvent = "ticket.event"
    /// The events of one decision of the city that made more than one (a satisfied callback and the closure it
    /// brings), to a node working on the ticket: all of them or none reach it.
    case ticketEvents = "ticket.events"
    /// The city's authoritative copy of a ticket, sent when a node's copy diverged (an event it sent was refused).
    case ticketSync = "ticket.sync"
    /// A restored centre asks a county station or unit for its copies of the tickets changed since a day (`recover`).
    case ticketRecall = "ticket.recall"
    /// A county station's or unit's copy of one ticket, in answer to a recall (and a last one saying it is done).
    case ticketCopy = "ticket.copy"
    /// A refusal of a message the origin sent: what was refused and the rule that refused it.
    case notice = "notice"
    /// A knowledge-base entry a unit or county station submits for review: owner → city.
    case kbSubmit = "kb.submit"
    /// A reviewed knowledge-base version: city → every node that needs it (approved), or → the owner (the version
    /// number the city gave a submission, or a rejection with its reason).
    case kbEntry = "kb.entry"
    /// An error reported in an entry: any node → city (which tells the owner).
    case kbReport = "kb.report"
    /// The certificate revocation list the city checks against (`crl.pem`): city → every node, which installs it
    /// when its own authority signed it and it is not older than the node's (`installRevocationList`).
    case pkiCRL = "pki.crl"
    /// A year's holiday notice the city installed (`calendar --install`): city → every node, which checks it and
    /// counts later deadlines in it (`installCalendar`).
    case calendarYear = "calendar.year"

    static let all: Set<String> = Set(allCases.map(\.rawValue))
}
