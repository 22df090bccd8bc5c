import Foundation
import Testing
import HotlineCore
import HotlineStore
import HotlineWire
@testable import HotlineNode

/// Work over every ticket changed since a day (`resync`, a recall's answer, the centre's recovery) goes a slice per
/// round of the work loop, so a large record does not hold the loop, and goes on where it was after a restart.
@Suite struct SweepTests {
    /// A centre holding `count` tickets led by the water company (w) and a few of the county station's.
    func cityWith(_ count: Int) throws -> NodeFixture {
        let city = try NodeFixture(id: "c", role: .city)
        for i in 1...(count + 5) {
            let t = try city.intake(String(format: "JN-20260302-%06d", i))
            try city.perform(.dispatch(lead: i <= count ? "w" : "k", assisting: [], tier: nil), on: t.id)
        }
        return city
    }

    /// One round of the loop: a slice of each sweep in a transaction, then what is logged after the commit.
    func round(_ node: NodeFixture, service: TicketService? = nil) throws -> Bool {
        let service = service ?? node.service
        let more = try node.context.db.transaction { try service.continueSweeps(now: node.now) }
        service.runAfterCommit()
        return more
    }

    func queued(_ node: NodeFixture, on link: String, kind: String) throws -> [DataMessage] {
        try node.context.links.pending(link: link, after: 0, limit: 10_000).map { row in
            let o = row.message
            return DataMessage(id: o.id, seq: row.seq, origin: o.origin, dest: o.dest, kind: o.kind, body: o.body, at: o.at)
        }.filter { $0.kind == kind }
    }

    func resync(_ city: NodeFixture, _ node: String) throws {
        let answer = try city.context.db.transaction {
            try city.service.execute(AdminRequest(argv: ["resync", "--node", node, "--since", "2026-03-02"], user: "operator", uid: 1000),
                                 now: city.now, links: { [] })
        }
        #expect(answer.exitCode == 0, "\(answer.text)")
    }

    @Test func aResyncOfMoreTicketsThanASliceGoesOverSeveralRoundsAndSendsEachOnce() throws {
        let city = try cityWith(300)
        try resync(city, "w")
        #expect(try queued(city, on: "w", kind: "ticket.sync").isEmpty, "the command itself sends nothing: the loop's rounds do")
        var rounds = 0, sentBefore = 0
        while try round(city) {
            rounds += 1
            let sent = try queued(city, on: "w", kind: "ticket.sync").count
            #expect(sent - sentBefore <= Sweep.ticketsPerRound, "round \(rounds) sent \(sent - sentBefore)")
            sentBefore = sent
        }
        let syncs = try queued(city, on: "w", kind: "ticket.sync")
        let tickets = try syncs.map { try JSONStreamDecoder.decode(SyncBody.self, from: $0.body).ticket.id }
        #expect(tickets.count == 300 && Set(tickets).count == 300, "each of w's tickets once, none of k's")
        #expect(rounds >= 3, "300 tickets at \(Sweep.ticketsPerRound) a round")
        #expect(city.log.contains { $0.contains("event=resync-done node=w since=2026-03-02 tickets=300") })
        #expect(try city.service.sweeps().isEmpty)
        #expect(try city.context.db.meta(TicketService.resyncedKey("w")) != nil, "a forward learnt of later is still followed by a copy")
    }

