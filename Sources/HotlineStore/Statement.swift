import CSQLite
import Foundation

/// A value to bind or read: SQLite's storage classes.
public enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
    case null

    public init(_ v: String?) { self = v.map { .text($0) } ?? .null }
    public init(_ v: Int64?) { self = v.map { .int($0) } ?? .null }
    public init(_ v: Int) { self = .int(Int64(v)) }
    public init(_ v: UInt64) { self = .int(Int64(bitPattern: v)) }
}

/// One result row, copied out of the statement (safe to keep after the next step).
public struct Row: Sendable {
    public var values: [SQLValue]

    public func int(_ i: Int) -> Int64? { if case .int(let v) = values[i] { return v }; return nil }
    public func string(_ i: Int) -> String? {
        switch values[i] {
        case .text(let s): return s
        case .int(let v): return String(v)
        default: return nil
        }
    }
    public func blob(_ i: Int) -> [UInt8]? {
        switch values[i] {
        case .blob(let b): return b
        case .text(let s): return Array(s.utf8)
        default: return nil
        }
    }
    public func double(_ i: Int) -> Double? {
        switch values[i] {
        case .double(let d): return d
        case .int(let v): return Double(v)
        default: return nil
        }
    }
}

/// A prepared statement. Owned by its `Database` (its cache) and used on the database's owner thread only.
public final class Statement {
    private let handle: OpaquePointer
    private unowned let db: Database
    let sql: String

    /// SQLITE_TRANSIENT does not import into Swift (GRDB does the same).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(db: Database, sql: String) throws(StoreError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db.handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw db.error(rc, sql: sql) }
        handle = stmt
        self.db = db
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func bind(_ args: [SQLValue]) throws(StoreError) {
        for (i, v) in args.enumerated() {
            let n = Int32(i + 1)
            let rc: Int32
            switch v {
            case .int(let x): rc = sqlite3_bind_int64(handle, n, x)
            case .double(let x): rc = sqlite3_bind_double(handle, n, x)
            // The byte count, not -1: with -1 SQLite stops at the first NUL and silently drops the rest.
            case .text(let s): rc = sqlite3_bind_text(handle, n, s, Int32(s.utf8.count), Self.transient)
            case .blob(let b):
                rc = b.withUnsafeBytes { sqlite3_bind_blob(handle, n, $0.baseAddress, Int32($0.count), Self.transient) }
            case .null: rc = sqlite3_bind_null(handle, n)
            }
            guard rc == SQLITE_OK else { throw db.error(rc, sql: sql) }
        }
    }

    /// Advances; true while there is a row.
    public func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let e = db.error(rc, sql: sql)
            sqlite3_reset(handle)
            throw e
        }
    }

    func row() -> Row {
        let count = sqlite3_column_count(handle)
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for i in 0..<count {
            switch sqlite3_column_type(handle, i) {
            case SQLITE_INTEGER: values.append(.int(sqlite3_column_int64(handle, i)))
            case SQLITE_FLOAT: values.append(.double(sqlite3_column_double(handle, i)))
            case SQLITE_TEXT:
                let n = Int(sqlite3_column_bytes(handle, i))
                if let p = sqlite3_column_text(handle, i) {
                    values.append(.text(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)))
                } else {
                    values.append(.text(""))
                }
            case SQLITE_BLOB:
                let n = Int(sqlite3_column_bytes(handle, i))
                if let p = sqlite3_column_blob(handle, i) {
                    values.append(.blob([UInt8](UnsafeRawBufferPointer(start: p, count: n))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return Row(values: values)
    }
}
