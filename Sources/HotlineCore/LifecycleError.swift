/// Why a command or an incoming event was refused. Every message names the rule and says what to do.
public enum LifecycleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The role may not do this at all.
    case roleNotAllowed(EventType, role: Role, who: String)
    /// The node is not the one responsible for the ticket.
    case notResponsible(EventType, node: String, holder: String)
    /// The event is not legal in the ticket's status.
    case illegalInStatus(EventType, status: TicketStatus, allowed: [TicketStatus])
    case requestPending(EventType, pending: PendingRequest)
    case nothingPending(EventType, expected: PendingRequest)
    /// A profile rule refused it; `rule` is "profile §N".
    case ruleViolated(rule: String, message: String)
    case duplicateEvent(id: String)
    case noTicket(EventType)
    case ticketExists(id: String)
    case wrongTicket(event: String, ticket: String)
    case missingField(EventType, field: String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .roleNotAllowed(type, role, who):
            return "only \(who) may record '\(type.rawValue)' (role \(role.rawValue)); ask that node to do it"
        case let .notResponsible(type, node, holder):
            return "'\(type.rawValue)' must come from the node responsible for the ticket (\(holder)), not \(node)"
        case let .illegalInStatus(type, status, allowed):
            let list = allowed.map(\.rawValue).joined(separator: ", ")
            return "'\(type.rawValue)' is not legal while the ticket is \(status.rawValue); legal in: \(list)"
        case let .requestPending(type, pending):
            return "'\(type.rawValue)' must wait: a \(pending.rawValue) request is pending; the centre decides it first"
        case let .nothingPending(type, expected):
            return "'\(type.rawValue)' needs a pending \(expected.rawValue) request; none is pending"
        case let .ruleViolated(rule, message):
            return "\(rule): \(message)"
        case let .duplicateEvent(id):
            return "event \(id) is already in the ticket's history; drop the duplicate"
        case let .noTicket(type):
            return "'\(type.rawValue)' needs an existing ticket; receive the ticket first"
        case let .ticketExists(id):
            return "ticket \(id) already exists; use a new id from the daily sequence"
        case let .wrongTicket(event, ticket):
            return "event for ticket \(event) applied to ticket \(ticket); route it to the right ticket"
        case let .missingField(type, field):
            return "event '\(type.rawValue)' lacks field '\(field)'; the sending node must fill it"
        case let .invalidInput(message):
            return message
        }
    }
}
