import Foundation
import Testing
import HotlineCore
import HotlineStore
@testable import HotlineNode

/// Issue 6, point 4: the data directory as a power loss leaves it (a copy taken while the node runs, its write-ahead
/// log torn), and a damaged database file: detected and reported, never silently used.
struct PowerLossTests {
    func copy(_ from: URL) throws -> URL {
        let to = FileManager.default.temporaryDirectory.appendingPathComponent("powerloss-\(UUID().uuidString)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/cp")
        p.arguments = ["-a", from.path, to.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return to
    }

    func intake(_ f: NodeFixture, _ n: Int) throws {
        _ = try f.perform(.receive(TicketIntake(id: "JN-20260302-\(String(format: "%06d", n))", channel: "phone", kind: "complain",
                                                topic: "供水", area: Area(district: "历下区", street: ""),
                                                text: "停水第\(n)件" + String(repeating: "说明", count: 300))), on: nil)
    }

    @Test func tornWriteAheadLogRecoversToACommittedPrefixAndSaysSo() throws {
        let city = try NodeFixture(id: "c", role: .city)
        for n in 1...8 { try intake(city, n) }
        let copied = try copy(city.context.dir)
        defer { try? FileManager.default.removeItem(at: copied) }
        let wal = copied.appendingPathComponent("node.db-wal")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: wal.path)[.size] as? Int)
        #expect(size > 0, "a running node's copy has a write-ahead log")
        // Power lost in the middle of the last transaction's frames.
        let handle = try FileHandle(forWritingTo: wal)
        try handle.truncate(atOffset: UInt64(size - 1500))
        try handle.close()

        let sink = NodeFixture.Sink()
        let context = try NodeContext(dir: copied, log: Log(node: "c", sink: { sink.append($0) }))
        #expect(sink.all.contains { $0.contains("event=unclean-shutdown") && $0.contains("integrity=ok") })
        let repo = TicketRepository(db: context.db, sealer: context.keyring, callerTagger: context.keyring.callerTagger)
        var present: [Int] = []
        for n in 1...8 {
            if let t = try repo.load("JN-20260302-\(String(format: "%06d", n))") {
                #expect(t.events.map(\.type) == [.received], "a ticket is there whole or not at all")
                present.append(n)
            }
        }
        #expect(present == Array(1...present.count), "what survives is a prefix of the committed transactions: \(present)")
        #expect(present.count >= 6, "only the torn tail is lost: \(present)")
    }

    @Test func damagedDatabaseIsRefusedWithWhatToDo() throws {
        let city = try NodeFixture(id: "c", role: .city)
        for n in 1...30 { try intake(city, n) }
        try city.context.db.checkpoint()
        try intake(city, 31)
        let copied = try copy(city.context.dir)
        defer { try? FileManager.default.removeItem(at: copied) }
        let db = copied.appendingPathComponent("node.db")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: db.path)[.size] as? Int)
        let handle = try FileHandle(forWritingTo: db)
        try handle.seek(toOffset: 8192)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: size - 8192))
        try handle.close()
        do {
            _ = try NodeContext(dir: copied, log: Log(node: "c", sink: { _ in }))
            Issue.record("a damaged database was opened")
        } catch {
            let text = "\(error)"
            #expect(text.contains("damaged") && text.contains("restore"), "\(text)")
        }
    }
}

/// The files `init` wrote beside the database, damaged: the node does not start, and says which file and what to do.
struct DamagedFileTests {
    @Test func aDamagedTopologyProfileOrCalendarIsNamedWithWhatToDo() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let dir = unit.context.dir
        for (name, shown) in [("topology.json", "topology.json"), ("profile.json", "profile.json"),
                              ("calendars/2026.json", "(#2 is 2026.json)")] {
            let file = dir.appendingPathComponent(name)
            let good = try Data(contentsOf: file)
            try Data(good.prefix(40)).write(to: file)
            defer { try? good.write(to: file) }
            do {
                _ = try NodeContext(dir: dir, log: Log(node: "s1", sink: { _ in }))
                Issue.record("started with a damaged \(name)")
            } catch {
                let text = "\(error)"
                #expect(text.contains(shown) && text.contains("init --force") && text.contains("backup"), "\(text)")
            }
        }
        #expect(throws: Never.self, "restored, it starts again") { _ = try NodeContext(dir: dir, log: Log(node: "s1", sink: { _ in })) }
    }
}

