import HotlineCore

/// The columns of a ticket's row besides `id`, `doc` and `erased`, as `TicketRepository` computes them from the
/// ticket: what lists, figures and the early warnings filter on without reading documents. The caller key is kept
/// as the phone number it is computed from (an HMAC, worked out only when the column is written).
struct TicketRow: Equatable {
    var status: String
    var holder: String
    var topic: String
    /// `TicketPresenter.areaText`: "district/street".
    var area: String
    var received: Int64
    var deadline: Int64?
    /// The last event's instant (the erasure and retention clock).
    var updated: Int64
    var overdue: Bool
    var centre: String
    var channel: String
    var district: String
    var street: String
    var phone: String?
    var dispatchedAt: Int64?
    var signBy: Int64?
    var paused: Bool

    init(_ t: Ticket) {
        let clock = DeadlineClock(t)
        status = t.status.rawValue
        holder = t.holder
        topic = t.topic
        area = TicketPresenter.areaText(t.area)
        received = t.receivedAt.millis
        deadline = t.deadlines.handleBy?.millis
        updated = t.lastEventAt?.millis ?? t.receivedAt.millis
        overdue = t.verdicts.overdue
        centre = t.centre
        channel = t.channel
        district = t.area.district
        street = t.area.street
        phone = t.caller.phone
        dispatchedAt = clock.dispatchedAt?.millis
        signBy = clock.signBy?.millis
        paused = clock.paused
    }
}
