import Foundation
import HotlineCore

/// How long the work loop's rounds take. A round is everything that arrived since the last one (messages,
/// operator commands, timers) in one transaction and one commit, then the acknowledgements and answers; a
/// round is the wait every message and command of it shares. One that takes `slowMilliseconds` or more is
/// reported (`slow-round`, with where its time went) and counted for `status`, so an operator can tell a slow
/// disk from a busy or starved machine without a profiler.
struct RoundWatch: Sendable {
    /// One round's timing, in milliseconds of the machine's monotonic clock, and the loop thread's CPU time.
    struct Round: Sendable {
        var work: Double
        var commit: Double
        var after: Double
        var cpu: Double
        /// Of `work`: the node's own periodic work (timers and sweeps), not what arrived.
        var timers = 0.0
        var messages = 0
        var commands = 0
        var other = 0
        /// The loop's clock (milliseconds) when the round ended: where the minute of `Summary.lastMinute` ends.
        var ended = 0.0
        var total: Double { work + commit + after }
    }

    /// Where the work loop's time went over many rounds, in milliseconds: taking in and deciding (`work`), the
    /// commit, sending and answering after it (`after`), and the loop thread's CPU time. Summed over every round that
    /// committed; `status` shows the last whole minute's shares (`Window`), and `hotline-bench` the shares of a run.
    struct Load: Sendable, Equatable {
        var rounds = 0
        var work = 0.0
        var commit = 0.0
        var after = 0.0
        var cpu = 0.0
        var busy: Double { work + commit + after }

        mutating func add(_ r: Round) {
            rounds += 1
            work += r.work
            commit += r.commit
            after += r.after
            cpu += r.cpu
        }

        static func - (a: Load, b: Load) -> Load {
            Load(rounds: a.rounds - b.rounds, work: a.work - b.work, commit: a.commit - b.commit, after: a.after - b.after,
                 cpu: a.cpu - b.cpu)
        }
    }

    /// The load of `span` milliseconds of the loop's clock. The loop is at its limit when `busy` nears `span`
    /// (what arrives waits for the round before it); `commit` a large share of it: the disk; `cpu` well below
    /// `busy`: the thread waited (for a CPU, or for the disk within the commit).
    struct Window: Sendable, Equatable {
        var load: Load
        var span: Double
        func share(_ v: Double) -> Double { span > 0 ? v / span : 0 }
    }

    /// What `status` shows.
    struct Summary: Sendable, Equatable {
        var rounds = 0
        var slow = 0
        var slowestMilliseconds = 0.0
        var lastSlow: Timestamp?
        var slowMilliseconds = 0
        /// Every committed round since the node started.
        var total = Load()
        /// The last whole minute (or a little more: it closes with the first round that ends after it).
        var lastMinute: Window?
    }

    /// Length of `Summary.lastMinute`, in milliseconds of the loop's clock.
    static let window = 60_000.0

    let slowMilliseconds: Int
    private(set) var summary: Summary
    /// The total when the current minute began, and the loop's clock then.
    private var mark: (load: Load, at: Double)?

    init(slowMilliseconds: Int) {
        self.slowMilliseconds = slowMilliseconds
        summary = Summary(slowMilliseconds: slowMilliseconds)
    }

    /// Counts the round; for a slow one, returns the fields of its log line.
    mutating func record(_ r: Round, at: Timestamp) -> [(String, String)]? {
        summary.rounds += 1
        if mark == nil { mark = (summary.total, r.ended - r.total) }
        summary.total.add(r)
        if let m = mark, r.ended - m.at >= Self.window {
            summary.lastMinute = Window(load: summary.total - m.load, span: r.ended - m.at)
            mark = (summary.total, r.ended)
        }
        guard r.total >= Double(slowMilliseconds) else { return nil }
        summary.slow += 1
        summary.slowestMilliseconds = max(summary.slowestMilliseconds, r.total)
        summary.lastSlow = at
        let cause = Self.cause(r)
        return [("ms", Self.ms(r.total)), ("work_ms", Self.ms(r.work)), ("commit_ms", Self.ms(r.commit)),
                ("after_ms", Self.ms(r.after)), ("cpu_ms", Self.ms(r.cpu)), ("timers_ms", Self.ms(r.timers)),
                ("messages", "\(r.messages)"), ("commands", "\(r.commands)"), ("other", "\(r.other)"), ("cause", cause.rawValue),
                ("advice", cause == .work && r.timers >= r.work / 2 ? Self.timersAdvice : cause.advice)]
    }

    /// For a round whose work was mostly the node's own: nothing that arrived made it slow.
    static let timersAdvice = "the node's own periodic work took most of the round (timers_ms: knowledge-base checks, "
        + "retention erasure; or a resync or rotate-key going a slice at a time): see the log lines around it"

    enum Cause: String, CaseIterable {
        /// Most of the round was the commit: the disk confirming the write (fsync).
        case disk
        /// The loop thread ran for less than half of its working time: it was ready but not running (other
        /// processes had the CPUs) or blocked.
        case waiting
        /// The round's own work: many inputs, or one that reads a lot.
        case work

        var advice: String {
            switch self {
            case .disk: "the disk took long to confirm the write (fsync): check the disk and what else writes to it"
            case .waiting: "the work loop waited for a CPU: check what else runs on this machine (top, load average)"
            case .work: "the round's own work was long: see how many messages and commands it carried"
            }
        }
    }

    static func cause(_ r: Round) -> Cause {
        if r.commit >= r.total / 2 { return .disk }
        if r.cpu < r.total / 2 { return .waiting }
        return .work
    }

    static func ms(_ v: Double) -> String { String(format: "%.1f", v) }

    /// The calling thread's CPU time (user and system), in milliseconds.
    static func threadCPUMilliseconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }
}
