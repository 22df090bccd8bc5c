import HotlineCore
import HotlineWire

// Tickets and events read and written by hand (`JSONObjectDecodable` / `JSONObjectEncodable`): every node reads
// and writes them for every message and every stored document, and through the `Codable` containers that was a
// third of a unit's CPU in a durable hop. Members are written in the order of their names' UTF-8 bytes, the order
// wire bodies must have (protocols/README §8), so sorting a body's objects finds them sorted (the sort was a third
// of writing one); stored documents have the same order. They are read in declaration order (an event in one
// pass over its members, refusing with declaration order's first error: `readMembers`). `TicketJSONTests`
// holds them to the synthesised `Codable` code: the same sorted bytes, the same values, the same refusals.

extension Ticket: JSONObjectDecodable, JSONObjectEncodable {
    public init(json: JSONObjectReader) throws {
        let r = json
        self.init(id: try r.string("id"), profile: try r.string("profile"), channel: try r.string("channel"),
                  kind: try r.string("kind"), topic: try r.string("topic"), area: try r.object("area"),
                  address: try r.string("address"), text: try r.string("text"), attachments: try r.objects("attachments"),
                  caller: try r.object("caller"), subject: try r.stringIfPresent("subject"),
                  tier: try r.stringIfPresent("tier"), lead: try r.stringIfPresent("lead"),
                  assisting: try r.strings("assisting"), centre: try r.string("centre"), holder: try r.string("holder"),
                  status: try r.raw("status"), pending: try r.rawIfPresent("pending"), deadlines: try r.object("deadlines"),
                  handlingUnit: try r.rawIfPresent("handlingUnit"), extensions: try r.int("extensions"),
                  pause: try r.objectIfPresent("pause"), verdicts: try r.object("verdicts"),
                  evaluation: try r.objectIfPresent("evaluation"), supervisions: try r.int("supervisions"),
                  sendBacks: try r.int("sendBacks"), receivedAt: try r.timestamp("receivedAt"),
                  closedAt: try r.timestampIfPresent("closedAt"), events: try r.objects("events"))
    }

    public func write(json w: JSONObjectWriter) throws {
        w.string("address", address)
        try w.object("area", area)
        w.strings("assisting", assisting)
        try w.objects("attachments", attachments)
        try w.object("caller", caller)
        w.string("centre", centre)
        w.string("channel", channel)
        w.timestamp("closedAt", closedAt)
        try w.object("deadlines", deadlines)
        try w.object("evaluation", evaluation)
        try w.objects("events", events)
        w.int("extensions", extensions)
        w.raw("handlingUnit", handlingUnit)
        w.string("holder", holder)
        w.string("id", id)
        w.string("kind", kind)
        w.string("lead", lead)
        try w.object("pause", pause)
        w.raw("pending", pending)
        w.string("profile", profile)
        w.timestamp("receivedAt", receivedAt)
        w.int("sendBacks", sendBacks)
        w.raw("status", status)
        w.string("subject", subject)
        w.int("supervisions", supervisions)
        w.string("text", text)
        w.string("tier", tier)
        w.string("topic", topic)
        try w.object("verdicts", verdicts)
    }
}

extension TicketEvent: JSONObjectDecodable, JSONObjectEncodable {
    /// Its members in the order `init(from:)` reads them; the first six are required.
    static let members = MemberNames([
        "id", "ticket", "type", "at", "node", "role", "profile", "channel", "kind", "topic", "area", "address", "text",
        "attachments", "caller", "subject", "acceptBy", "dispatchBy", "to", "assisting", "tier", "signBy", "returnBy",
        "handleBy", "handlingUnit", "reason", "basis", "kbEntry", "note", "onTime", "countsAsOverdue", "period",
        "leaderSignOff", "extensionNumber", "callerContacted", "level", "stars", "resolved", "unreachable",
        "lawfulAnswer", "sentBack", "supervisionLevel", "form", "granted", "evidence", "pauses",
    ])

