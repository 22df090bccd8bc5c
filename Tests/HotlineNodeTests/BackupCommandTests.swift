import Foundation
import Testing
import HotlineCore
import HotlineStore
@testable import HotlineNode

/// `backup` in one process: what it writes, and what it refuses (the process test restores from it).
@Suite struct BackupCommandTests {
    /// As the daemon answers it: on the admin thread, from a read-only snapshot, beside the work loop.
    func run(_ node: NodeFixture, _ argv: [String]) throws -> AdminResponse {
        try #require(SnapshotCommands(context: node.context).answer(AdminRequest(argv: argv, user: "operator", uid: 1000)))
    }

    @Test func aRelativeFolderIsRefusedAndNothingIsWrittenWhereTheDaemonRuns() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let name = "backup-relative-\(UInt32.random(in: 0...UInt32.max))"
        let answer = try run(city, ["backup", "--out", name])
        #expect(answer.exitCode != 0 && answer.text.contains("absolute"), "\(answer.text)")
        #expect(!FileManager.default.fileExists(atPath: name))
        #expect(try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
            .filter { $0.contains(name) }.isEmpty)
    }

    @Test func aBackupIsAWholeCheckedCopyWithItsKeyAndRefusesAFolderThatExists() throws {
        let (city, ticket) = try DataAtRestTests().assigned(to: "s1")
        let target = city.dir.appendingPathComponent("backups/c-1")
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let answer = try run(city, ["backup", "--out", target.path, "--json"])
        #expect(answer.exitCode == 0, "\(answer.text)")
        let copy = try Database(path: target.appendingPathComponent("node.db").path, options: DatabaseOptions(readOnly: true))
        #expect(try copy.query("SELECT count(*) FROM tickets").first?.int(0) == 1)
        #expect(try copy.query("SELECT id FROM tickets").first?.string(0) == ticket.id)
        #expect(try copy.integrityCheck().isEmpty)
        let mode = try FileManager.default.attributesOfItem(atPath: target.appendingPathComponent("node.db").path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let keys = "keys/data.key"
        #expect(FileManager.default.contents(atPath: target.appendingPathComponent(keys).path)
                == FileManager.default.contents(atPath: city.context.dir.appendingPathComponent(keys).path))
        // Copying every caller's data is an access the audit records.
        let audit = try city.context.db.query("SELECT user, command, fields FROM audit WHERE command = 'backup'")
        #expect(audit.count == 1 && audit.first?.string(0) == "operator" && audit.first?.string(2)?.contains(target.path) == true)
        // Nothing half-written is left beside it, and a second backup into the same folder is refused.
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.deletingLastPathComponent().path) == ["c-1"])
        let again = try run(city, ["backup", "--out", target.path])
        #expect(again.exitCode != 0 && again.text.contains("already exists"))
    }

    /// A backup job that stopped is found by `status --check`, not on the day the disk is lost.
    @Test func statusShowsTheLastBackupAndCheckSaysWhenItIsAWeekOld() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let target = city.dir.appendingPathComponent("backups/c-1")
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let daemon = try NodeDaemon(context: city.context)
        func ask(_ argv: [String]) throws -> AdminResponse {
            let answers = RoundTakenBackTests.Answers()
            _ = daemon.drain([.admin(AdminRequest(argv: argv, user: "operator", uid: 1000), reply: { answers.add($0) })])
            return try #require(answers.all.first)
        }
        #expect(try ask(["status"]).text.contains("last backup: none taken with `backup` on this database"))
        #expect(try run(city, ["backup", "--out", target.path]).exitCode == 0)
        let status = try ask(["status"]).text
        #expect(status.contains("last backup: 2026-03-02 09:00 (0 s ago), \(target.path)"), "\(status)")
        #expect(try ask(["status", "--check"]).exitCode == 0)

        try city.context.clock.set(city.now.adding(millis: 8 * 86_400_000))
        let check = try ask(["status", "--check"])
        #expect(check.exitCode == 1)
        #expect(check.text.contains("the last backup was 8 d 0 h ago") && check.text.contains("is the backup job still running?"),
                "\(check.text)")
    }

    /// A node set up without its backup timer is found too, once it holds a week of tickets: a fresh node is not.
    @Test func checkSaysWhenANodeHoldingAWeekOfTicketsWasNeverBackedUp() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let daemon = try NodeDaemon(context: city.context)
        func check() throws -> AdminResponse {
            let answers = RoundTakenBackTests.Answers()
            _ = daemon.drain([.admin(AdminRequest(argv: ["status", "--check"], user: "operator", uid: 1000), reply: { answers.add($0) })])
            return try #require(answers.all.first)
        }
        try city.context.clock.set(city.now.adding(millis: 30 * 86_400_000))
        #expect(try check().exitCode == 0, "no tickets: nothing to lose yet")
        _ = try city.intake()
        try city.context.clock.set(city.now.adding(millis: 6 * 86_400_000))
        #expect(try check().exitCode == 0, "six days of tickets")
        try city.context.clock.set(city.now.adding(millis: 2 * 86_400_000))
        let late = try check()
        #expect(late.exitCode == 1 && late.text.contains("no backup of this database was ever taken, and it holds tickets since 2026-04-01 09:00")
                && late.text.contains("hotline-backup@c.timer"), "\(late.text)")
        let target = city.dir.appendingPathComponent("backups/c-1")
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        #expect(try run(city, ["backup", "--out", target.path]).exitCode == 0)
        #expect(try check().exitCode == 0)
    }
}
