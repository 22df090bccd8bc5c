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
    /// How many parameters the statement has: `bind` sets every one of them each time.
    private let parameterCount: Int32
    /// Bound or stepped since the last `reset` (a statement used and reset, or never used, needs no reset).
    private var used = false

    init(db: Database, sql: String) throws(StoreError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(db.handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw db.error(rc, sql: sql) }
        handle = stmt
        self.db = db
        self.sql = sql
        parameterCount = sqlite3_bind_parameter_count(stmt)
    }

    /// The bytes of the text and blob values bound last, which SQLite reads in place (`SQLITE_STATIC`). A reset
    /// leaves the bindings, so they may point at bytes `bind` has since overwritten or freed; SQLite reads bound
    /// values only when the statement is stepped, and every step follows a `bind` that sets every parameter
    /// (`NULL` past the arguments given), so a stale one is never read. With `SQLITE_TRANSIENT` SQLite allocated and
    /// copied every text and blob it was given, then freed it: about thirty allocations for a stored `ticket.assign`.
    private var scratch: UnsafeMutableRawPointer?
    private var scratchCapacity = 0

    deinit {
        sqlite3_finalize(handle)
        scratch?.deallocate()
    }

    /// Ready to bind and step again. Once a use: clearing the bindings too, and resetting both after a use and
    /// before the next, were 1.5 % of a unit's work loop in a durable hop (callgrind).
    func reset() {
        guard used else { return }
        sqlite3_reset(handle)
        used = false
    }

    /// Binds `args` to the parameters in order, and `NULL` to any after them. Call after `reset` (`Database.prepare`
    /// does): the statement is not running, so SQLite reads none of the values this overwrites before they are bound
    /// again.
    public func bind(_ args: [SQLValue]) throws(StoreError) {
        used = true
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
        // A parameter left out is NULL, as SQLite's own default; set here, since a reset keeps the last value.
        var n = Int32(args.count) + 1
        while n <= parameterCount {
            sqlite3_bind_null(handle, n)
            n += 1
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
        used = true
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
