import CSQLite
import Foundation

/// A SQLite VFS over the system's default ("unix") that hands the write-ahead log's writes of one commit to the
/// kernel as one `pwrite` instead of two for each page.
///
/// SQLite writes a log frame as two calls, its 24-byte header and then its page, each at its own offset; a frame is
/// 4,120 bytes, so each call touches two pages of the kernel's cache. A commit of 17 frames (a step at the centre)
/// was 34 `pwrite`s before its `fdatasync`: a fifth of the centre's work loop at 1,000 dispatches a second (perf).
/// Written here the same bytes in the same order, one call a commit: 34 calls and a sync took 101-119 µs of CPU,
/// one call and a sync 59-61 µs (a C loop of 3,000 such commits on this machine's disk).
///
/// What it changes and what it cannot: writes to the log (`SQLITE_OPEN_WAL`) that follow one another are kept in a
/// buffer of the file's own, and the buffer is written, in order and before anything else happens to the file,
/// when a write does not follow, when it would pass `limit` bytes, and before every call that reads, syncs, sizes,
/// truncates, controls or closes the log (only the lock and device queries pass straight through): `xSync` above
/// all, which SQLite calls before a commit's frames become visible to readers (the wal-index is updated after the
/// sync). That is why it is used only with `synchronous=FULL` (`Database` asks for it): with `NORMAL` a commit
/// is published without a sync of the log, and readers in other connections would read frames still in the buffer.
/// A write that fails when the buffer is written fails the call that wrote it — at a commit, the sync: SQLite then
/// reports the commit failed and its frames are never published, as with a failed `pwrite`. A crash loses only what
/// was never synced, which a commit never is. The main database file, its checkpoints and every other file are the
/// default VFS's, untouched.
enum LogWriteVFS {
    /// The name connections open with (`sqlite3_open_v2`'s last argument).
    static let name = "hotline-log-writes"

    /// Bytes kept before they are written: 31 frames of 4 KB pages, a step's commit at once (a catch-up round of a
    /// thousand assignments writes in many pieces, each still one call). Not more: the default VFS writes at most
    /// 128 KB less one byte in one call (it masks the length with 0x1ffff, since SQLite itself never writes more
    /// than a page) and reports a longer write as a full disk.
    static let limit = 0x1ffff

    /// Registered once a process, before the first connection that asks for it; false if SQLite refused (then
    /// connections use the default VFS, as before).
    static let registered: Bool = register()

    /// The wrapped VFS, found once.
    nonisolated(unsafe) private static var base: UnsafeMutablePointer<sqlite3_vfs>?

    /// Where the log's file keeps its buffer. SQLite allocates `szOsFile` bytes for each file: our `sqlite3_file`
    /// (its methods), a pointer to this state, then the default VFS's own file.
    struct Pending {
        var buffer: UnsafeMutableRawPointer?
        var count = 0
        var start: Int64 = 0
        /// Writes SQLite asked for, and writes handed to the default VFS (for `writes(of:)`).
        var asked = 0
        var made = 0
    }

    private static let stateOffset = MemoryLayout<sqlite3_file>.stride
    private static let realOffset = stateOffset + MemoryLayout<UnsafeMutablePointer<Pending>>.stride

    private static func register() -> Bool {
        guard let found = sqlite3_vfs_find(nil) else { return false }
        base = found
        let vfs = UnsafeMutablePointer<sqlite3_vfs>.allocate(capacity: 1)
        vfs.initialize(to: found.pointee)  // every other method, and pAppData, as the default VFS has them
        vfs.pointee.pNext = nil
        vfs.pointee.szOsFile = Int32(realOffset) + found.pointee.szOsFile
        vfs.pointee.zName = UnsafePointer(strdup(name))
        vfs.pointee.xOpen = { _, path, file, flags, outFlags in
            guard let file, let base = LogWriteVFS.base, let open = base.pointee.xOpen else { return SQLITE_ERROR }
            guard flags & SQLITE_OPEN_WAL != 0 else {
                // Any other file is the default VFS's own, in the memory SQLite gave us.
                return open(base, path, file, flags, outFlags)
            }
            let raw = UnsafeMutableRawPointer(file)
            let real = (raw + LogWriteVFS.realOffset).assumingMemoryBound(to: sqlite3_file.self)
            let rc = open(base, path, real, flags, outFlags)
            guard rc == SQLITE_OK else {
                file.pointee.pMethods = nil  // SQLite then never calls xClose
                return rc
            }
            let state = UnsafeMutablePointer<Pending>.allocate(capacity: 1)
            state.initialize(to: Pending())
            (raw + LogWriteVFS.stateOffset).storeBytes(of: state, as: UnsafeMutablePointer<Pending>.self)
            file.pointee.pMethods = UnsafePointer(LogWriteVFS.methods)
            return SQLITE_OK
        }
        return sqlite3_vfs_register(vfs, 0) == SQLITE_OK
    }

    /// The log writes of `connection` so far: those SQLite asked for and those handed to the kernel; nil when its
    /// log is not open or not this VFS's.
    static func writes(of connection: OpaquePointer) -> (asked: Int, made: Int)? {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(connection, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file) == SQLITE_OK, let file,
              file.pointee.pMethods == UnsafePointer(methods) else { return nil }
        let state = parts(file).0.pointee
        return (state.asked, state.made)
    }