/// A graceful stop empties the write-ahead log, so the next start is not taken for a crash (which checks the whole
/// file first: minutes on a large city).
struct CleanStopTests {
    @Test func aStoppedNodeLeavesAnEmptyLogAndStartsWithoutACheck() throws {
        let city = try NodeFixture(id: "c", role: .city)
        for n in 1...8 { try PowerLossTests().intake(city, n) }
        let wal = city.context.dir.appendingPathComponent("node.db-wal").path
        #expect((try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int ?? 0) > 0)
        try NodeDaemon(context: city.context).checkpointForShutdown()
        #expect(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int == 0)
        let sink = NodeFixture.Sink()
        let reopened = try NodeContext(dir: city.context.dir, log: Log(node: "c", sink: { sink.append($0) }))
        #expect(!sink.all.contains { $0.contains("unclean-shutdown") })
        #expect(try TicketRepository(db: reopened.db, sealer: reopened.keyring, callerTagger: reopened.keyring.callerTagger)
                    .load("JN-20260302-000008") != nil)
    }
}

/// A round that cannot commit (a full disk, a power loss) fails every command in it, except those that write
/// nothing: they are answered again on their own, so `status` shows operators the failure while data keeps arriving.
struct FailedRoundTests {
    struct Refused: Error {}

    @Test func statusAndListStillAnswerWhenTheirRoundFailsOtherCommandsDoNot() throws {
        let city = try NodeFixture(id: "c", role: .city)
        for n in 1...2 { try PowerLossTests().intake(city, n) }
        let daemon = try NodeDaemon(context: city.context)
        daemon.beforeCommit = { throw Refused() }
        let answers = Answers()
        let batch: [NodeInput] = [["status", "--json"], ["list", "--json"], ["notices"]].map { argv in
            .admin(AdminRequest(argv: argv, user: "operator", uid: 1000), reply: { answers.add(argv[0], $0) })
        }
        _ = daemon.drain(batch)
        let status = try #require(answers.get("status"))
        #expect(status.exitCode == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.json ?? [])) as? [String: Any])
        #expect(((json["storageFailure"] as? String) ?? "").contains("Refused"))
        #expect(answers.get("list")?.exitCode == 0)
        #expect(((try JSONSerialization.jsonObject(with: Data(answers.get("list")?.json ?? [])) as? [Any]) ?? []).count == 2)
        let notices = try #require(answers.get("notices"))
        #expect(notices.exitCode != 0 && notices.text.contains("storage failure, nothing was changed"))
    }

    /// A round that fails before its first input (its `BEGIN` waited out another connection's write lock and got
    /// SQLITE_BUSY) keeps its inputs for the next round without asking to run again at once, so storage that keeps
    /// failing this way does not spin the loop; the next round that gets its transaction takes them.
    @Test func aRoundFailingAtItsBeginKeepsItsInputsWithoutSpinning() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let daemon = try NodeDaemon(context: unit.context)
        let other = try Database(path: unit.context.db.path, options: DatabaseOptions(busyTimeoutMilliseconds: 0))
        try other.execute(sql: "BEGIN IMMEDIATE")
        let wire = RoundTakenBackTests.Wire()
        let sleep = daemon.drain([.connected(wire, dialledPeer: "k")])
        #expect(sleep > 0, "no round at once after a round that took no input off")
        #expect(unit.log.contains { $0.contains("event=storage-failed") })
        #expect(wire.take().isEmpty && !wire.closed, "the connection is neither opened nor dropped")
        try other.execute(sql: "ROLLBACK")
        _ = daemon.drain([])
        #expect(!wire.take().isEmpty, "the next round opens it: the unit says hello")
    }

    /// An operator's command is logged (`command`) once its round has committed, never for a round that failed.
    @Test func aCommandIsLoggedOnlyOnceItsRoundCommitted() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let daemon = try NodeDaemon(context: city.context)
        let answers = Answers()
        func intake(_ n: Int) {
            let argv = ["intake", "--channel", "phone", "--kind", "complain", "--area", "历下区/解放路街道", "--topic", "噪声扰民",
                        "--text", "夜间施工噪音（\(n)）"]
            _ = daemon.drain([.admin(AdminRequest(argv: argv, user: "operator", uid: 1000), reply: { answers.add("intake", $0) })])
        }
        let commandLines = { city.log.filter { $0.contains("event=command ") && $0.contains("cmd=intake") } }
        daemon.beforeCommit = { throw Refused() }
        intake(1)
        #expect(answers.get("intake")?.exitCode != 0)
        #expect(commandLines().isEmpty, "\(commandLines())")
        daemon.beforeCommit = nil
        intake(2)
        #expect(answers.get("intake")?.exitCode == 0)
        #expect(commandLines().count == 1, "\(city.log)")
    }

    final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var byCommand: [String: AdminResponse] = [:]
        func add(_ name: String, _ r: AdminResponse) { lock.withLock { byCommand[name] = r } }
        func get(_ name: String) -> AdminResponse? { lock.withLock { byCommand[name] } }
    }
}
