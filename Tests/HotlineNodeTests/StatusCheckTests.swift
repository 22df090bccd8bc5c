import Foundation
import Testing
@testable import HotlineNode

/// `status --check` is for monitoring: "OK" and exit 0, or one line per thing an operator must act on and exit 1.
struct StatusCheckTests {
    func check(_ daemon: NodeDaemon) throws -> AdminResponse {
        let answers = RoundTakenBackTests.Answers()
        _ = daemon.drain([.admin(AdminRequest(argv: ["status", "--check"], user: "operator", uid: 1000), reply: { answers.add($0) })])
        return try #require(answers.all.first)
    }

    @Test func aHealthyNodeIsOKAndAProblemMakesItExitOne() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let daemon = try NodeDaemon(context: unit.context)
        let clock = LinkOutageTests.Clock()
        daemon.monotonic = { clock.now }
        let disk = NSLock()
        nonisolated(unsafe) var space = DiskSpace(available: 50_000_000_000, total: 100_000_000_000)
        daemon.diskSpace = { _ in disk.withLock { space } }

        let fine = try check(daemon)
        #expect(fine.exitCode == 0)
        #expect(fine.text.hasPrefix("OK: "), "\(fine.text)")

        // The parent has been unreachable for ten minutes (the link was down from the first round).
        clock.advance(minutes: 10)
        let down = try check(daemon)
        #expect(down.exitCode == 1)
        #expect(down.text.contains("1 problem") && down.text.contains("- link k down since ") && down.text.contains("(10 min), 0 queued"),
                "\(down.text)")

        // And the disk fills up (seen at the next minute's look).
        disk.withLock { space = DiskSpace(available: 200_000_000, total: 100_000_000_000) }
        clock.advance(minutes: 1)
        _ = daemon.drain([])
        let two = try check(daemon)
        #expect(two.exitCode == 1)
        #expect(two.text.contains("2 problems") && two.text.contains("- disk low: 200 MB free of 100.0 GB (0 %)"), "\(two.text)")
        let json = try #require(two.json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        #expect((object["problems"] as? [String])?.count == 2)
    }
}
