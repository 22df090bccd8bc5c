import Foundation
import Testing
@testable import HotlineNode

/// A node says before its disk is full: a full disk stops every round from committing until space is freed.
struct DiskWatchTests {
    static let gb: UInt64 = 1 << 30

    @Test func lowIsUnderAGigabyteOrUnderOneTwentiethOfTheFileSystem() {
        #expect(DiskWatch.isLow(DiskSpace(available: Self.gb - 1, total: 10 * Self.gb)))
        #expect(!DiskWatch.isLow(DiskSpace(available: Self.gb, total: 10 * Self.gb)))
        #expect(DiskWatch.isLow(DiskSpace(available: 4 * Self.gb, total: 100 * Self.gb)), "4 % of a large disk")
        #expect(!DiskWatch.isLow(DiskSpace(available: 5 * Self.gb, total: 100 * Self.gb)))
        #expect(DiskWatch.isLow(DiskSpace(available: 0, total: 0)), "nothing free is low whatever the size")
    }

    @Test func itWarnsOnEnteringThenHourlyAndSaysOkOnlyWithAFifthToSpare() {
        var watch = DiskWatch()
        let fine = DiskSpace(available: 50 * Self.gb, total: 100 * Self.gb)
        let low = DiskSpace(available: 3 * Self.gb, total: 100 * Self.gb)
        let justAbove = DiskSpace(available: 5 * Self.gb, total: 100 * Self.gb)
        #expect(watch.observe(fine, now: 0) == nil)
        #expect(watch.observe(low, now: 60_000) == .low(low))
        #expect(watch.observe(low, now: 120_000) == nil, "once, not every minute")
        #expect(watch.observe(justAbove, now: 180_000) == nil, "at the line again is not yet enough")
        #expect(watch.observe(low, now: 60_000 + DiskWatch.repeatEveryMillis) == .low(low), "again after an hour")
        #expect(watch.observe(fine, now: 60_000 + DiskWatch.repeatEveryMillis + 60_000) == .ok(fine))
        #expect(!watch.low)
    }

    @Test func theWorkLoopLooksOnceAMinute() {
        var watch = DiskWatch()
        let looks = [1_000, 59_999, 61_000].map { watch.due(now: $0) }
        #expect(looks == [true, false, true])
    }

    @Test func theDataDirectorysFileSystemIsRead() throws {
        let space = try #require(DiskSpace.of(NSTemporaryDirectory()))
        #expect(space.total > 0 && space.available <= space.total)
        #expect(DiskSpace.of("/no/such/directory/anywhere") == nil)
        #expect(DiskSpace.text(12_345_678_901) == "12.3 GB")
        #expect(DiskSpace.text(250_000_000) == "250 MB")
    }

    /// A daemon on a nearly full disk logs `disk-low` at its first round and `status` says so.
    @Test func aNodeOnANearlyFullDiskWarnsAndStatusSaysSo() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let daemon = try NodeDaemon(context: unit.context)
        daemon.diskSpace = { _ in DiskSpace(available: 300_000_000, total: 20_000_000_000) }
        let answers = RoundTakenBackTests.Answers()
        _ = daemon.drain([.admin(AdminRequest(argv: ["status"], user: "operator", uid: 1000), reply: { answers.add($0) })])
        _ = daemon.drain([.admin(AdminRequest(argv: ["status", "--json"], user: "operator", uid: 1000), reply: { answers.add($0) })])
        let line = try #require(unit.log.first { $0.contains("event=disk-low") })
        #expect(line.contains("available_bytes=300000000") && line.contains("300 MB free of 20.0 GB (1 %)"))
        let text = try #require(answers.all.last?.text)
        #expect(text.contains("disk: 300 MB free of 20.0 GB (1 %): LOW"), "\(text)")
        let json = try #require(answers.all.last?.json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect((object["disk"] as? [String: Any])?["low"] as? Bool == true)
    }
}
