import CSQLite
import Foundation

/// How much a commit promises. In WAL mode `full` fsyncs the log on every commit: an acknowledged message survives
/// power loss. `normal` fsyncs only at checkpoints: never corrupt, but the last commits may be lost on power loss
/// (not on a process crash). The network acknowledges only what survives power loss, so `full` is the default.
/// Fixed for a connection's life: a `full` writer keeps a commit's log writes until the commit's sync
/// (`LogWriteVFS`), so no statement may lower it on an open connection.
public enum Synchronous: String, Sendable { case full, normal }

public struct DatabaseOptions: Sendable {
    public var synchronous: Synchronous
    public var busyTimeoutMilliseconds: Int32
    public var readOnly: Bool
    public init(synchronous: Synchronous = .full, busyTimeoutMilliseconds: Int32 = 5_000, readOnly: Bool = false) {
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.readOnly = readOnly
    }
}

/// A statement's text as the key of the statement cache: hashed by its length and three 16-byte samples (its start,
/// middle and end), compared whole. Hashing the whole text (SipHash over a few hundred bytes) on every statement run
/// was 1.4 % of a unit's instructions in a durable hop (callgrind, `hotline-bench --scenario hop --quick`, 10,337
/// lookups of ~1,700 instructions); texts that share all three samples and the length only share a bucket. The
/// samples are folded into one word by multiplications before the `Hasher` sees them: fed the 56 bytes, SipHash took
/// 634 instructions a key, now 156, and a unit's work loop in a durable hop 1.5 % fewer (callgrind, the same run).
struct SQLText: Hashable {
    let sql: String

    init(_ sql: String) { self.sql = sql }

    static func == (a: SQLText, b: SQLText) -> Bool { a.sql == b.sql }

    func hash(into hasher: inout Hasher) {
        var text = sql
        hasher.combine(text.withUTF8 { Self.fold($0) })
    }

    /// The length and the three samples in one word.
    static func fold(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let m = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
            return m ^ (m >> 29)
        }
        var h = UInt64(b.count)
        guard b.count >= 16 else {
            for byte in b { h = mix(h, UInt64(byte)) }
            return h
        }
        let raw = UnsafeRawBufferPointer(b)
        func sample(_ start: Int) {
            h = mix(h, raw.loadUnaligned(fromByteOffset: start, as: UInt64.self))
            h = mix(h, raw.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self))
        }
        sample(0)
        sample((b.count - 16) / 2)
        sample(b.count - 16)
        return h
    }
}

/// A SQLite connection (WAL). Confined: one owner uses it at a time — in a node, the work loop thread — which is
/// what makes the `@unchecked Sendable` safe; the wrapper itself takes no lock.
public final class Database: @unchecked Sendable {
    let handle: OpaquePointer
    public let path: String
    private var cache: [SQLText: Statement] = [:]
    /// Transaction control statements by their text (see `exec`): found by one lookup, the text is judged once.
    private var control: [String: Statement] = [:]
    private var transactionDepth = 0
    private var rollbackObservers: [() -> Void] = []

    /// Process-wide settings, applied once before the first connection (SQLite refuses them once initialised).
    private static let configured: Bool = hotline_sqlite_disable_memstatus() == SQLITE_OK

