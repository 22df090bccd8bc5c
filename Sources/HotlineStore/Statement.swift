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

    init(db: Database, sql: String) throws(StoreError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db.handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw db.error(rc, sql: sql) }
        handle = stmt
        self.db = db
        self.sql = sql
    }

    /// The bytes of the text and blob values bound last, which SQLite reads in place (`SQLITE_STATIC`) until the
    /// statement is reset, which clears the bindings. With `SQLITE_TRANSIENT` SQLite allocated and copied every text
    /// and blob it was given, then freed it: about thirty allocations for a stored `ticket.assign`.
    private var scratch: UnsafeMutableRawPointer?
    private var scratchCapacity = 0

    deinit {
        sqlite3_finalize(handle)
        scratch?.deallocate()
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds `args` to the parameters in order. Call after `reset` (`Database.prepare` does): SQLite then holds no
    /// pointer into the scratch buffer this overwrites.
    public func bind(_ args: [SQLValue]) throws(StoreError) {
        var bytes = 0
        for v in args {
            switch v {
            case .text(let s): bytes += s.utf8.count
            case .blob(let b): bytes += b.count
            default: break
            }
        }
        if scratch == nil || bytes > scratchCapacity {
            scratch?.deallocate()
            scratchCapacity = max(bytes, 2 * scratchCapacity, 256)
            scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchCapacity, alignment: 16)
        }
        var offset = 0
        for (i, v) in args.enumerated() {
            let n = Int32(i + 1)
            let rc: Int32
            switch v {
            case .int(let x): rc = sqlite3_bind_int64(handle, n, x)
            case .double(let x): rc = sqlite3_bind_double(handle, n, x)
            // The byte count, not -1: with -1 SQLite stops at the first NUL and silently drops the rest.
            case .text(let s):
                let p = place(s.utf8, at: &offset)
                rc = sqlite3_bind_text(handle, n, p.assumingMemoryBound(to: CChar.self), Int32(s.utf8.count), nil)
            case .blob(let b):
                // A zero-length blob, not NULL (a null pointer binds NULL).
                rc = b.isEmpty ? sqlite3_bind_zeroblob(handle, n, 0)
                    : sqlite3_bind_blob(handle, n, place(b, at: &offset), Int32(b.count), nil)
            case .null: rc = sqlite3_bind_null(handle, n)
            }
            guard rc == SQLITE_OK else { throw db.error(rc, sql: sql) }
        }
    }

    /// Copies `bytes` into the scratch buffer at `offset` (sized by `bind` beforehand) and moves `offset` past them.
    private func place<C: Collection>(_ bytes: C, at offset: inout Int) -> UnsafeMutableRawPointer where C.Element == UInt8 {
        let p = scratch! + offset
        let buffer = UnsafeMutableRawBufferPointer(start: p, count: bytes.count)
        let copied: Void? = bytes.withContiguousStorageIfAvailable { buffer.copyMemory(from: UnsafeRawBufferPointer($0)) }
        if copied == nil { buffer.copyBytes(from: bytes) }
        offset += bytes.count
        return p
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