    private static func parts(_ file: UnsafeMutablePointer<sqlite3_file>) -> (UnsafeMutablePointer<Pending>, UnsafeMutablePointer<sqlite3_file>) {
        let raw = UnsafeMutableRawPointer(file)
        return (raw.load(fromByteOffset: stateOffset, as: UnsafeMutablePointer<Pending>.self),
                (raw + realOffset).assumingMemoryBound(to: sqlite3_file.self))
    }

    /// Writes what is kept, through the default VFS; on failure the bytes are dropped (the call that asked reports
    /// it, and SQLite treats the file as it would after that failed write).
    private static func flush(_ file: UnsafeMutablePointer<sqlite3_file>) -> Int32 {
        let (state, real) = parts(file)
        guard state.pointee.count > 0 else { return SQLITE_OK }
        let count = state.pointee.count
        state.pointee.count = 0
        state.pointee.made += 1
        return real.pointee.pMethods.pointee.xWrite(real, state.pointee.buffer, Int32(count), state.pointee.start)
    }

    /// `call` on the default VFS's file, after the kept bytes are written (their failure, if they fail).
    private static func afterFlush(_ file: UnsafeMutablePointer<sqlite3_file>?,
                                   _ call: (UnsafeMutablePointer<sqlite3_file>) -> Int32) -> Int32 {
        guard let file else { return SQLITE_MISUSE }
        let rc = flush(file)
        guard rc == SQLITE_OK else { return rc }
        return call(parts(file).1)
    }

    /// `call` on the default VFS's file, straight through.
    private static func passed(_ file: UnsafeMutablePointer<sqlite3_file>?, _ missing: Int32,
                               _ call: (UnsafeMutablePointer<sqlite3_file>) -> Int32) -> Int32 {
        guard let file else { return missing }
        return call(parts(file).1)
    }

    /// The log's methods: writes kept, the calls that depend on the file's bytes after the kept bytes are written.
    /// Made once, when the first log is opened, and only read after.
    nonisolated(unsafe) private static let methods: UnsafeMutablePointer<sqlite3_io_methods> = {
        let m = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
        m.initialize(to: sqlite3_io_methods())
        m.pointee.iVersion = 1  // the log has no shared memory or memory map of its own (those are the database file's)
        m.pointee.xClose = { file in
            guard let file else { return SQLITE_MISUSE }
            let written = LogWriteVFS.flush(file)
            let (state, real) = LogWriteVFS.parts(file)
            let closed = real.pointee.pMethods.pointee.xClose(real)
            state.pointee.buffer?.deallocate()
            state.deallocate()
            file.pointee.pMethods = nil
            return written != SQLITE_OK ? written : closed
        }
        m.pointee.xRead = { file, out, amount, offset in
            LogWriteVFS.afterFlush(file) { $0.pointee.pMethods.pointee.xRead($0, out, amount, offset) }
        }
        m.pointee.xWrite = { file, data, amount, offset in
            guard let file, let data else { return SQLITE_MISUSE }
            let (state, real) = LogWriteVFS.parts(file)
            let n = Int(amount)
            state.pointee.asked += 1
            let kept = state.pointee.count
            if kept == 0 || offset != state.pointee.start + Int64(kept) || kept + n > LogWriteVFS.limit {
                let rc = LogWriteVFS.flush(file)
                guard rc == SQLITE_OK else { return rc }
                guard n < LogWriteVFS.limit else {
                    state.pointee.made += 1
                    return real.pointee.pMethods.pointee.xWrite(real, data, amount, offset)
                }
                state.pointee.start = offset
            }
            if state.pointee.buffer == nil {
                state.pointee.buffer = UnsafeMutableRawPointer.allocate(byteCount: LogWriteVFS.limit, alignment: 16)
            }
            (state.pointee.buffer! + state.pointee.count).copyMemory(from: data, byteCount: n)
            state.pointee.count += n
            return SQLITE_OK
        }
        m.pointee.xTruncate = { file, size in LogWriteVFS.afterFlush(file) { $0.pointee.pMethods.pointee.xTruncate($0, size) } }
        m.pointee.xSync = { file, flags in LogWriteVFS.afterFlush(file) { $0.pointee.pMethods.pointee.xSync($0, flags) } }
        m.pointee.xFileSize = { file, size in LogWriteVFS.afterFlush(file) { $0.pointee.pMethods.pointee.xFileSize($0, size) } }
        m.pointee.xFileControl = { file, op, arg in
            LogWriteVFS.afterFlush(file) { $0.pointee.pMethods.pointee.xFileControl($0, op, arg) }
        }
        m.pointee.xLock = { file, level in LogWriteVFS.passed(file, SQLITE_MISUSE) { $0.pointee.pMethods.pointee.xLock($0, level) } }
        m.pointee.xUnlock = { file, level in LogWriteVFS.passed(file, SQLITE_MISUSE) { $0.pointee.pMethods.pointee.xUnlock($0, level) } }
        m.pointee.xCheckReservedLock = { file, out in
            LogWriteVFS.passed(file, SQLITE_MISUSE) { $0.pointee.pMethods.pointee.xCheckReservedLock($0, out) }
        }
        m.pointee.xSectorSize = { file in LogWriteVFS.passed(file, 0) { $0.pointee.pMethods.pointee.xSectorSize($0) } }
        m.pointee.xDeviceCharacteristics = { file in
            LogWriteVFS.passed(file, 0) { $0.pointee.pMethods.pointee.xDeviceCharacteristics($0) }
        }
        return m
    }()
}
