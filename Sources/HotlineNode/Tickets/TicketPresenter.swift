import Foundation
import HotlineCore
import HotlineWire

/// How tickets look to operators: JSON objects for scripts (`--json`) and lines and tables for people.
/// The JSON fields `id`, `status`, `holder`, `deadline` and `events` (each with `type`, `at`, `node`) are a
/// contract (issue 4); more fields may be added, none renamed.
enum TicketPresenter {
    static func summary(_ t: Ticket, now: Timestamp) -> [String: Any] {
        var o: [String: Any] = [
            "id": t.id, "status": t.status.rawValue, "holder": t.holder, "channel": t.channel, "kind": t.kind,
            "topic": t.topic, "area": areaText(t.area), "received": t.receivedAt.iso8601,
            "overdue": isOverdue(t, now: now), "assisting": t.assisting, "extensions": t.extensions,
            "supervisions": t.supervisions,
        ]
        o["deadline"] = t.deadlines.handleBy?.iso8601 ?? NSNull()
        o["signBy"] = t.deadlines.signBy?.iso8601 ?? NSNull()
        o["lead"] = t.lead ?? NSNull()
        o["pending"] = t.pending?.rawValue ?? NSNull()
        o["subject"] = t.subject ?? NSNull()
        o["closed"] = t.closedAt?.iso8601 ?? NSNull()
        if let e = t.evaluation {
            o["satisfaction"] = e.level?.rawValue ?? NSNull()
            o["stars"] = e.stars ?? NSNull()
        }
        return o
    }

    /// `summary` written straight to JSON: the bytes `JSONValueWriter` writes for it (members sorted, the same
    /// escapes, `null` for what the ticket lacks; `TicketPresenterTests`), without the dictionary. Every command that
    /// changes a ticket answers with it; the dictionary and its writing were ~70,000 instructions an answer.
    static func summaryJSON(_ t: Ticket, now: Timestamp) -> [UInt8] {
        JSONStreamEncoder.object(sortedKeys: true) { w in
            func string(_ name: StaticString, _ v: String?) { if let v { w.string(name, v) } else { w.null(name) } }
            func time(_ name: StaticString, _ v: Timestamp?) { if let v { w.timestamp(name, v) } else { w.null(name) } }
            w.string("area", areaText(t.area))
            w.strings("assisting", t.assisting)
            w.string("channel", t.channel)
            time("closed", t.closedAt)
            time("deadline", t.deadlines.handleBy)
            w.int("extensions", t.extensions)
            w.string("holder", t.holder)
            w.string("id", t.id)
            w.string("kind", t.kind)
            string("lead", t.lead)
            w.bool("overdue", isOverdue(t, now: now))
            string("pending", t.pending?.rawValue)
            w.timestamp("received", t.receivedAt)
            if let e = t.evaluation { string("satisfaction", e.level?.rawValue) }
            time("signBy", t.deadlines.signBy)
            if let e = t.evaluation { if let stars = e.stars { w.int("stars", stars) } else { w.null("stars") } }
            w.string("status", t.status.rawValue)
            string("subject", t.subject)
            w.int("supervisions", t.supervisions)
            w.string("topic", t.topic)
        }
    }

    static func detail(_ t: Ticket, now: Timestamp) -> [String: Any] {
        var o = summary(t, now: now)
        o["text"] = t.text
        o["address"] = t.address
        o["caller"] = ["name": t.caller.name ?? NSNull(), "phone": t.caller.phone ?? NSNull(),
                       "confidential": t.caller.confidential, "noReply": t.caller.noReply,
                       "vulnerable": t.caller.vulnerable] as [String: Any]
        o["events"] = t.events.map(event)
        return o
    }

    /// An event as flat JSON: its own encoding (every field it carries), which always has type, at and node.
    static func event(_ e: TicketEvent) -> Any {
        guard let bytes = try? TicketService.encode(e),
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            return ["type": e.type.rawValue, "at": e.at.iso8601, "node": e.node]
        }
        return object
    }

    static func isOverdue(_ t: Ticket, now: Timestamp) -> Bool {
        if t.verdicts.overdue { return true }
        guard !t.status.isFinished, t.status != .replied, t.status != .reviewed, t.pause == nil,
              let due = t.deadlines.handleBy else { return false }
        return now > due
    }

    static func areaText(_ a: Area) -> String { a.street.isEmpty ? a.district : "\(a.district)/\(a.street)" }

    static func nodeLabel(_ id: String, _ topology: Topology) -> String {
        topology.node(id).map { "\($0.name) \(id)" } ?? id
    }

    static func table(_ tickets: [Ticket], now: Timestamp, topology: Topology) -> String {
        if tickets.isEmpty { return "(no tickets)" }
        let rows = tickets.map { t -> [String] in
            [t.id, t.status.rawValue + (t.pending.map { "/\($0.rawValue)?" } ?? ""), topology.node(t.holder)?.name ?? t.holder,
             t.topic, areaText(t.area), t.deadlines.handleBy.map { shortTime($0) } ?? "-",
             isOverdue(t, now: now) ? "超期" : ""]
        }
        return Table.render(header: ["工单 ticket", "状态 status", "承办 holder", "类别 topic", "区域 area", "时限 deadline", ""],
                            rows: rows) + "\n\(tickets.count) ticket(s)"
    }

    static func detailText(_ t: Ticket, now: Timestamp, topology: Topology) -> String {
        var lines = [
            "\(t.id)  \(t.status.rawValue)\(t.pending.map { " (\($0.rawValue) requested)" } ?? "")\(isOverdue(t, now: now) ? "  超期 OVERDUE" : "")",
            "渠道 channel: \(t.channel)   类型 kind: \(t.kind)   类别 topic: \(t.topic)   区域 area: \(areaText(t.area))",
            "承办 holder: \(nodeLabel(t.holder, topology))\(t.assisting.isEmpty ? "" : "   协办 assisting: \(t.assisting.joined(separator: ", "))")",
            "时限 deadlines: sign by \(t.deadlines.signBy.map(shortTime) ?? "-"), handle by \(t.deadlines.handleBy.map(shortTime) ?? "-")\(t.extensions > 0 ? " (\(t.extensions) extension(s))" : "")",
            "诉求 text: \(t.text)",
        ]
        if t.caller.name != nil || t.caller.phone != nil {
            lines.append("诉求人 caller: \(t.caller.name ?? "-") \(t.caller.phone ?? "")\(t.caller.confidential ? " (confidential 保密)" : "")\(t.caller.noReply ? " (no reply wanted)" : "")")
        }
        lines.append("history:")
        for e in t.events {
            var extra: [String] = []
            if let to = e.to { extra.append("to=\(to)") }
            if let onTime = e.onTime { extra.append(onTime ? "on time" : "LATE") }
            if let level = e.level { extra.append(level.rawValue) }
            if let stars = e.stars { extra.append("\(stars)★") }
            if let text = e.reason ?? e.note ?? e.text { extra.append(text) }
            lines.append("  \(shortTime(e.at))  \(e.type.rawValue.padding(toLength: 19, withPad: " ", startingAt: 0)) \(e.node)  \(extra.joined(separator: " · "))")
        }
        return lines.joined(separator: "\n")
    }

    static func shortTime(_ t: Timestamp) -> String {
        let s = t.iso8601
        return String(s.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }
}