    /// In one pass over the members the event has (about ten of `members`' 46): a lookup for each name it may have
    /// was most of reading an event (callgrind, hotline-bench hop).
    public init(json: JSONObjectReader) throws {
        self.init(id: "", ticket: "", type: .received, at: Timestamp(millis: 0), node: "", role: .city)
        try json.readMembers(Self.members, required: 0b11_1111) { k, m in
            switch k {
            case 0: id = try m.string()
            case 1: ticket = try m.string()
            case 2: type = try m.raw()
            case 3: at = try m.timestamp()
            case 4: node = try m.string()
            case 5: role = try m.raw()
            case 6: profile = try m.stringIfPresent()
            case 7: channel = try m.stringIfPresent()
            case 8: kind = try m.stringIfPresent()
            case 9: topic = try m.stringIfPresent()
            case 10: area = try m.objectIfPresent()
            case 11: address = try m.stringIfPresent()
            case 12: text = try m.stringIfPresent()
            case 13: attachments = try m.objectsIfPresent()
            case 14: caller = try m.objectIfPresent()
            case 15: subject = try m.stringIfPresent()
            case 16: acceptBy = try m.timestampIfPresent()
            case 17: dispatchBy = try m.timestampIfPresent()
            case 18: to = try m.stringIfPresent()
            case 19: assisting = try m.stringsIfPresent()
            case 20: tier = try m.stringIfPresent()
            case 21: signBy = try m.timestampIfPresent()
            case 22: returnBy = try m.timestampIfPresent()
            case 23: handleBy = try m.timestampIfPresent()
            case 24: handlingUnit = try m.rawIfPresent()
            case 25: reason = try m.stringIfPresent()
            case 26: basis = try m.stringIfPresent()
            case 27: kbEntry = try m.stringIfPresent()
            case 28: note = try m.stringIfPresent()
            case 29: onTime = try m.boolIfPresent()
            case 30: countsAsOverdue = try m.boolIfPresent()
            case 31: period = try m.decodeIfPresent()
            case 32: leaderSignOff = try m.boolIfPresent()
            case 33: extensionNumber = try m.intIfPresent()
            case 34: callerContacted = try m.boolIfPresent()
            case 35: level = try m.rawIfPresent()
            case 36: stars = try m.intIfPresent()
            case 37: resolved = try m.boolIfPresent()
            case 38: unreachable = try m.boolIfPresent()
            case 39: lawfulAnswer = try m.boolIfPresent()
            case 40: sentBack = try m.boolIfPresent()
            case 41: supervisionLevel = try m.rawIfPresent()
            case 42: form = try m.stringIfPresent()
            case 43: granted = try m.boolIfPresent()
            case 44: evidence = try m.stringIfPresent()
            case 45: pauses = try m.rawIfPresent()
            default: break
            }
        }
    }

    public func write(json w: JSONObjectWriter) throws {
        w.timestamp("acceptBy", acceptBy)
        w.string("address", address)
        try w.object("area", area)
        w.strings("assisting", assisting)
        w.timestamp("at", at)
        try w.objects("attachments", attachments)
        w.string("basis", basis)
        try w.object("caller", caller)
        w.bool("callerContacted", callerContacted)
        w.string("channel", channel)
        w.bool("countsAsOverdue", countsAsOverdue)
        w.timestamp("dispatchBy", dispatchBy)
        w.string("evidence", evidence)
        w.int("extensionNumber", extensionNumber)
        w.string("form", form)
        w.bool("granted", granted)
        w.timestamp("handleBy", handleBy)
        w.raw("handlingUnit", handlingUnit)
        w.string("id", id)
        w.string("kbEntry", kbEntry)
        w.string("kind", kind)
        w.bool("lawfulAnswer", lawfulAnswer)
        w.bool("leaderSignOff", leaderSignOff)
        w.raw("level", level)
        w.string("node", node)
        w.string("note", note)
        w.bool("onTime", onTime)
        w.raw("pauses", pauses)
        try w.encode("period", period)
        w.string("profile", profile)
        w.string("reason", reason)
        w.bool("resolved", resolved)
        w.timestamp("returnBy", returnBy)
        w.raw("role", role)
        w.bool("sentBack", sentBack)
        w.timestamp("signBy", signBy)
        w.int("stars", stars)
        w.string("subject", subject)
        w.raw("supervisionLevel", supervisionLevel)
        w.string("text", text)
        w.string("ticket", ticket)
        w.string("tier", tier)
        w.string("to", to)
        w.string("topic", topic)
        w.raw("type", type)
        w.bool("unreachable", unreachable)
    }
}

extension Area: JSONObjectDecodable, JSONObjectEncodable {
    public init(json: JSONObjectReader) throws {
        let r = json
        self.init(district: try r.string("district"), street: try r.string("street"))
    }

    public func write(json w: JSONObjectWriter) throws {
        w.string("district", district)
        w.string("street", street)
    }
}

extension Attachment: JSONObjectDecodable, JSONObjectEncodable {
    public init(json: JSONObjectReader) throws {
        let r = json
        self.init(kind: try r.string("kind"), name: try r.string("name"), size: try r.int("size"), sha256: try r.string("sha256"))
    }

