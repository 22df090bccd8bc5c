import CSQLite
import Foundation

/// Copies the write-ahead log into the database file on a thread and connection of its own, so the connection that
/// commits never stops for long to do it. SQLite's automatic checkpoint runs inside the commit that fills the log
/// past 1,000 pages: it copies 4 MB and syncs the database file while every request waiting on that work loop waits
/// too. Moving it here lowered the latency scenario's p99 in 11 of 12 alternating pairs (10–25 %; most of the tail
/// is bursts of work, not checkpoints).
///
/// How: the committing connection's WAL hook (`committed`) wakes this thread once the log holds `threshold` pages;
/// the thread runs PASSIVE checkpoints, which never block a writer. A passive checkpoint cannot let the log start
/// over while commits keep arriving (the newest frames are always past what it copied), so when the log reaches
/// twice the threshold and the thread has nothing pending, the committing connection copies the few frames added
/// since the thread's last pass itself; the next transaction then starts the log from the beginning. If the thread
/// falls far behind (`hardLimit` pages), the committing connection checkpoints itself, as SQLite would have.
final class BackgroundCheckpointer: @unchecked Sendable {
    let threshold: Int32
    var hardLimit: Int32 { threshold * 8 }
    private let connection: Database
    // `condition` guards the state below.
    private let condition = NSCondition()
    private var requested = false
    private var running = false
    private var stopping = false
    private var stopped = false
    private var _passes = 0
    private var _writerPasses = 0

    /// A second connection to the database at `path` (opened here, used only by the thread).
    init(path: String, threshold: Int32) throws(StoreError) {
        self.threshold = max(1, threshold)
        connection = try Database(path: path)
    }

    /// Passes the thread has made; passes the committing connection made (the tail of a log, or past the limit).
    var passes: (background: Int, writer: Int) { condition.withLock { (_passes, _writerPasses) } }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "wal-checkpoint"
        thread.start()
    }

    /// Stops the thread after its current pass and waits for it.
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while !stopped { condition.wait() }
        }
    }

    /// On the committing connection's thread, after each commit: the log now holds `pages` pages.
    func committed(pages: Int32, db: OpaquePointer) {
        guard pages >= threshold else { return }
        let writerCopies = condition.withLock { () -> Bool in
            if !running, !requested, pages >= 2 * threshold { return true }
            if !running { requested = true; condition.signal() }
            return pages >= hardLimit
        }
        guard writerCopies else { return }
        // Returns at once if the thread is in a pass (a PASSIVE checkpoint does not wait for another).
        let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        // Not done (another pass was running, or an error): the next commit tries again; a failing disk shows in
        // the commits themselves.
        if rc == SQLITE_OK { condition.withLock { _writerPasses += 1 } }
    }

    private func run() {
        condition.lock()
        while true {
            while !requested && !stopping { condition.wait() }
            if stopping { break }
            requested = false
            running = true
            condition.unlock()
            let rc = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            condition.lock()
            running = false
            if rc == SQLITE_OK { _passes += 1 }
        }
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

extension Database {
    /// Checkpoints this connection's write-ahead log on a thread of its own from now on (`BackgroundCheckpointer`),
    /// instead of inside the commit that fills it. Call on the connection's owner thread; undone by
    /// `stopBackgroundCheckpoints` (and when the connection closes).
    public func checkpointInBackground(threshold pages: Int32 = 1_000) throws(StoreError) {
        guard background == nil else { return }
        let checkpointer = try BackgroundCheckpointer(path: path, threshold: pages)
        checkpointer.start()
        background = checkpointer
        sqlite3_wal_hook(handle, { context, db, _, pages in
            guard let context, let db else { return SQLITE_OK }
            Unmanaged<BackgroundCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(pages: pages, db: db)
            return SQLITE_OK
        }, Unmanaged.passUnretained(checkpointer).toOpaque())
    }

    /// Back to SQLite's own checkpoints in the commit (every 1,000 pages), after the thread's current pass.
    public func stopBackgroundCheckpoints() {
        guard let checkpointer = background else { return }
        sqlite3_wal_autocheckpoint(handle, 1_000)  // replaces the hook
        checkpointer.stop()
        background = nil
    }

    /// Passes of the background checkpointer so far (nil without one).
    var backgroundCheckpoints: (background: Int, writer: Int)? { background?.passes }
}