    @Test func aCountyStationsResyncSendsTheRecordToTheStationAndToTheUnitBelowItThatATicketConcerns() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake()
        // Led by the water company, with a street office of the county assisting: the station only relays it.
        try city.perform(.dispatch(lead: "w", assisting: ["s1"], tier: nil), on: t.id)
        try resync(city, "k")
        while try round(city) {}
        let syncs = try queued(city, on: "k", kind: "ticket.sync")
        #expect(Set(syncs.map(\.dest)) == ["k", "s1"], "\(syncs.map(\.dest))")
        #expect(try queued(city, on: "w", kind: "ticket.sync").isEmpty, "w was not restored")
    }

    @Test func aSweepCutShortByARestartGoesOnWhereItWasAndSendsEachTicketOnce() throws {
        let city = try cityWith(300)
        try resync(city, "w")
        #expect(try round(city))
        let firstSlice = try queued(city, on: "w", kind: "ticket.sync").count
        #expect(firstSlice > 0 && firstSlice < 300)
        let under = try #require(try city.service.sweeps().first)
        #expect(under.job == .resync && under.node == "w" && under.sent == firstSlice)
        // The node stops and starts again: a new service on the same database knows only what was committed.
        let restarted = TicketService(context: city.context)
        while try round(city, service: restarted) {}
        let tickets = try queued(city, on: "w", kind: "ticket.sync").map { try JSONStreamDecoder.decode(SyncBody.self, from: $0.body).ticket.id }
        #expect(tickets.count == 300 && Set(tickets).count == 300)
        #expect(city.log.contains { $0.contains("event=resync-done node=w since=2026-03-02 tickets=300") })
    }

    @Test func aRecallIsAnsweredWithEveryCopyBeforeTheLastOneSaysDone() throws {
        let city = try cityWith(200)
        let water = try NodeFixture(id: "w", role: .unit)
        for m in try queued(city, on: "w", kind: "ticket.assign") {
            _ = try water.context.db.transaction { try water.service.handleIncoming(m, from: "c", now: water.now) }
        }
        try water.deliver(.ticketRecall, body: RecallBody(since: "2026-03-02", reason: "the centre was restored"), origin: "c", from: "c")
        #expect(try queued(water, on: "c", kind: "ticket.copy").isEmpty, "copies go from the next rounds")
        while try round(water) {}
        let copies = try queued(water, on: "c", kind: "ticket.copy").map { try JSONStreamDecoder.decode(CopyBody.self, from: $0.body) }
        #expect(copies.count == 201)
        #expect(Set(copies.dropLast().compactMap { $0.ticket?.id }).count == 200)
        let last = try #require(copies.last)
        #expect(last.done == true && last.count == 200 && last.ticket == nil, "the last copy says it is done, after all the others")
        #expect(water.log.contains { $0.contains("event=recall-answered since=2026-03-02 tickets=200 to=c") })
    }

    @Test func aTicketWhoseStoredCopyDoesNotReadIsSkippedAndTheSweepStillEnds() throws {
        let city = try cityWith(3)
        try city.context.db.run("UPDATE tickets SET doc = x'00' WHERE id = 'JN-20260302-000002'")
        let restarted = TicketService(context: city.context)  // the cache held the good copy
        let answer = try city.context.db.transaction {
            try restarted.execute(AdminRequest(argv: ["resync", "--node", "w", "--since", "2026-03-02"], user: "operator", uid: 1000),
                              now: city.now, links: { [] })
        }
        #expect(answer.exitCode == 0)
        var rounds = 0
        while try round(city, service: restarted) {
            rounds += 1
            try #require(rounds < 10, "a ticket that does not read must not fail every round")
        }
        let sent = try queued(city, on: "w", kind: "ticket.sync").map { try JSONStreamDecoder.decode(SyncBody.self, from: $0.body).ticket.id }
        #expect(sent == ["JN-20260302-000001", "JN-20260302-000003"])
        #expect(city.log.contains { $0.contains("event=sweep-ticket-skipped") && $0.contains("ticket=JN-20260302-000002") })
        #expect(city.log.contains { $0.contains("event=resync-done node=w since=2026-03-02 tickets=2") })
    }

    func rotateKey(_ city: NodeFixture) throws {
        let answer = try city.context.db.transaction {
            try city.service.execute(AdminRequest(argv: ["rotate-key"], user: "operator", uid: 1000), now: city.now, links: { [] })
        }
        #expect(answer.exitCode == 0, "\(answer.text)")
    }

    /// Whether a stored blob is sealed under `key` (the seal's prefix names its key).
    func sealed(_ blob: [UInt8], under key: String) -> Bool {
        String(decoding: blob.prefix(4 + key.utf8.count), as: UTF8.self).hasSuffix(key)
    }

    @Test func rotateKeyReencryptsTicketsThenQueuedMessagesASliceARoundAndDropsTheOldKeyOnlyAtTheEnd() throws {
        let city = try cityWith(1_100)
        let queued = try city.context.links.pendingCount(link: "w") + city.context.links.pendingCount(link: "k")
        #expect(queued > Sweep.queuedPerRound, "the queue takes more than one round too")
        let old = city.context.keyring.current
        try rotateKey(city)
        let new = city.context.keyring.current
        var rounds = 0
        while try round(city) {
            rounds += 1
            if try !city.service.sweeps().isEmpty {
                #expect(city.context.keyring.keyCount == 2, "round \(rounds): the old key is kept while anything may be sealed under it")
            }
        }
        #expect(rounds >= 1_105 / Sweep.ticketsPerRound + 2)
        #expect(city.context.keyring.keyCount == 1 && new != old)
        #expect(city.log.contains { $0.contains("event=data-key-rotated key=\(new) documents=") && $0.contains("queued=\(queued)") })
        let blobs = try city.context.db.query("SELECT doc FROM tickets UNION ALL SELECT doc FROM events UNION ALL SELECT body FROM outbox")
            .compactMap { $0.blob(0) }
        #expect(blobs.count > 2 * 1_105 && blobs.allSatisfy { sealed($0, under: new) })
        // Everything reads under the new key alone, from a fresh start.
        #expect(try DataKeyring.open(dir: city.context.dir).keyCount == 1)
        #expect(try TicketService(context: city.context).repository.load("JN-20260302-000001")?.caller.name == "张三")
    }

    @Test func aDocumentThatCannotBeReencryptedKeepsTheOldKeyInTheKeyFile() throws {
        let city = try cityWith(3)
        // Sealed, but its last bytes (the seal's tag) damaged: it does not open under any key.
        try city.context.db.run("UPDATE tickets SET doc = substr(doc, 1, length(doc) - 16) || zeroblob(16) WHERE id = 'JN-20260302-000002'")
        try rotateKey(city)
        while try round(city) {}
        #expect(city.context.keyring.keyCount == 2)
        #expect(city.log.contains { $0.contains("event=data-key-rotation-incomplete") && $0.contains("skipped=1") })
        #expect(!city.log.contains { $0.contains("event=data-key-rotated") })
    }

    @Test func aSmallRecordIsDoneInTheRoundThatStartedItBeforeTheOperatorIsAnswered() throws {
        let city = try cityWith(3)
        let daemon = try NodeDaemon(context: city.context)
        let old = city.context.keyring.current
        let keysWhenAnswered = NodeFixture.Sink()
        _ = daemon.drain([.admin(AdminRequest(argv: ["rotate-key"], user: "operator", uid: 1000), reply: { [keyring = city.context.keyring] _ in
            keysWhenAnswered.append("\(keyring.keyCount)")
        })])
        #expect(keysWhenAnswered.all == ["1"], "the old key was gone by the time the command answered")
        #expect(city.context.keyring.current != old)
        #expect(try daemon.service.sweeps().isEmpty)
        _ = daemon.drain([.admin(AdminRequest(argv: ["resync", "--node", "w", "--since", "2026-03-02"], user: "operator", uid: 1000), reply: { _ in })])
        #expect(try queued(city, on: "w", kind: "ticket.sync").count == 3, "sent in the command's own round")
        #expect(city.log.contains { $0.contains("event=resync-done node=w since=2026-03-02 tickets=3") })
    }

    @Test func aNodeWithNoSweepDoesNotLookForOneEveryRound() throws {
        let city = try NodeFixture(id: "c", role: .city)
        #expect(try round(city) == false)
        #expect(city.service.sweepsMayRun == false)
        try resync(city, "w")
        #expect(city.service.sweepsMayRun, "a sweep started: the next rounds look again")
        #expect(try round(city), "an empty record still takes a round to say so")
        #expect(try round(city) == false)
        #expect(city.log.contains { $0.contains("event=resync-done node=w since=2026-03-02 tickets=0") })
    }
}
