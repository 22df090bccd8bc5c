import Foundation
import Testing
import HotlineCore
import HotlineNet
import HotlineStore
@testable import HotlineNode

/// The city's early-warning scan reads plain columns (migration 16) instead of decoding a month of documents on the
/// work loop; the caller is there only as a keyed hash. The warnings must be exactly those computed from documents.
struct AlertColumnsTests {
    let helper = FigureColumnsTests()
    let start = Timestamp(iso8601: "2026-03-02T09:00:00+08:00")!

    func intake(_ id: String, phone: String?, topic: String = "噪声扰民", street: String = "解放路街道") -> Command {
        .receive(TicketIntake(id: id, channel: "phone", kind: "complain", topic: topic, area: Area(district: "历下区", street: street),
                              text: "夜间施工噪音", caller: CallerInfo(name: "张三", phone: phone)))
    }

    /// Six callers on one place and topic (a cluster), one of them twice (a repeat caller) with the second call
    /// dispatched and not signed for (a sign-for clock), one signed for (a handling clock), one suspended (no clock),
    /// one answered on the spot, one without a phone, one elsewhere on another topic; the rest wait at the centre (a
    /// decision clock).
    func stored(_ city: NodeFixture) throws -> [Ticket] {
        let c = Actor(node: "c", role: .city), w = Actor(node: "w", role: .unit)
        var out: [Ticket] = []
        for i in 1...6 {
            let id = "BD-20260302-00000\(i)"
            var steps: [(Command, Actor, Int64)] = [(intake(id, phone: "1381234567\(i)"), c, Int64(i))]
            if i == 2 { steps += [(.dispatch(lead: "w", assisting: [], tier: "3wd"), c, 10), (.sign, w, 20)] }
            if i == 3 { steps += [(.dispatch(lead: "w", assisting: [], tier: "3wd"), c, 10), (.sign, w, 20), (.suspend(reason: "待司法鉴定"), c, 30)] }
            if i == 6 { steps += [(.answer(note: "已告知施工许可时段", kbEntry: nil), c, 8)] }
            out.append(try helper.store(id, steps, in: city))
        }
        out.append(try helper.store("BD-20260302-000007", [(intake("BD-20260302-000007", phone: "13812345671"), c, 40),
                                                          (.dispatch(lead: "w", assisting: [], tier: "3wd"), c, 50)], in: city))
        out.append(try helper.store("BD-20260302-000008", [(intake("BD-20260302-000008", phone: nil), c, 60)], in: city))
        out.append(try helper.store("BD-20260302-000009", [(intake("BD-20260302-000009", phone: "13900000000", topic: "供水",
                                                                   street: "泉城路街道"), c, 70)], in: city))
        return out
    }

    func expected(_ tickets: [Ticket], _ city: NodeFixture) throws -> [AlertTicket] {
        try tickets.map { AlertTicket($0, callerKey: try city.context.keyring.callerTagger.tag($0.caller.phone), rules: city.service.rules) }
            .sorted { $0.id < $1.id }
    }

