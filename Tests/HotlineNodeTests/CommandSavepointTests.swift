import Foundation
import Testing
import HotlineCore
@testable import HotlineNode

/// An operator command runs all or nothing (issue 4). The lifecycle commands check everything before they write
/// and run without a savepoint of their own (`CommandSpec.decidesBeforeWriting`): a refusal before they wrote has
/// nothing to take back; one after takes the whole round back, and its commands run again, each in a savepoint.
struct CommandSavepointTests {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "refused after writing" }
    }

    /// A command that decides before writing, as far as its spec says, but writes a notice and then fails: what a
    /// fault after a lifecycle command's first write (the storage, a route) looks like.
    static let halfWrite = CommandHandler(spec: CommandSpec(name: "half-write", summary: "test", usage: "half-write",
                                                            options: [], examples: [], decidesBeforeWriting: true)) { _, env in
        try env.service.repository.addNotice(at: env.now, from: "c", ticket: nil, text: "half")
        throw Refused()
    }

    func request(_ argv: String...) -> AdminRequest { AdminRequest(argv: argv, user: "operator", uid: 1000) }

    func count(_ node: NodeFixture, _ table: String) throws -> Int {
        Int(try node.context.db.query("SELECT count(*) FROM \(table)").first?.int(0) ?? -1)
    }

    func intake(_ city: NodeFixture) throws -> String {
        try PowerLossTests().intake(city, 1)
        return "JN-20260302-000001"
    }

    @Test func theLifecycleCommandsAndDispatchDecideBeforeWritingIntakeDoesNot() {
        let specs = Dictionary(uniqueKeysWithValues: OperatorCommands.handlers(for: .city).map { ($0.spec.name, $0.spec) })
        for name in ["dispatch", "review", "callback", "close", "decide", "supervise"] {
            #expect(specs[name]?.decidesBeforeWriting == true, "\(name)")
        }
        // It takes a ticket number (a write) before the lifecycle core checks the form.
        #expect(specs["intake"]?.decidesBeforeWriting == false)
        let unit = Dictionary(uniqueKeysWithValues: OperatorCommands.handlers(for: .unit).map { ($0.spec.name, $0.spec) })
        for name in ["sign", "reply", "return", "extend"] { #expect(unit[name]?.decidesBeforeWriting == true, "\(name)") }
        let county = Dictionary(uniqueKeysWithValues: OperatorCommands.handlers(for: .county).map { ($0.spec.name, $0.spec) })
        #expect(county["forward"]?.decidesBeforeWriting == true)
    }

    @Test func aLifecycleCommandRefusedBeforeWritingChangesNothingAndTheRoundGoesOn() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let id = try intake(city)
        let before = try city.service.ticket(id)
        try city.context.db.transaction {
            try city.service.repository.addNotice(at: city.now, from: "c", ticket: nil, text: "kept")
            let changes = city.context.db.totalChanges
            // Not yet dispatched: the centre cannot close it.
            let refused = try city.service.execute(request("close", id), now: city.now, links: { [] })
            #expect(refused.exitCode != 0)
            #expect(city.context.db.totalChanges == changes)
            #expect(city.service.afterCommit.isEmpty)
        }
        #expect(try count(city, "notices") == 1, "what the round wrote before the command stays")
        #expect(try city.service.ticket(id) == before)
    }

    @Test func aCommandRefusedAfterWritingThrowsAndInSavepointsIsRefusedAlone() throws {
        let city = try NodeFixture(id: "c", role: .city)
        city.service.add(Self.halfWrite)
        #expect(throws: CommandTakenBack.self) {
            try city.context.db.transaction {
                try city.service.repository.addNotice(at: city.now, from: "c", ticket: nil, text: "earlier in the round")
                _ = try city.service.execute(request("half-write"), now: city.now, links: { [] })
            }
        }
        #expect(try count(city, "notices") == 0, "the whole round is rolled back")
        city.service.commandSavepoints = true
        try city.context.db.transaction {
            try city.service.repository.addNotice(at: city.now, from: "c", ticket: nil, text: "earlier in the next round")
            let refused = try city.service.execute(request("half-write"), now: city.now, links: { [] })
            #expect(refused.exitCode != 0 && refused.text.contains("refused after writing"))
        }
        #expect(try count(city, "notices") == 1, "its savepoint took its own write back, the round's stays")
    }

    @Test func theLoopTakesSuchARoundBackAndRunsItsCommandsAgainEachInASavepoint() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let id = try intake(city)
        let daemon = try NodeDaemon(context: city.context)
        daemon.service.add(Self.halfWrite)
        let answers = FailedRoundTests.Answers()
        let batch: [NodeInput] = [["dispatch", id, "--to", "w"], ["half-write"], ["notices"]].map { argv in
            .admin(AdminRequest(argv: argv, user: "operator", uid: 1000), reply: { answers.add(argv[0], $0) })
        }
        _ = daemon.drain(batch)
        let dispatched = try #require(answers.get("dispatch"))
        #expect(dispatched.exitCode == 0, "\(dispatched.text)")
        let refused = try #require(answers.get("half-write"))
        #expect(refused.exitCode != 0 && refused.text.contains("refused after writing"), "\(refused.text)")
        #expect(answers.get("notices")?.exitCode == 0)
        #expect(try daemon.service.ticket(id).status == .dispatched, "the other command of the round ran again and was kept")
        #expect(try count(city, "notices") == 0, "nothing of the refused command is stored")
        #expect(!daemon.service.commandSavepoints, "only the round run again puts every command in a savepoint")
        #expect(daemon.service.storageFailure == nil, "not a storage failure")
        #expect(city.log.contains { $0.contains("round-taken-back") && $0.contains("half-write") })
    }
}
