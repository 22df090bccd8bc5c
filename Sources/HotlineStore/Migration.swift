/// A schema change: applied once, in order, recorded in `PRAGMA user_version`.
public struct Migration: Sendable {
    public var version: Int
    public var sql: String
    public init(version: Int, sql: String) {
        self.version = version
        self.sql = sql
    }
}

extension Database {
    /// The store's own tables: link state and outbox, key-value meta, the audit log. The node layer appends its
    /// migrations (tickets, events) with higher versions.
    public static let storeMigrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE link_state(link TEXT PRIMARY KEY, last_assigned INTEGER NOT NULL DEFAULT 0,
                                    last_received INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE outbox(link TEXT NOT NULL, seq INTEGER NOT NULL, msg_id TEXT NOT NULL, origin TEXT NOT NULL,
                                dest TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL, body BLOB NOT NULL,
                                checksum INTEGER NOT NULL, PRIMARY KEY(link, seq)) WITHOUT ROWID;
            CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE audit(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, user TEXT NOT NULL, command TEXT NOT NULL,
                               ticket TEXT, fields TEXT NOT NULL);
            """),
    ]

    /// Applies the migrations newer than the file's version, each in its own transaction. Refuses a database
    /// written by newer software rather than guess at its tables.
    public func migrate(_ migrations: [Migration]) throws {
        var all = Database.storeMigrations
        for m in migrations {
            if let same = all.first(where: { $0.version == m.version }) {
                // The store's own migrations may be passed again; a different migration under a taken number is a bug.
                guard same.sql == m.sql else { throw StoreError.badValue("two different migrations are numbered \(m.version)") }
                continue
            }
            all.append(m)
        }
        all.sort { $0.version < $1.version }
        let current = Int(try query("PRAGMA user_version").first?.int(0) ?? 0)
        let latest = all.last?.version ?? 0
        if current > latest { throw StoreError.newerSchema(found: current, supported: latest) }
        for m in all where m.version > current {
            try transaction {
                try execute(sql: m.sql)
                try execute(sql: "PRAGMA user_version = \(m.version)")
            }
        }
    }

    public func meta(_ key: String) throws(StoreError) -> String? {
        try query("SELECT value FROM meta WHERE key = ?", [.text(key)]).first?.string(0)
    }

    public func setMeta(_ key: String, _ value: String) throws(StoreError) {
        try run("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [.text(key), .text(value)])
    }

    public func removeMeta(_ key: String) throws(StoreError) {
        try run("DELETE FROM meta WHERE key = ?", [.text(key)])
    }

    /// The next value of a named counter (ticket numbers of a day); call inside the transaction that uses it.
    public func nextCounter(_ name: String) throws(StoreError) -> Int64 {
        let next = (Int64(try meta("counter.\(name)") ?? "0") ?? 0) + 1
        try setMeta("counter.\(name)", String(next))
        return next
    }

    public func appendAudit(at: Int64, user: String, command: String, ticket: String?, fields: String) throws(StoreError) {
        try run("INSERT INTO audit(at, user, command, ticket, fields) VALUES(?, ?, ?, ?, ?)",
                [.int(at), .text(user), .text(command), SQLValue(ticket), .text(fields)])
    }
}
