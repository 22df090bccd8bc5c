import HotlineCore
import HotlineWire

// Tickets and events read and written by hand (`JSONObjectDecodable` / `JSONObjectEncodable`): every node reads
// and writes them for every message and every stored document, and through the `Codable` containers that was a
// third of a unit's CPU in a durable hop. Members are written in the order of their names' UTF-8 bytes, the order
// wire bodies must have (protocols/README §8), so sorting a body's objects finds them sorted (the sort was a third
// of writing one); stored documents have the same order. They are read in declaration order. `TicketJSONTests`
// holds them to the synthesised `Codable` code: the same sorted bytes, the same values, the same refusals.

// The generic helpers live here, beside their callers, so that the compiler specialises them for each type (a
// generic in HotlineWire called from here would run unspecialised, through witness tables and metadata lookups).
extension JSONObjectReader {
    func raw<E: RawRepresentable>(_ name: StaticString, as type: E.Type = E.self) throws -> E where E.RawValue == String {
        try value(name, string(name))
    }

    func rawIfPresent<E: RawRepresentable>(_ name: StaticString, as type: E.Type = E.self) throws -> E?
        where E.RawValue == String {
        guard let text = try stringIfPresent(name) else { return nil }
        return try value(name, text)
    }

    /// As the synthesised `init(from:)` of a `String` enumeration: a string naming no case is `dataCorrupted`.
    private func value<E: RawRepresentable>(_ name: StaticString, _ text: String) throws -> E where E.RawValue == String {
        guard let v = E(rawValue: text) else { throw invalid(name, "Cannot initialize \(E.self) from invalid String value \(text)") }
        return v
    }

    func object<T: JSONObjectDecodable>(_ name: StaticString, as type: T.Type = T.self) throws -> T {
        try T(json: nested(name))
    }

    func objectIfPresent<T: JSONObjectDecodable>(_ name: StaticString, as type: T.Type = T.self) throws -> T? {
        try nestedIfPresent(name).map { try T(json: $0) }
    }

    func objects<T: JSONObjectDecodable>(_ name: StaticString, as type: T.Type = T.self) throws -> [T] {
        try elements(name).map { try T(json: $0) }
    }

    func objectsIfPresent<T: JSONObjectDecodable>(_ name: StaticString, as type: T.Type = T.self) throws -> [T]? {
        try elementsIfPresent(name).map { try $0.map { try T(json: $0) } }
    }

    /// As `Timestamp.init(from:)`: an ISO 8601 string, else milliseconds as a number.
    func timestamp(_ name: StaticString) throws -> Timestamp {
        if let ms = number(fromText: name, { Timestamp(iso8601UTF8: $0)?.millis }) { return Timestamp(millis: ms) }
        let millis = try int64(name)
        guard let t = Timestamp(readableMillis: millis) else { throw invalid(name, Timestamp.unreadable(millis)) }
        return t
    }

    func timestampIfPresent(_ name: StaticString) throws -> Timestamp? {
        isPresent(name) ? try timestamp(name) : nil
    }
}

extension JSONObjectWriter {
    func raw<E: RawRepresentable>(_ name: String, _ v: E) where E.RawValue == String { string(name, v.rawValue) }
    func raw<E: RawRepresentable>(_ name: String, _ v: E?) where E.RawValue == String { if let v { string(name, v.rawValue) } }

    func object<T: JSONObjectEncodable>(_ name: String, _ v: T) throws {
        let w = nested(name)
        try v.write(json: w)
        w.end()
    }

    func object<T: JSONObjectEncodable>(_ name: String, _ v: T?) throws { if let v { try object(name, v) } }

    func objects<T: JSONObjectEncodable>(_ name: String, _ v: [T]) throws {
        try objects(name, count: v.count) { i, w in try v[i].write(json: w) }
    }

    func objects<T: JSONObjectEncodable>(_ name: String, _ v: [T]?) throws { if let v { try objects(name, v) } }

    func timestamp(_ name: String, _ t: Timestamp) { unescapedString(name) { t.appendISO8601(to: &$0) } }
    func timestamp(_ name: String, _ t: Timestamp?) { if let t { timestamp(name, t) } }
}

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
    public init(json: JSONObjectReader) throws {
        let r = json
        self.init(id: try r.string("id"), ticket: try r.string("ticket"), type: try r.raw("type"),
                  at: try r.timestamp("at"), node: try r.string("node"), role: try r.raw("role"))
        profile = try r.stringIfPresent("profile")
        channel = try r.stringIfPresent("channel")
        kind = try r.stringIfPresent("kind")
        topic = try r.stringIfPresent("topic")
        area = try r.objectIfPresent("area")
        address = try r.stringIfPresent("address")
        text = try r.stringIfPresent("text")
        attachments = try r.objectsIfPresent("attachments")
        caller = try r.objectIfPresent("caller")
        subject = try r.stringIfPresent("subject")
        acceptBy = try r.timestampIfPresent("acceptBy")
        dispatchBy = try r.timestampIfPresent("dispatchBy")
        to = try r.stringIfPresent("to")
        assisting = try r.stringsIfPresent("assisting")
        tier = try r.stringIfPresent("tier")
        signBy = try r.timestampIfPresent("signBy")
        returnBy = try r.timestampIfPresent("returnBy")
        handleBy = try r.timestampIfPresent("handleBy")
        handlingUnit = try r.rawIfPresent("handlingUnit")
        reason = try r.stringIfPresent("reason")
        basis = try r.stringIfPresent("basis")
        kbEntry = try r.stringIfPresent("kbEntry")
        note = try r.stringIfPresent("note")
        onTime = try r.boolIfPresent("onTime")
        countsAsOverdue = try r.boolIfPresent("countsAsOverdue")
        period = try r.decodeIfPresent("period")
        leaderSignOff = try r.boolIfPresent("leaderSignOff")
        extensionNumber = try r.intIfPresent("extensionNumber")
        callerContacted = try r.boolIfPresent("callerContacted")
        level = try r.rawIfPresent("level")
        stars = try r.intIfPresent("stars")
        resolved = try r.boolIfPresent("resolved")
        unreachable = try r.boolIfPresent("unreachable")
        lawfulAnswer = try r.boolIfPresent("lawfulAnswer")
        sentBack = try r.boolIfPresent("sentBack")
        supervisionLevel = try r.rawIfPresent("supervisionLevel")
        form = try r.stringIfPresent("form")
        granted = try r.boolIfPresent("granted")
        evidence = try r.stringIfPresent("evidence")
        pauses = try r.rawIfPresent("pauses")
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
