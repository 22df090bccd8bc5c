import Foundation
import Testing
import HotlineCore
import HotlineProfiles
import HotlineStore
@testable import HotlineNode

/// Issue 5, points 4 and 5: personal data is sealed at rest at every node, keys rotate, and counties and units
/// erase it after the retention period.
struct DataAtRestTests {
    static let name = "张三丰"
    static let phone = "13812345678"

    /// The whole database as the `sqlite3` tool dumps it (main file and WAL).
    func dump(_ f: NodeFixture) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sqlite3", f.context.dir.appendingPathComponent("node.db").path, ".dump"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "sqlite3 must be installed (.ci/run installs it)")
        return String(decoding: data, as: UTF8.self)
    }

    func assigned(to unit: String, confidential: Bool = false) throws -> (NodeFixture, Ticket) {
        let city = try NodeFixture(id: "c", role: .city)
        _ = try city.perform(.receive(TicketIntake(id: "JN-20260302-000001", channel: "phone", kind: "complain", topic: "噪声扰民",
                                                   area: Area(district: "历下区", street: "解放路街道"), address: "解放路1号",
                                                   text: "夜间施工噪音", caller: CallerInfo(name: Self.name, phone: Self.phone,
                                                                                     confidential: confidential))), on: nil)
        let t = try city.perform(.dispatch(lead: unit, assisting: [], tier: nil), on: "JN-20260302-000001")
        return (city, t)
    }

    @Test func neitherTheCityNorAUnitDatabaseHoldsACallerInClear() throws {
        let (city, ticket) = try assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit)
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: ticket, for: "s1"), role: "lead"),
                         origin: "c", from: "k")
        // The unit has the caller (not confidential, a reply is wanted): readable through the node…
        #expect(try unit.ticket(ticket.id).caller.phone == Self.phone)
        // …but not in the file. The city's outbox (the assignment on its way) is sealed too.
        for node in [city, unit] {
            let text = try dump(node)
            #expect(text.contains("CREATE TABLE tickets"))
            #expect(!text.contains(Self.phone) && !text.contains(Self.name) && !text.contains("解放路1号"))
            #expect(!text.contains(Self.phone.utf8.map { String(format: "%02x", $0) }.joined()), "not even as a hex blob")
        }
        #expect(try city.context.links.pendingCount(link: "k") == 1)
    }

    @Test func rotateKeyReencryptsEverythingAndDropsTheOldKeyAfterCommit() throws {
        let (city, ticket) = try assigned(to: "s1")
        let oldKey = city.context.keyring.current
        let response = try city.context.db.transaction {
            try city.service.execute(AdminRequest(argv: ["rotate-key"], user: "tester", uid: 0), now: city.now, links: { [] })
        }
        #expect(response.exitCode == 0, "\(response.text)")
        city.service.runAfterCommit()
        // Until the loop's rounds have re-encrypted everything, both keys are in the ring and everything reads.
        #expect(city.context.keyring.current != oldKey && city.context.keyring.keyCount == 2)
        #expect(try city.ticket(ticket.id).caller.name == Self.name)
        while try city.context.db.transaction({ try city.service.continueSweeps(now: city.now) }) {
            city.service.runAfterCommit()
        }
        #expect(city.log.contains { $0.contains("event=data-key-rotated") && $0.contains("queued=1") })
        #expect(city.context.keyring.current != oldKey && city.context.keyring.keyCount == 1)
        let file = try String(contentsOf: DataKeyring.path(in: city.context.dir), encoding: .utf8)
        #expect(!file.contains(oldKey) && file.contains(city.context.keyring.current))
        // Everything still reads under the new key alone, from a fresh start.
        let reopened = try DataKeyring.open(dir: city.context.dir)
        #expect(reopened.keyCount == 1)
        #expect(try city.ticket(ticket.id).caller.name == Self.name)
        #expect(try city.context.links.pending(link: "k", after: 0, limit: 10).count == 1)
        let blobs = try city.context.db.query("SELECT doc FROM tickets").compactMap { $0.blob(0) }
        #expect(blobs.allSatisfy { String(decoding: $0.prefix(4 + oldKey.utf8.count), as: UTF8.self).hasSuffix(city.context.keyring.current) })
    }

    @Test func aKeyFileOthersCanReadIsRefused() throws {
        let (city, _) = try assigned(to: "s1")
        let path = DataKeyring.path(in: city.context.dir).path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: KeyError.self) { try DataKeyring.open(dir: city.context.dir) }
    }

    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) & 0o777
    }

    @Test func initGivesTheDatabaseToTheNodesAccountAloneAndTheDirectoryToItsGroup() throws {
        let (city, _) = try assigned(to: "s1")
        let db = city.context.dir.appendingPathComponent("node.db").path
        // The write-ahead log and shared memory exist once the node has written, and take the database's mode.
        for file in [db, db + "-wal", db + "-shm"] {
            #expect(try mode(file) == 0o600, "\(file)")
        }
        #expect(try mode(city.context.dir.path) == 0o750)
    }

    @Test func aDatabaseOthersCouldReadIsMadePrivateAtStartAndSaidSo() throws {
        let (city, _) = try assigned(to: "s1")
        let dir = city.context.dir
        let db = dir.appendingPathComponent("node.db").path
        // As a node initialised before this rule has it: SQLite's default 0644, the directory 0755.
        for file in [db, db + "-wal", db + "-shm"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        let first = NodeFixture.Sink()
        let restarted = try NodeContext(dir: dir, log: Log(node: "c", sink: { first.append($0) }))
        for file in [db, db + "-wal", db + "-shm"] {
            #expect(try mode(file) == 0o600, "\(file)")
        }
        #expect(try mode(dir.path) == 0o750)
        let said = try #require(first.all.first { $0.contains("made-private") })
        #expect(said.contains("node.db") && said.contains("node.db-wal"))
        // What the node holds is untouched: the ticket reads back.
        #expect(try TicketService(context: restarted).repository.load("JN-20260302-000001")?.caller.phone == Self.phone)
        // Already private: nothing to say at the next start.
        let second = NodeFixture.Sink()
        _ = try NodeContext(dir: dir, log: Log(node: "c", sink: { second.append($0) }))
        #expect(!second.all.isEmpty && !second.all.contains { $0.contains("made-private") })
    }

    @Test func aSealedDocumentMovedToAnotherTicketDoesNotOpen() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ring-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let ring = try DataKeyring.open(dir: dir)
        let blob = try ring.seal(Array("13812345678".utf8), label: "ticket:A")
        #expect(try ring.open(blob, label: "ticket:A") == Array("13812345678".utf8))
        #expect(throws: KeyError.self) { try ring.open(blob, label: "ticket:B") }
        var tampered = blob
        tampered[tampered.count - 1] ^= 1
        #expect(throws: KeyError.self) { try ring.open(tampered, label: "ticket:A") }
    }

    @Test func aUnitErasesTheCallerOfAClosedTicketAfterTheRetentionPeriod() throws {
        let (_, ticket) = try assigned(to: "s1")
        let unit = try NodeFixture(id: "s1", role: .unit, extra: ["--retention-days", "30"])
        // The ticket as the unit finally holds it: closed by the city.
        var closed = Privacy.view(of: ticket, for: "s1")
        closed.status = .closed
        closed.closedAt = unit.now
        try unit.context.db.transaction { try unit.service.repository.replace(closed) }
        #expect(try unit.ticket(ticket.id).caller.phone == Self.phone)

        try unit.context.clock.set(unit.now.adding(hours: 24 * 29))
        try unit.round { try unit.service.runTimers(now: unit.now) }
        #expect(try unit.ticket(ticket.id).caller.phone == Self.phone, "kept within the retention period")

        try unit.context.clock.set(unit.now.adding(hours: 48))
        // A round that fails to commit erases nothing and says nothing.
        struct PowerCut: Error {}
        #expect(throws: PowerCut.self) {
            try unit.round { try unit.service.runTimers(now: unit.now); throw PowerCut() }
        }
        #expect(try unit.ticket(ticket.id).caller.phone == Self.phone)
        #expect(!unit.log.contains { $0.contains("event=personal-data-erased") })

        // The sweep runs once a minute.
        try unit.context.clock.set(unit.now.adding(millis: 60_000))

        try unit.round { try unit.service.runTimers(now: unit.now) }
        let erased = try unit.ticket(ticket.id)
        #expect(erased.caller.name == nil && erased.caller.phone == nil && erased.address.isEmpty)
        #expect(erased.events.allSatisfy { $0.caller?.phone == nil && $0.caller?.name == nil })
        #expect(erased.status == .closed && erased.text == ticket.text)
        #expect(unit.log.contains { $0.contains("event=personal-data-erased") })
    }

    @Test func theCityKeepsTheArchive() throws {
        let (city, ticket) = try assigned(to: "s1")
        try city.context.clock.set(city.now.adding(hours: 24 * 400))
        try city.context.db.transaction { try city.service.runTimers(now: city.now) }
        #expect(try city.ticket(ticket.id).caller.phone == Self.phone)
    }
}