    public func write(json w: JSONObjectWriter) throws {
        w.string("kind", kind)
        w.string("name", name)
        w.string("sha256", sha256)
        w.int("size", size)
    }
}

extension CallerInfo: JSONObjectDecodable, JSONObjectEncodable {
    public init(json: JSONObjectReader) throws {
        let r = json
        self.init(name: try r.stringIfPresent("name"), phone: try r.stringIfPresent("phone"),
                  confidential: try r.bool("confidential"), noReply: try r.bool("noReply"),
                  vulnerable: try r.strings("vulnerable"))
    }

    public func write(json w: JSONObjectWriter) throws {
        w.bool("confidential", confidential)
        w.string("name", name)
        w.bool("noReply", noReply)
        w.string("phone", phone)
        w.strings("vulnerable", vulnerable)
    }
}

extension TicketDeadlines: JSONObjectDecodable, JSONObjectEncodable {
    public init(json: JSONObjectReader) throws {
        let r = json
        self.init()
        acceptBy = try r.timestampIfPresent("acceptBy")
        dispatchBy = try r.timestampIfPresent("dispatchBy")
        signBy = try r.timestampIfPresent("signBy")
        returnBy = try r.timestampIfPresent("returnBy")
        handleBy = try r.timestampIfPresent("handleBy")
        originalHandleBy = try r.timestampIfPresent("originalHandleBy")
    }

    public func write(json w: JSONObjectWriter) throws {
        w.timestamp("acceptBy", acceptBy)
        w.timestamp("dispatchBy", dispatchBy)
        w.timestamp("handleBy", handleBy)
        w.timestamp("originalHandleBy", originalHandleBy)
        w.timestamp("returnBy", returnBy)
        w.timestamp("signBy", signBy)
    }
}

extension Verdicts: JSONObjectDecodable, JSONObjectEncodable {
    public init(json: JSONObjectReader) throws {
        let r = json
        self.init()
        signedLate = try r.bool("signedLate")
        returnedLate = try r.bool("returnedLate")
        repliedLate = try r.bool("repliedLate")
        overdue = try r.bool("overdue")
    }

    public func write(json w: JSONObjectWriter) throws {
        w.bool("overdue", overdue)
        w.bool("repliedLate", repliedLate)
        w.bool("returnedLate", returnedLate)
        w.bool("signedLate", signedLate)
    }
}

extension Pause: JSONObjectDecodable, JSONObjectEncodable {
    public init(json: JSONObjectReader) throws {
        let r = json
        self.init(since: try r.timestamp("since"), reason: try r.raw("reason"), unit: try r.raw("unit"))
    }

    public func write(json w: JSONObjectWriter) throws {
        w.raw("reason", reason)
        w.timestamp("since", since)
        w.raw("unit", unit)
    }
}

extension Evaluation: JSONObjectDecodable, JSONObjectEncodable {
    public init(json: JSONObjectReader) throws {
        let r = json
        self.init(level: try r.rawIfPresent("level"), stars: try r.intIfPresent("stars"),
                  resolved: try r.boolIfPresent("resolved"), unreachable: try r.bool("unreachable"),
                  disputed: try r.bool("disputed"), unsatisfiedCount: try r.int("unsatisfiedCount"))
    }

    public func write(json w: JSONObjectWriter) throws {
        w.bool("disputed", disputed)
        w.raw("level", level)
        w.bool("resolved", resolved)
        w.int("stars", stars)
        w.bool("unreachable", unreachable)
        w.int("unsatisfiedCount", unsatisfiedCount)
    }
}

extension AssignBody: JSONObjectDecodable, JSONObjectEncodable {
    init(json: JSONObjectReader) throws {
        let r = json
        self.init(ticket: try r.object("ticket"), role: try r.string("role"))
    }

    func write(json w: JSONObjectWriter) throws {
        w.string("role", role)
        try w.object("ticket", ticket)
    }
}

extension EventBody: JSONObjectDecodable, JSONObjectEncodable {
    init(json: JSONObjectReader) throws {
        let r = json
        self.init(event: try r.object("event"))
    }

    func write(json w: JSONObjectWriter) throws { try w.object("event", event) }
}

extension EventsBody: JSONObjectDecodable, JSONObjectEncodable {
    init(json: JSONObjectReader) throws {
        let r = json
        self.init(events: try r.objects("events"))
    }

    func write(json w: JSONObjectWriter) throws { try w.objects("events", events) }
}
