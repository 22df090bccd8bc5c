import Foundation

/// Runs every job at once on a thread of its own, like a new thread per job, but hands a job to a thread that
/// has finished its last one when there is such a thread (idle threads end after `keepIdle`). A new thread per
/// admin request cost a thread creation per operator command (perf, hotline-bench lifecycle: `clone3` and thread
/// set-up in every node); a small fixed pool would let a few slow commands queue the others. Past `maxThreads`
/// (a script firing commands at a node whose loop is stuck behind a slow disk), jobs wait for a thread instead of
/// each getting a new one without bound.
public final class ThreadReuse: @unchecked Sendable {
    // `condition` guards `jobs`, `idle` and `threads`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    /// Threads waiting for a job.
    private var idle = 0
    private var threads = 0
    private let name: String
    private let keepIdle: TimeInterval
    public let maxThreads: Int

    public init(name: String, keepIdle: TimeInterval = 30, maxThreads: Int = 64) {
        self.name = name
        self.keepIdle = keepIdle
        self.maxThreads = max(1, maxThreads)
    }

    /// Threads alive now (busy or idle).
    public var threadCount: Int { condition.withLock { threads } }

    public func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        // Every waiting job needs a waiting thread; when there are fewer, this one gets a new thread, unless there
        // are `maxThreads` already: then it waits for one of them to finish its job.
        let spawn = jobs.count > idle && threads < maxThreads
        if spawn { threads += 1 } else { condition.signal() }
        condition.unlock()
        if spawn {
            NamedThread.start(name) { [self] in work() }
        }
    }

    private func work() {
        condition.lock()
        while true {
            while jobs.isEmpty {
                idle += 1
                let woken = condition.wait(until: Date(timeIntervalSinceNow: keepIdle))
                idle -= 1
                if !woken, jobs.isEmpty {
                    threads -= 1
                    condition.unlock()
                    return
                }
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
            condition.lock()
        }
    }
}
