/// 个人信息最小化 — what of a ticket another node may see.
///
/// - The unit complained about (the ticket's subject) never receives the caller's identity or the complaint
///   material (JN §32, AS19 §26, TH §23), even when it is asked to reply: it gets the topic, the area and a note.
/// - Any other unit receives the caller's contact only when the ticket needs it (the caller wants a reply) and the
///   caller did not ask for confidentiality (JN §16, BD §13); otherwise a masked phone and no name (AS19 §26: only
///   what handling needs).
/// The city keeps everything: it is the archive. Events carry personal fields too (the `received` event), so the
/// same rule is applied to every event of the view.
public enum Privacy {
    public static let withheldText = "（投诉材料不向被投诉单位提供 · complaint material withheld from the unit complained about）"

    public static func view(of ticket: Ticket, for recipient: String) -> Ticket {
        var t = ticket
        if ticket.subject == recipient {
            t.caller = CallerInfo(confidential: true, noReply: ticket.caller.noReply)
            t.text = withheldText
            t.address = ""
            t.attachments = []
        } else if ticket.caller.confidential || ticket.caller.noReply {
            t.caller = masked(ticket.caller)
        }
        t.events = ticket.events.map { scrub($0, like: t) }
        return t
    }

    /// One event as the recipient may see it (the same rule as `view`, for events sent on their own).
    public static func event(_ event: TicketEvent, of ticket: Ticket, for recipient: String) -> TicketEvent {
        var bare = ticket
        bare.events = []
        return scrub(event, like: view(of: bare, for: recipient))
    }

    /// Erases the personal fields of a closed ticket at a county or unit after the retention period.
    public static func erased(_ ticket: Ticket) -> Ticket {
        var t = ticket
        t.caller = CallerInfo(confidential: ticket.caller.confidential, noReply: ticket.caller.noReply)
        t.address = ""
        t.events = ticket.events.map { scrub($0, like: t) }
        return t
    }

    /// "13812345678" → "138****5678": enough to recognise a caller on the phone, not to find one.
    public static func maskPhone(_ phone: String) -> String {
        let chars = Array(phone)
        guard chars.count >= 7 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(3)) + String(repeating: "*", count: chars.count - 7) + String(chars.suffix(4))
    }

    static func masked(_ caller: CallerInfo) -> CallerInfo {
        CallerInfo(name: nil, phone: caller.phone.map(maskPhone), confidential: caller.confidential,
                   noReply: caller.noReply, vulnerable: caller.vulnerable)
    }

    private static func scrub(_ event: TicketEvent, like view: Ticket) -> TicketEvent {
        var e = event
        if e.caller != nil { e.caller = view.caller }
        if e.type == .received {
            e.text = view.text
            e.address = view.address
            e.attachments = view.attachments
        }
        return e
    }
}
