import Foundation
import Testing
@testable import HotlineNet

/// Admin clients are served at once, each on a thread of its own, and a finished client's thread serves the next.
struct ThreadReuseTests {
    @Test func jobsThatWaitForEachOtherAllRunAtOnce() {
        let pool = ThreadReuse(name: "test", keepIdle: 5)
        let n = 12
        let (arrived, release, done) = Self.blockingJobs(n, on: pool)
        // Every job is running before any may finish: none waits for a free thread.
        var all = true
        for _ in 0..<n where arrived.wait(timeout: .now() + 10) == .timedOut { all = false }
        #expect(all)
        #expect(pool.threadCount == n)
        for _ in 0..<n { release.signal() }
        for _ in 0..<n { _ = done.wait(timeout: .now() + 10) }
    }

    @Test func aFinishedThreadTakesTheNextJobAndIdleThreadsEnd() throws {
        let pool = ThreadReuse(name: "test", keepIdle: 0.3)
        let done = DispatchSemaphore(value: 0)
        let names = NSLock(), seen = UnsafeSendableBox<Set<ObjectIdentifier>>([])
        for _ in 0..<5 {
            pool.run {
                names.withLock { _ = seen.value.insert(ObjectIdentifier(Thread.current)) }
                done.signal()
            }
            #expect(done.wait(timeout: .now() + 10) == .success)
            Thread.sleep(forTimeInterval: 0.02)   // the thread is back waiting before the next job
        }
        #expect(pool.threadCount == 1)
        #expect(names.withLock { seen.value.count } == 1, "one thread served all five")
        let deadline = Date(timeIntervalSinceNow: 10)
        while pool.threadCount > 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(pool.threadCount == 0, "an idle thread ends after keepIdle")
    }
}

extension ThreadReuseTests {
    /// Past `maxThreads` a job waits for a thread instead of getting a new one; none is lost.
    @Test func beyondTheLimitJobsWaitForAThreadAndAllRun() {
        let pool = ThreadReuse(name: "test", keepIdle: 5, maxThreads: 3)
        let n = 10
        let (arrived, release, done) = Self.blockingJobs(n, on: pool)
        var started = 0
        for _ in 0..<3 where arrived.wait(timeout: .now() + 10) == .success { started += 1 }
        #expect(started == 3)
        #expect(arrived.wait(timeout: .now() + 0.2) == .timedOut, "the fourth job waits: three threads are busy")
        #expect(pool.threadCount == 3)
        for _ in 0..<n { release.signal() }
        var finished = 0
        for _ in 0..<n where done.wait(timeout: .now() + 10) == .success { finished += 1 }
        #expect(finished == n)
        #expect(pool.threadCount <= 3)
    }
}

extension ThreadReuseTests {
    /// Runs `n` jobs that each signal `arrived`, wait for `release`, then signal `done`.
    static func blockingJobs(_ n: Int, on pool: ThreadReuse)
        -> (arrived: DispatchSemaphore, release: DispatchSemaphore, done: DispatchSemaphore) {
        let arrived = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        for _ in 0..<n {
            pool.run {
                arrived.signal()
                release.wait()
                done.signal()
            }
        }
        return (arrived, release, done)
    }
}

private final class UnsafeSendableBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