/// Issue 5, point 4: what each unit receives of the caller (the assignment the city actually enqueues).
struct MinimisationTests {
    /// The ticket.assign body the city queued for `unit`, decoded.
    func queuedAssignment(_ city: NodeFixture, hop: String) throws -> String {
        let rows = try city.context.links.pending(link: hop, after: 0, limit: 10)
        let assign = try #require(rows.first { $0.message.kind == "ticket.assign" })
        return String(decoding: assign.message.body, as: UTF8.self)
    }

    @Test func theUnitComplainedAboutReceivesNeitherTheCallerNorTheComplaint() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake(subject: "s1")
        try city.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: t.id)
        let body = try queuedAssignment(city, hop: "k")
        #expect(!body.contains("13812345678") && !body.contains("138****5678") && !body.contains("张三"))
        #expect(!body.contains("夜间施工噪音"))
        #expect(body.contains("complaint material withheld"))
        // The city keeps everything.
        #expect(try city.ticket(t.id).caller.phone == "13812345678")
    }

    @Test func aConfidentialCallerReachesTheUnitMasked() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake(confidential: true)
        try city.perform(.dispatch(lead: "w", assisting: [], tier: nil), on: t.id)
        let body = try queuedAssignment(city, hop: "w")
        #expect(body.contains("138****5678"))
        #expect(!body.contains("13812345678") && !body.contains("张三"))
        #expect(body.contains("夜间施工噪音"), "the unit still needs the matter itself")
    }

    @Test func anOrdinaryCallerWhoWantsAReplyReachesTheUnitInFull() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let t = try city.intake()
        try city.perform(.dispatch(lead: "w", assisting: [], tier: nil), on: t.id)
        let body = try queuedAssignment(city, hop: "w")
        #expect(body.contains("13812345678") && body.contains("张三"))
    }
}
