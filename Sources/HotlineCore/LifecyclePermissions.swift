/// Which role and which node may record each event type, and in which statuses. Shared by `decide` and `apply`
/// because events also arrive from other nodes and must be re-checked there.
extension Lifecycle {
    /// Events a handling unit (and a county station holding the ticket) may record.
    static let handlerEvents: Set<EventType> = [.signed, .returnRequested, .extensionRequested, .progress,
                                                .assistReported, .replied, .recusalRequested, .evaluationDisputed]

    static func allowedStatuses(_ type: EventType) -> [TicketStatus]? {
        switch type {
        case .received: return nil
        case .answered, .rejected, .referred: return [.received, .waitingMaterial]
        case .materialRequested: return [.received, .signed]
        case .materialSupplied: return [.waitingMaterial, .signed]
        case .dispatched: return [.received, .returned]
        case .forwarded, .signed: return [.dispatched]
        case .returnRequested, .recusalRequested: return [.dispatched, .signed]
        case .returnApproved, .returnRefused, .recusalDecided: return [.dispatched, .signed]
        case .extensionRequested, .extensionApproved, .extensionRefused, .suspended: return [.signed]
        case .progress: return [.signed, .suspended]
        case .assistReported: return [.dispatched, .signed, .suspended]
        case .replied: return [.signed]
        case .reviewPassed: return [.replied]
        case .reviewSentBack: return [.replied, .reviewed]
        case .callback: return [.replied, .reviewed, .closed]
        case .evaluationDisputed, .reEvaluated: return [.reviewed, .closed]
        case .supervised, .escalated, .terminated:
            return TicketStatus.allCases.filter { !$0.isFinished }
        case .resumed: return [.suspended]
        case .closed: return [.replied, .reviewed, .answered, .rejected, .referred]
        case .archived: return [.closed, .terminated, .answered, .rejected, .referred]
        case .reopened: return [.closed, .archived]
        }
    }

    static func requiredPending(_ type: EventType) -> PendingRequest? {
        switch type {
        case .returnApproved, .returnRefused: return .returnRequest
        case .extensionApproved, .extensionRefused: return .extension
        case .recusalDecided: return .recusal
        default: return nil
        }
    }

    /// Refuses an event that the node's role, its place on the ticket or the ticket's status does not allow.
    static func checkLegal(_ type: EventType, ticket: Ticket?, node: String, role: Role) throws(LifecycleError) {
        switch type {
        case .forwarded:
            if role != .county { throw .roleNotAllowed(type, role: role, who: "a county station (县区工作站)") }
        case .supervised:
            if role == .unit { throw .roleNotAllowed(type, role: role, who: "the city centre or a county station (JN §28, BD §24)") }
        default:
            if handlerEvents.contains(type) {
                if role == .city { throw .roleNotAllowed(type, role: role, who: "the unit or county station holding the ticket") }
            } else if role != .city {
                throw .roleNotAllowed(type, role: role, who: "the city centre")
            }
        }
        guard let ticket else {
            if type == .received { return }
            throw .noTicket(type)
        }
        if type == .received { throw .ticketExists(id: ticket.id) }
        if let allowed = allowedStatuses(type), !allowed.contains(ticket.status) {
            throw .illegalInStatus(type, status: ticket.status, allowed: allowed)
        }
        if let needed = requiredPending(type) {
            if ticket.pending != needed { throw .nothingPending(type, expected: needed) }
        } else if let pending = ticket.pending,
                  [.dispatched, .returnRequested, .extensionRequested, .replied, .recusalRequested, .suspended,
                   .forwarded, .signed].contains(type) {
            throw .requestPending(type, pending: pending)
        }
        switch type {
        case .progress:
            if node != ticket.holder && !ticket.assisting.contains(node) {
                throw .notResponsible(type, node: node, holder: ticket.holder)
            }
        case .assistReported:
            if !ticket.assisting.contains(node) {
                throw .notResponsible(type, node: node, holder: ticket.assisting.joined(separator: ", "))
            }
        case .evaluationDisputed:
            if node != ticket.lead { throw .notResponsible(type, node: node, holder: ticket.lead ?? "none") }
        case .supervised:
            break
        default:
            if handlerEvents.contains(type) || type == .forwarded, node != ticket.holder {
                throw .notResponsible(type, node: node, holder: ticket.holder)
            }
        }
        if type == .replied, ticket.pause != nil {
            throw .invalidInput("the handling clock is stopped (\(ticket.pause?.reason.rawValue ?? "")); resume it before replying")
        }
    }
}
