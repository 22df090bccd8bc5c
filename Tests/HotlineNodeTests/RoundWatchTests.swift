import Foundation
import Testing
import HotlineCore
@testable import HotlineNode

/// A work-loop round that takes `--slow-round-ms` or more is logged with where its time went and counted in
/// `status`: an operator tells a slow disk from a starved or busy machine without a profiler.
struct RoundWatchTests {
    let at = Timestamp(millis: 1_772_413_200_000)

    @Test func aRoundUnderTheThresholdIsCountedNotReported() {
        var watch = RoundWatch(slowMilliseconds: 50)
        let reported = watch.record(.init(work: 20, commit: 20, after: 9.9, cpu: 40), at: at)
        #expect(reported == nil)
        #expect(watch.summary == RoundWatch.Summary(rounds: 1, slow: 0, slowestMilliseconds: 0, lastSlow: nil, slowMilliseconds: 50,
                                                    total: .init(rounds: 1, work: 20, commit: 20, after: 9.9, cpu: 40)))
    }

    /// Every committed round's parts are summed, slow or not; the last whole minute of the loop's clock is kept as
    /// shares of it: busy near the whole minute is a loop at its limit.
    @Test func theLastMinuteIsWhereTheLoopsTimeWent() throws {
        var watch = RoundWatch(slowMilliseconds: 1000)
        // A saturated minute: a round of 20 ms every 20 ms (5 of work, 14 of commit, 1 after; the thread ran 9).
        var round = RoundWatch.Round(work: 5, commit: 14, after: 1, cpu: 9)
        for k in 1...2_999 {
            round.ended = Double(k) * 20       // the first round began at 0
            _ = watch.record(round, at: at)
        }
        #expect(watch.summary.lastMinute == nil)   // 59,980 ms of the loop's clock so far
        round.ended = 60_000
        _ = watch.record(round, at: at)
        let minute = try #require(watch.summary.lastMinute)
        #expect(minute.span == 60_000 && minute.load.rounds == 3_000)
        #expect(abs(minute.share(minute.load.busy) - 1) < 1e-9 && abs(minute.share(minute.load.commit) - 0.7) < 1e-9)
        #expect(abs(minute.share(minute.load.work) - 0.25) < 1e-9 && abs(minute.share(minute.load.cpu) - 0.45) < 1e-9)
        // The next minute: a round of 10 ms every 20 ms (6 of work, 3 of commit, 1 after; 8 of CPU).
        round = RoundWatch.Round(work: 6, commit: 3, after: 1, cpu: 8)
        for k in 1...3_000 {
            round.ended = 60_000 + Double(k) * 20
            _ = watch.record(round, at: at)
        }
        let next = try #require(watch.summary.lastMinute)
        #expect(next.span == 60_000 && next.load.rounds == 3_000)
        #expect(abs(next.share(next.load.busy) - 0.5) < 1e-9 && abs(next.share(next.load.work) - 0.3) < 1e-9)
        #expect(abs(next.share(next.load.commit) - 0.15) < 1e-9 && abs(next.share(next.load.after) - 0.05) < 1e-9)
        #expect(abs(next.share(next.load.cpu) - 0.4) < 1e-9)
        #expect(watch.summary.total.rounds == 6_000 && abs(watch.summary.total.busy - (3_000 * 20 + 3_000 * 10)) < 1e-6)
    }

    @Test func aRoundAtTheThresholdIsReportedWithItsParts() throws {
        var watch = RoundWatch(slowMilliseconds: 50)
        var round = RoundWatch.Round(work: 30, commit: 15, after: 5, cpu: 33)
        round.messages = 7
        round.commands = 2
        let reported = watch.record(round, at: at)
        let fields = try #require(reported)
        let byName = Dictionary(fields, uniquingKeysWith: { a, _ in a })
        #expect(byName["ms"] == "50.0" && byName["work_ms"] == "30.0" && byName["commit_ms"] == "15.0")
        #expect(byName["after_ms"] == "5.0" && byName["cpu_ms"] == "33.0")
        #expect(byName["messages"] == "7" && byName["commands"] == "2" && byName["other"] == "0")
        #expect(byName["cause"] == "work")
        #expect(watch.summary.slow == 1 && watch.summary.slowestMilliseconds == 50 && watch.summary.lastSlow == at)
    }

    @Test func theSlowestIsKeptAcrossRounds() {
        var watch = RoundWatch(slowMilliseconds: 10)
        for total in [12.0, 80, 3, 25] { _ = watch.record(.init(work: total, commit: 0, after: 0, cpu: total), at: at) }
        #expect(watch.summary.rounds == 4 && watch.summary.slow == 3 && watch.summary.slowestMilliseconds == 80)
    }

    @Test func theCauseNamesWhereMostOfTheTimeWent() {
        // Half or more in the commit: the fsync.
        #expect(RoundWatch.cause(.init(work: 10, commit: 10, after: 0, cpu: 10)) == .disk)
        #expect(RoundWatch.cause(.init(work: 8, commit: 11, after: 1, cpu: 0)) == .disk)
        #expect(RoundWatch.cause(.init(work: 10, commit: 9.9, after: 0.1, cpu: 10)) == .work)
        // The thread ran for less than half of the round: it waited for a CPU.
        #expect(RoundWatch.cause(.init(work: 30, commit: 5, after: 5, cpu: 19.9)) == .waiting)
        // Otherwise the round's own work.
        #expect(RoundWatch.cause(.init(work: 30, commit: 5, after: 5, cpu: 20)) == .work)
        #expect(RoundWatch.Cause.allCases.allSatisfy { !$0.advice.isEmpty })
    }

    /// A round slow with nothing in it (the early-warning scan, a resync's slice) said "see how many messages and
    /// commands it carried": none. Its own periodic work is named, with the time it took.
    @Test func aRoundSlowWithItsOwnPeriodicWorkSaysSo() throws {
        var watch = RoundWatch(slowMilliseconds: 50)
        let quiet = watch.record(.init(work: 200, commit: 2, after: 1, cpu: 200, timers: 190), at: Timestamp(millis: 0))
        let own = try #require(quiet)
        #expect(own.contains { $0 == ("timers_ms", "190.0") } && own.contains { $0 == ("advice", RoundWatch.timersAdvice) })
        var busy = RoundWatch.Round(work: 200, commit: 2, after: 1, cpu: 200, timers: 10)
        busy.messages = 900
        let loud = watch.record(busy, at: Timestamp(millis: 0))
        let arrived = try #require(loud)
        #expect(arrived.contains { $0 == ("advice", RoundWatch.Cause.work.advice) })
    }

    /// The daemon times its rounds with `roundClock`; a fake clock makes one round slow and the next not.
    @Test func theDaemonLogsASlowRoundAndStatusCountsIt() throws {
        let city = try NodeFixture(id: "c", role: .city, extra: ["--slow-round-ms", "5"])
        let daemon = try NodeDaemon(context: city.context)
        let clock = FakeClock(step: 3)
        daemon.roundClock = { clock.next() }
        let answers = FailedRoundTests.Answers()
        func status(_ name: String) -> NodeInput {
            .admin(AdminRequest(argv: ["status", "--json"], user: "operator", uid: 1000), reply: { answers.add(name, $0) })
        }
        // Six readings 3 ms apart: the start, the timers' start and end, the work's end, the commit, the end: 15 ms.
        _ = daemon.drain([status("first"), status("second")])
        let slow = city.log.filter { $0.contains("event=slow-round") }
        #expect(slow.count == 1)
        let line = try #require(slow.first)
        #expect(line.contains(" ms=15.0") && line.contains("work_ms=9.0") && line.contains("timers_ms=3.0") && line.contains("commit_ms=3.0"))
        #expect(line.contains("commands=2") && line.contains("messages=0") && line.contains("cause="))
        clock.step = 0.5
        _ = daemon.drain([status("third")])                              // 2.5 ms: counted, not logged
        #expect(city.log.filter { $0.contains("event=slow-round") }.count == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answers.get("third")?.json ?? [])) as? [String: Any])
        let rounds = try #require(json["rounds"] as? [String: Any])
        #expect(rounds["count"] as? Int == 1 && rounds["slow"] as? Int == 1 && rounds["slowMs"] as? Int == 5)
        #expect(rounds["slowestMs"] as? Double == 15 && (rounds["lastSlow"] as? String ?? "").hasPrefix("2026-03-02"))
        // The parts of the rounds so far (one): what `hotline-bench` reads before and after a run.
        #expect(rounds["workMs"] as? Double == 9 && rounds["commitMs"] as? Double == 3 && rounds["afterMs"] as? Double == 3)
        #expect((rounds["cpuMs"] as? Double ?? -1) >= 0)
        // Not a minute of the loop's clock yet: no shares to show.
        #expect((rounds["lastMinute"] as? [String: Any])?.isEmpty == true)
    }

    /// `status` shows where the loop's time went over its last whole minute, in words an operator reads.
    @Test func statusShowsTheLastMinuteOfTheLoop() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let daemon = try NodeDaemon(context: city.context)
        // Six readings 10 s apart a round: 30 s of work, 10 of commit, 10 after it; the next round starts 10 s later.
        // The second round ends 110 s after the first began: the minute closes with it.
        let clock = FakeClock(step: 10_000)
        daemon.roundClock = { clock.next() }
        let answers = FailedRoundTests.Answers()
        for name in ["first", "second", "third"] {
            _ = daemon.drain([.admin(AdminRequest(argv: ["status"], user: "operator", uid: 1000), reply: { answers.add(name, $0) })])
        }
        #expect(!(try #require(answers.get("second"))).text.contains("work loop"))
        let text = try #require(answers.get("third")).text
        #expect(text.contains("work loop, last minute: busy 91 % (taking in and deciding 55 %, committing 18 %, sending and answering 18 %), its CPU "), "\(text)")
        #expect(text.contains(", 2 rounds"), "\(text)")
    }

    @Test func theThresholdMustBeAtLeastOneMillisecond() {
        #expect(throws: (any Error).self) { _ = try NodeFixture(id: "c", role: .city, extra: ["--slow-round-ms", "0"]) }
    }

    final class FakeClock: @unchecked Sendable {
        private let lock = NSLock()
        private var now = 0.0
        private var _step: Double
        init(step: Double) { _step = step }
        var step: Double {
            get { lock.withLock { _step } }
            set { lock.withLock { _step = newValue } }
        }
        func next() -> Double { lock.withLock { defer { now += _step }; return now } }
    }
}