    @Test func alertColumnsHoldWhatTheDocumentsSay() throws {
        let city = try NodeFixture(id: "c", role: .city, extra: ["--profile", "baoding-2022"])
        let tickets = try stored(city)
        let columns = try city.service.repository.alertTickets(since: Timestamp(millis: 0), rules: city.service.rules).sorted { $0.id < $1.id }
        #expect(columns == (try expected(tickets, city)))
        // The fixture is not trivial: a repeat caller, no phone, each clock state.
        #expect(columns[0].callerKey != nil && columns[0].callerKey == columns[6].callerKey && columns[0].callerKey != columns[1].callerKey)
        #expect(columns[7].callerKey == nil)
        #expect(columns[1].clock.dispatchedAt != nil && columns[2].clock.paused && columns[6].clock.signBy != nil)
        #expect(columns[0].clock.decideBy != nil && columns[1].clock.decideBy == nil && columns[5].clock.decideBy == nil)
        // Only what a scan needs: an old answered ticket is left out; one a unit handles, or the centre has still to
        // decide on, is in whatever its age.
        let later = try city.service.repository.alertTickets(since: start.adding(millis: 45 * 60_000), rules: city.service.rules).map(\.id).sorted()
        #expect(later == ["BD-20260302-000001", "BD-20260302-000002", "BD-20260302-000003", "BD-20260302-000004",
                          "BD-20260302-000005", "BD-20260302-000007", "BD-20260302-000008", "BD-20260302-000009"])
    }

    @Test func warningsFromColumnsAreTheWarningsFromDocuments() throws {
        let city = try NodeFixture(id: "c", role: .city, extra: ["--profile", "baoding-2022"])
        let tickets = try stored(city)
        let profile = city.context.profile
        let columns = try city.service.repository.alertTickets(since: Timestamp(millis: 0), rules: city.service.rules)
        let signBy = try #require(tickets[6].deadlines.signBy)
        let dispatched = start.adding(millis: 50 * 60_000)
        // Past half the sign-for clock of the repeat call, within a day of the cluster.
        let now = Timestamp(millis: dispatched.millis + (signBy.millis - dispatched.millis) * 6 / 10)
        let byKey = { (a: [Alert]) in a.sorted { $0.key < $1.key } }
        let fromDocuments = byKey(Alerts.compute(tickets: tickets, now: now, rules: city.service.rules))
        #expect(byKey(Alerts.compute(columns, now: now, profile: profile)) == fromDocuments)
        let kinds = Set(fromDocuments.map(\.kind))
        #expect(kinds.isSuperset(of: [.cluster, .repeatCaller, .nearOverdue, .notDispatched]), "\(fromDocuments.map(\.key))")
        #expect(!fromDocuments.contains { $0.tickets.contains("BD-20260302-000003") && $0.kind == .nearOverdue })
    }

    @Test func noCallerPhoneIsStoredInPlainTextForTheWarnings() throws {
        let city = try NodeFixture(id: "c", role: .city, extra: ["--profile", "baoding-2022"])
        _ = try stored(city)
        let keys = try city.context.db.query("SELECT caller_key FROM tickets WHERE caller_key IS NOT NULL").compactMap { $0.string(0) }
        #expect(keys.count == 8 && keys.allSatisfy { $0.count == 32 && !$0.contains("1381234567") })
        // Nowhere in the database files either (documents are sealed; the key is a keyed hash).
        let path = city.context.dir.appendingPathComponent("node.db").path
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        if let wal = try? Data(contentsOf: URL(fileURLWithPath: path + "-wal")) { bytes += Array(wal) }
        let phone = Array("13812345671".utf8)
        #expect(bytes.count > 10_000)
        #expect(!(0...(bytes.count - phone.count)).contains { bytes[$0..<($0 + phone.count)].elementsEqual(phone) })
    }

    @Test func olderDatabasesAreFilledOnceAndRefilledWhenTheCallerTagKeyChanges() throws {
        let city = try NodeFixture(id: "c", role: .city, extra: ["--profile", "baoding-2022"])
        let tickets = try stored(city)
        let repository = city.service.repository
        // Created with the columns (tickets stored before the first start, like the bench's million): nothing to fill.
        #expect(try city.context.db.meta("alerts.columns-key") == "fresh")
        #expect(try repository.fillAlertColumns() == nil)
        #expect(try city.context.db.meta("alerts.columns-key") == (try city.context.keyring.callerTagger.id()))
        #expect(try repository.fillAlertColumns() == nil)
        // A database from before migration 16: empty columns, no marker.
        try city.context.db.run("UPDATE tickets SET district = '', street = '', caller_key = NULL, dispatched_at = NULL, sign_by = NULL, paused = 0")
        try city.context.db.run("DELETE FROM meta WHERE key = 'alerts.columns-key'")
        #expect(try repository.fillAlertColumns() == 9)
        #expect(try repository.alertTickets(since: Timestamp(millis: 0), rules: city.service.rules).sorted { $0.id < $1.id } == (try expected(tickets, city)))
        // A new caller-tag key re-keys every ticket.
        let newKey = try CallerTagger(key: try AESGCM.random(AESGCM.keyBytes))
        let other = TicketRepository(db: city.context.db, sealer: city.context.keyring, callerTagger: newKey)
        #expect(try other.fillAlertColumns() == 9)
        let rekeyed = try other.alertTickets(since: Timestamp(millis: 0), rules: city.service.rules).sorted { $0.id < $1.id }
        #expect(rekeyed.map(\.callerKey) == (try tickets.sorted { $0.id < $1.id }.map { try newKey.tag($0.caller.phone) }))
        #expect(rekeyed[0].callerKey != (try expected(tickets, city))[0].callerKey)
    }

    @Test func alertListingLinesComeFromColumnsInTheOrderAsked() throws {
        let city = try NodeFixture(id: "c", role: .city, extra: ["--profile", "baoding-2022"])
        let tickets = try stored(city).reversed()
        // More ids than one statement takes (500), with ids this node does not hold among them.
        let asked = tickets.map(\.id) + (0..<1200).map { "BD-20260302-9\(String(format: "%05d", $0))" } + [tickets.first!.id]
        let lines = try city.service.repository.lines(asked)
        let expected = (Array(tickets) + [tickets.first!]).map {
            TicketRepository.Line(id: $0.id, status: $0.status, holder: $0.holder, topic: $0.topic, area: TicketPresenter.areaText($0.area))
        }
        #expect(lines == expected)
        #expect(Set(lines.map(\.status)).count >= 3)
    }

    @Test func aKeyFileWithoutACallerTagKeyGetsOneThatStays() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ring-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ring = try DataKeyring.open(dir: dir)
        let file = DataKeyring.path(in: dir)
        // Written by an older version: no callerTag.
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any] ?? [:]
        #expect(json["callerTag"] != nil)
        json["callerTag"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        let upgraded = try DataKeyring.open(dir: dir)
        #expect(try upgraded.callerTagger.id() != (try ring.callerTagger.id()))
        let again = try DataKeyring.open(dir: dir)
        #expect(try again.callerTagger.id() == (try upgraded.callerTagger.id()))
        // Rotating the data key keeps it.
        try again.addKey()
        try again.save()
        again.dropOldKeys()
        try again.save()
        #expect(try DataKeyring.open(dir: dir).callerTagger.id() == (try upgraded.callerTagger.id()))
        #expect(try DataKeyring.open(dir: dir).callerTagger.tag("13812345678") == (try upgraded.callerTagger.tag("13812345678")))
    }

    /// Only the centre computes early warnings, so only it turns callers' phones into caller keys: at a county
    /// station or a unit a key would link one caller's tickets for nothing (and cost each ticket stored there a keyed
    /// hash). The keys an earlier build wrote at a unit are emptied once, at its next start.
    @Test func onlyTheCentreKeepsCallerKeys() throws {
        func callerKey(_ node: NodeFixture, _ id: String) throws -> String? {
            try node.context.db.query("SELECT caller_key FROM tickets WHERE id = ?", [.text(id)]).first?.string(0)
        }
        let (city, ticket) = try DataAtRestTests().assigned(to: "s1")
        #expect(try callerKey(city, ticket.id) == (try city.context.keyring.callerTagger.tag(ticket.caller.phone)))
        #expect(try callerKey(city, ticket.id) != nil)
        let unit = try NodeFixture(id: "s1", role: .unit)
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: ticket, for: "s1"), role: "lead"),
                         origin: "c", from: "k")
        #expect(try unit.ticket(ticket.id).caller.phone == ticket.caller.phone, "the unit has the caller's phone")
        #expect(try callerKey(unit, ticket.id) == nil, "and no key of it")
        let county = try NodeFixture(id: "k", role: .county)
        let (_, toCounty) = try DataAtRestTests().assigned(to: "k")
        try county.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: toCounty, for: "k"), role: "lead"),
                           origin: "c", from: "c")
        #expect(try county.ticket(toCounty.id).status == .dispatched)
        #expect(try callerKey(county, toCounty.id) == nil)

        // A unit whose database an earlier build wrote, keys and all.
        try unit.context.db.run("UPDATE tickets SET caller_key = ?", [.text(try unit.context.keyring.callerTagger.tag(ticket.caller.phone) ?? "")])
        try unit.context.db.setMeta("alerts.columns-key", try unit.context.keyring.callerTagger.id())
        #expect(try unit.service.repository.fillAlertColumns() == 1)
        #expect(try callerKey(unit, ticket.id) == nil)
        #expect(try unit.service.repository.fillAlertColumns() == nil, "once")
    }
}

@Test func theAlertsCommandsHelpNamesEveryKindOfWarning() {
    let kindOption = ReportCommands.alerts.spec.options.first { $0.name == "--kind" }
    for kind in AlertKind.allCases {
        #expect(kindOption?.help.contains(kind.rawValue) == true, "alerts --kind does not name \(kind.rawValue)")
    }
}
