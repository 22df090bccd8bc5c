/// What another node's copy of a ticket adds to a record (a centre restored from a backup takes back what its
/// county stations and units hold, `hotline-city recover`).
public struct CopyMerge: Sendable {
    /// The record with what the copy added; nil when there was no record and the copy added nothing.
    public var ticket: Ticket?
    /// The copy's events the record did not have, in the copy's order, as applied.
    public var added: [TicketEvent]
    /// The first of the copy's missing events that the lifecycle refused, and why: nothing after it is taken
    /// from this copy (another node's copy may fill the gap first).
    public var stoppedAt: (event: TicketEvent, error: LifecycleError)?
}

extension Lifecycle {
    /// The events of `copy` that `record` lacks (by id), applied by the same rules as any event, in the copy's
    /// order, until one does not apply. With no record, the ticket is rebuilt from the copy's events alone.
    public static func merge(copy: Ticket, into record: Ticket?) -> CopyMerge {
        var result = CopyMerge(ticket: record, added: [], stoppedAt: nil)
        let known = Set(record?.events.map(\.id) ?? [])
        for event in copy.events where !known.contains(event.id) {
            do {
                result.ticket = try apply(event, to: result.ticket)
                result.added.append(event)
            } catch {
                result.stoppedAt = (event, error)
                break
            }
        }
        return result
    }
}
