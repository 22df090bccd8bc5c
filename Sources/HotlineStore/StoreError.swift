import CSQLite

/// A failure of the node's database, with what the operator should do about it.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// SQLite refused an operation: its result code, extended code, message and the statement.
    case sqlite(code: Int32, extended: Int32, message: String, sql: String?)
    /// A stored outbox row does not match its checksum: it is reported, never silently skipped.
    case corruptRow(link: String, seq: UInt64)
    /// The database was written by a newer version of the software.
    case newerSchema(found: Int, supported: Int)
    /// A value read back from the database has the wrong shape.
    case badValue(String)
    /// Encrypting a blob failed (the key file is unusable).
    case sealing(String)
    /// The database file could not be created or given its mode: what failed, and what to do.
    case fileAccess(String)

    public var isDiskFull: Bool { primary == SQLITE_FULL }
    public var isReadOnly: Bool { primary == SQLITE_READONLY }
    public var isCorrupt: Bool { primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB }
    public var isBusy: Bool { primary == SQLITE_BUSY || primary == SQLITE_LOCKED }
    /// SQLite itself failed (the disk, the file, a lock), as opposed to a value read back or a key.
    public var isSQLite: Bool { primary != nil }

    private var primary: Int32? {
        if case .sqlite(let code, _, _, _) = self { return code & 0xff }
        return nil
    }

    public var description: String {
        switch self {
        case .sqlite(let code, let extended, let message, let sql):
            let advice: String
            switch code & 0xff {
            case SQLITE_FULL: advice = "the disk is full: free space; the node acknowledges nothing until a write succeeds"
            case SQLITE_READONLY: advice = "the database is read-only: check the file's permissions and the file system; the node resumes by itself once writes succeed"
            case SQLITE_CORRUPT, SQLITE_NOTADB: advice = "the database file is damaged: stop the node, keep a copy, restore from backup or ask the centre to resend"
            case SQLITE_IOERR: advice = "the disk reported an I/O error: check the device"
            case SQLITE_BUSY, SQLITE_LOCKED: advice = "another process holds the database: only one node process may use a data directory"
            case SQLITE_CANTOPEN: advice = "the database file cannot be opened: check that the data directory exists and is writable"
            default: advice = "see the SQLite message"
            }
            return "storage error \(code)/\(extended): \(message)\(sql.map { " (in: \($0.prefix(120)))" } ?? "") — \(advice)"
        case .corruptRow(let link, let seq):
            return "outbox row \(seq) of link \(link) does not match its checksum: the database is damaged; the link stops rather than skip it"
        case .newerSchema(let found, let supported):
            return "the database has schema version \(found), newer than this software's \(supported): run the newer version"
        case .badValue(let what):
            return "unexpected value in the database: \(what)"
        case .sealing(let what):
            return "cannot encrypt \(what): check the node's key file (keys/data.key)"
        case .fileAccess(let what):
            return what
        }
    }
}