    public init(path: String, options: DatabaseOptions = DatabaseOptions()) throws(StoreError) {
        _ = Self.configured
        var db: OpaquePointer?
        let flags = (options.readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        // A writer that syncs the log at every commit hands each commit's log writes to the kernel at once
        // (`LogWriteVFS`); any other connection uses SQLite's default VFS.
        let batched = !options.readOnly && options.synchronous == .full && LogWriteVFS.registered
        let rc = sqlite3_open_v2(path, &db, flags, batched ? LogWriteVFS.name : nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw .sqlite(code: rc, extended: rc, message: message, sql: "open \(path)")
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, options.busyTimeoutMilliseconds)
        if !options.readOnly {
            try execute(sql: "PRAGMA journal_mode=WAL")
        }
        try execute(sql: "PRAGMA synchronous=\(options.synchronous == .full ? "FULL" : "NORMAL")")
        try execute(sql: "PRAGMA foreign_keys=ON")
        // Statement journals (savepoints) and sorts live in memory: on disk each one created, wrote and unlinked a
        // file in /var/tmp, dozens a second under load.
        try execute(sql: "PRAGMA temp_store=MEMORY")
        // Deleted content is zeroed in every page that is written anyway, but a page freed whole is not written again
        // just to zero it. Debian builds SQLite with secure_delete on: a county rewrote each outbox page it emptied
        // on acknowledgement, once into the log and once at the checkpoint (hotline-bench catchup: 18.1 → 9.6 KB
        // written a drained message). What a freed page keeps is sealed (documents and outbox bodies are AES-GCM
        // under the node's data key), and it is reused before the file grows.
        try execute(sql: "PRAGMA secure_delete=FAST")
    }

    deinit {
        cache.removeAll()
        control.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, sql: String?) -> StoreError {
        .sqlite(code: rc, extended: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    /// Calls `observer` after every rollback on this connection, of a transaction or to a savepoint, whether it
    /// succeeded or not: what a cache kept of the writes undone is no longer true. (Used on the owner's thread.)
    public func onRollback(_ observer: @escaping () -> Void) {
        rollbackObservers.append(observer)
    }

    private func rolledBack() {
        for observer in rollbackObservers { observer() }
    }

    /// Runs one or more statements without results. A `ROLLBACK` statement (of a caller's own savepoint too) tells
    /// the rollback observers.
    public func execute(sql: String) throws(StoreError) {
        if sql.hasPrefix("ROLLBACK") { defer { rolledBack() }; try exec(sql: sql) } else { try exec(sql: sql) }
    }

    private func exec(sql: String) throws(StoreError) {
        // Transaction control runs several times a round (a savepoint per command and per message): kept prepared,
        // since `sqlite3_exec` parses the text every time.
        var statement = control[sql]
        if statement == nil, Self.isControl(sql) { statement = try prepareControl(sql) }
        if let s = statement {
            defer { s.reset() }
            _ = try s.step()
            return
        }
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw .sqlite(code: rc, extended: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// One BEGIN / COMMIT / SAVEPOINT / RELEASE / ROLLBACK statement (a single statement: no `;`). Byte search, not
    /// `String.contains(_: String)`: that one is Foundation's, through NSString, and was 2 % of a unit's work loop
    /// (perf, hotline-bench hop: a savepoint and its release per message).
    static func isControl(_ sql: String) -> Bool {
        !sql.utf8.contains(UInt8(ascii: ";")) && ["BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK"].contains { sql.hasPrefix($0) }
    }

    private func prepareControl(_ sql: String) throws(StoreError) -> Statement {
        let s = try Statement(db: self, sql: sql)
        control[sql] = s
        return s
    }

    /// Of the statements prepared so far (through `prepare`), those whose programs build a temporary B-tree each
    /// time they run (`OpenEphemeral`: an IN list of more than two values, RETURNING, some subqueries). Made,
    /// filled and dropped at every run, such a B-tree was 14 % of a unit's work loop's instructions in a durable hop
    /// (an IN list in an index's condition) and a quarter of queueing a message (RETURNING). Tests keep the paths
    /// a message or a step runs free of them.
    func statementsBuildingTemporaryTables() throws(StoreError) -> [String] {
        var found: [String] = []
        for sql in cache.keys.map(\.sql).sorted() {
            let explain = try Statement(db: self, sql: "EXPLAIN " + sql)
            while try explain.step() {
                if explain.row().string(1) == "OpenEphemeral" {
                    found.append(sql)
                    break
                }
            }
        }
        return found
    }

    /// A prepared statement from the cache, reset and ready to bind.
    public func prepare(_ sql: String) throws(StoreError) -> Statement {
        let key = SQLText(sql)
        if let s = cache[key] {
            s.reset()
            return s
        }
        let s = try Statement(db: self, sql: sql)
        cache[key] = s
        return s
    }

    /// Runs a statement with arguments; returns every row.
    @discardableResult
    public func query(_ sql: String, _ args: [SQLValue] = []) throws(StoreError) -> [Row] {
        let s = try prepare(sql)
        try s.bind(args)
        var rows: [Row] = []
        while try s.step() { rows.append(s.row()) }
        s.reset()
        return rows
    }

    /// Runs a statement with arguments and calls `body` for each row, without keeping them (large scans).
    public func forEach(_ sql: String, _ args: [SQLValue] = [], _ body: (Row) throws -> Void) throws {
        let s = try prepare(sql)
        try s.bind(args)
        defer { s.reset() }
        while try s.step() { try body(s.row()) }
    }

    public func run(_ sql: String, _ args: [SQLValue] = []) throws(StoreError) {
        try query(sql, args)
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    /// The rowid of the last row an INSERT added on this connection (an upsert that updated leaves it as it was).
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    /// Rows changed on this connection since it opened: tells a transaction that wrote from one that only read.
    public var totalChanges: Int { Int(sqlite3_total_changes(handle)) }

    /// One transaction (BEGIN IMMEDIATE … COMMIT); rolled back if `body` throws. Nested calls join the outer one.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            return try body()
        }
        try execute(sql: "BEGIN IMMEDIATE")
        transactionDepth += 1
        do {
            let result = try body()
            transactionDepth -= 1
            do { try execute(sql: "COMMIT") } catch {
                try? execute(sql: "ROLLBACK")
                throw error
            }
            return result
        } catch {
            transactionDepth = max(0, transactionDepth - 1)
            if sqlite3_get_autocommit(handle) == 0 { try? execute(sql: "ROLLBACK") }
            // SQLite may have rolled back by itself (a full disk, an I/O error): the observers hear of it either way.
            rolledBack()
            throw error
        }
    }

    /// A savepoint inside the current transaction: what `body` did is undone if it throws, the rest stays.
    public func savepoint<T>(_ name: String, _ body: () throws -> T) throws -> T {
        try execute(sql: "SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute(sql: "RELEASE \(name)")
            return result
        } catch {
            try? execute(sql: "ROLLBACK TO \(name)")
            try? execute(sql: "RELEASE \(name)")
            throw error
        }
    }

    /// PRAGMA quick_check: an empty list means the file is sound.
    public func integrityCheck() throws(StoreError) -> [String] {
        let rows = try query("PRAGMA quick_check")
        let lines = rows.compactMap { $0.string(0) }
        return lines == ["ok"] ? [] : lines
    }

    public func checkpoint() throws(StoreError) { try execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
}
