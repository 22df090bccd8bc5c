import Foundation
import Testing
@testable import HotlineStore

/// A fresh directory under the temporary directory; removed when the test's `body` returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hotline-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

/// A migrated database in a fresh directory.
func withStore<T>(_ body: (Database, String) throws -> T) throws -> T {
    try withTemporaryDirectory { dir throws in
        let path = dir.appendingPathComponent("node.sqlite").path
        let db = try Database(path: path)
        try db.migrate([])
        return try body(db, path)
    }
}

/// The StoreError `body` throws, or nil.
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("not a StoreError: \(error)")
        return nil
    }
}

/// The primary and extended SQLite codes of a `.sqlite` error.
func sqliteCodes(_ error: StoreError?) -> (primary: Int32, extended: Int32)? {
    if case .sqlite(let code, let extended, _, _) = error { return (code & 0xff, extended) }
    return nil
}

struct Boom: Error, Equatable {}

enum Thrown: Equatable { case none, boom, other }

/// Whether `body` threw `Boom` (the test's own failure) or something else.
func outcome(_ body: () throws -> Void) -> Thrown {
    do {
        try body()
        return .none
    } catch is Boom {
        return .boom
    } catch {
        return .other
    }
}

@Suite struct DatabaseTests {
    @Test func openingCreatesTheFileInWALModeWithFullSync() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir.appendingPathComponent("new.sqlite").path
            #expect(!FileManager.default.fileExists(atPath: path))
            let db = try Database(path: path)
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(db.path == path)
            #expect(try db.query("PRAGMA journal_mode").first?.string(0) == "wal")
            #expect(try db.query("PRAGMA synchronous").first?.int(0) == 2)      // FULL
            #expect(try db.query("PRAGMA foreign_keys").first?.int(0) == 1)
            #expect(try db.query("PRAGMA temp_store").first?.int(0) == 2)       // MEMORY: no files in /var/tmp
            #expect(try db.query("PRAGMA secure_delete").first?.int(0) == 2)   // FAST
            let relaxed = try Database(path: path, options: DatabaseOptions(synchronous: .normal))
            #expect(try relaxed.query("PRAGMA synchronous").first?.int(0) == 1) // NORMAL
        }
    }

    /// secure_delete=FAST: a deleted row's bytes are gone from the file once its page is written back, even though
    /// the page is still in use (the property the erasure of callers' data relies on).
    @Test func aDeletedRowLeavesNoBytesInAPageStillInUse() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir.appendingPathComponent("erase.sqlite").path
            let db = try Database(path: path)
            let marker = Array("13812345678-张三-解放路1号".utf8)
            try db.execute(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
            try db.run("INSERT INTO t(id, v) VALUES(1, ?), (2, ?), (3, ?)", [.blob(Array("keep-a".utf8)), .blob(marker), .blob(Array("keep-b".utf8))])
            try db.checkpoint()
            func fileHasMarker() throws -> Bool {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                return (0...(bytes.count - marker.count)).contains { i in bytes[i..<(i + marker.count)].elementsEqual(marker) }
            }
            #expect(try fileHasMarker())
            try db.run("DELETE FROM t WHERE id = 2")
            try db.checkpoint()
            #expect(try db.query("SELECT count(*) FROM t").first?.int(0) == 2)
            #expect(try !fileHasMarker())
        }
    }

    @Test func openingInAMissingDirectoryFailsWithAdvice() {
        let error = storeError { _ = try Database(path: "/nonexistent-\(UUID().uuidString)/node.sqlite") }
        #expect(sqliteCodes(error)?.primary == 14)                               // SQLITE_CANTOPEN
        #expect(error?.description.contains("check that the data directory exists") == true)
    }

    @Test func aFileThatIsNotADatabaseIsReportedAsDamaged() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir.appendingPathComponent("garbage.sqlite").path
            try Data(String(repeating: "not a database ", count: 400).utf8).write(to: URL(fileURLWithPath: path))
            let error = storeError { _ = try Database(path: path) }
            #expect(error?.isCorrupt == true, "\(String(describing: error))")
            #expect(error?.description.contains("damaged") == true)
        }
    }

    @Test func readOnlyConnectionRefusesWritesAsReadOnly() throws {
        try withStore { db, path throws in
            try db.setMeta("k", "v")
            let reader = try Database(path: path, options: DatabaseOptions(readOnly: true))
            #expect(try reader.meta("k") == "v")
            let error = storeError { try reader.setMeta("k", "w") }
            #expect(error?.isReadOnly == true, "\(String(describing: error))")
            #expect(try db.meta("k") == "v")
        }
    }

    // MARK: migrations

    @Test func migrateCreatesTheStoreTablesAndRecordsTheVersion() throws {
        try withStore { db, _ throws in
            #expect(try db.query("PRAGMA user_version").first?.int(0) == 1)
            let tables = try db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").compactMap { $0.string(0) }
            #expect(tables == ["audit", "link_state", "meta", "outbox"])
        }
    }

    @Test func migrateIsIdempotentAndAppliesEachVersionOnce() throws {
        try withStore { db, path throws in
            let node = [Migration(version: 2, sql: "CREATE TABLE applied(n INTEGER); INSERT INTO applied VALUES (2);")]
            try db.migrate(node)
            try db.migrate(node)
            #expect(try db.query("SELECT count(*) FROM applied").first?.int(0) == 1)
            #expect(try db.query("PRAGMA user_version").first?.int(0) == 2)
            // After a restart too.
            let again = try Database(path: path)
            try again.migrate(node)
            #expect(try again.query("SELECT count(*) FROM applied").first?.int(0) == 1)
        }
    }

    @Test func passingTheStoresOwnMigrationsAgainIsHarmlessButAClashingNumberIsRefused() throws {
        try withStore { db, _ throws in
            try db.migrate(Database.storeMigrations)
            let clash = [Migration(version: 1, sql: "CREATE TABLE other(x)")]
            #expect(storeError { try db.migrate(clash) } != nil)
        }
    }

    @Test func migrationsRunInVersionOrderWhateverTheListOrder() throws {
        try withStore { db, _ throws in
            try db.migrate([
                Migration(version: 3, sql: "INSERT INTO tickets(id) VALUES ('JN-1')"),
                Migration(version: 2, sql: "CREATE TABLE tickets(id TEXT PRIMARY KEY)"),
            ])
            #expect(try db.query("SELECT id FROM tickets").first?.string(0) == "JN-1")
            #expect(try db.query("PRAGMA user_version").first?.int(0) == 3)
        }
    }

    @Test func failedMigrationIsUndoneAndKeepsThePreviousVersion() throws {
        try withStore { db, _ throws in
            let broken = [Migration(version: 2, sql: "CREATE TABLE half(n INTEGER); INSERT INTO nowhere VALUES (1);")]
            let error = storeError { try db.migrate(broken) }
            #expect(error?.description.contains("nowhere") == true)
            #expect(try db.query("PRAGMA user_version").first?.int(0) == 1)
            #expect(try db.query("SELECT count(*) FROM sqlite_master WHERE name = 'half'").first?.int(0) == 0)
        }
    }

    @Test func databaseFromNewerSoftwareIsRefused() throws {
        try withStore { db, _ throws in
            try db.execute(sql: "PRAGMA user_version = 9")
            let error = storeError { try db.migrate([]) }
            guard case .newerSchema(let found, let supported) = error else {
                Issue.record("expected newerSchema, got \(String(describing: error))")
                return
            }
            #expect(found == 9 && supported == 1)
            #expect(error?.description.contains("run the newer version") == true)
        }
    }

    // MARK: transactions

    @Test func committedTransactionIsSeenByAnotherConnection() throws {
        try withStore { db, path throws in
            let value = try db.transaction { () throws -> Int in
                try db.setMeta("a", "1")
                try db.setMeta("b", "2")
                return 42
            }
            #expect(value == 42)
            let other = try Database(path: path)
            #expect(try other.meta("a") == "1")
            #expect(try other.meta("b") == "2")
        }
    }

    @Test func thrownErrorRollsBackTheTransactionAndKeepsEarlierData() throws {
        try withStore { db, _ throws in
            try db.setMeta("kept", "yes")
            let thrown = outcome {
                try db.transaction {
                    try db.setMeta("lost", "1")
                    try db.setMeta("kept", "overwritten")
                    throw Boom()
                }
            }
            #expect(thrown == .boom, "the caller sees its own error")
            #expect(try db.meta("lost") == nil)
            #expect(try db.meta("kept") == "yes")
            // The connection is usable again: a new transaction commits.
            try db.transaction { try db.setMeta("after", "1") }
            #expect(try db.meta("after") == "1")
        }
    }

    @Test func failingStatementRollsBackTheTransaction() throws {
        try withStore { db, _ throws in
            let error = storeError {
                try db.transaction {
                    try db.setMeta("x", "1")
                    try db.run("INSERT INTO meta(key, value) VALUES ('y', NULL)")
                }
            }
            #expect(sqliteCodes(error)?.extended == 1299)                         // SQLITE_CONSTRAINT_NOTNULL
            #expect(try db.meta("x") == nil)
        }
    }

    @Test func nestedTransactionJoinsTheOuterOne() throws {
        try withStore { db, path throws in
            let other = try Database(path: path)
            var seenFromOutside: String?? = .none
            let error = outcome {
                try db.transaction {
                    try db.transaction { try db.setMeta("inner", "1") }
                    seenFromOutside = .some(try other.meta("inner"))
                    throw Boom()
                }
            }
            #expect(error == .boom)
            #expect(seenFromOutside == .some(nil), "the inner call did not commit on its own")
            #expect(try db.meta("inner") == nil, "the outer rollback undoes the inner work")
            try db.transaction {
                try db.transaction { try db.setMeta("inner", "2") }
            }
            #expect(try other.meta("inner") == "2")
        }
    }

    @Test func savepointRollbackKeepsTheOuterWork() throws {
        try withStore { db, _ throws in
            try db.transaction {
                try db.setMeta("before", "1")
                #expect(throws: Boom()) {
                    try db.savepoint("attempt") {
                        try db.setMeta("inside", "1")
                        try db.setMeta("before", "changed")
                        throw Boom()
                    }
                }
                let kept = try db.savepoint("second") { () throws -> String in
                    try db.setMeta("second", "1")
                    return "ok"
                }
                #expect(kept == "ok")
                try db.setMeta("after", "1")
            }
            #expect(try db.meta("before") == "1")
            #expect(try db.meta("inside") == nil)
            #expect(try db.meta("second") == "1")
            #expect(try db.meta("after") == "1")
        }
    }

    /// Transaction control is kept prepared after its first use: the same savepoint and transaction statements,
    /// run again, must undo and keep exactly what they did the first time.
    @Test func preparedTransactionControlBehavesTheSameOnEveryUse() throws {
        #expect(Database.isControl("SAVEPOINT cmd"))
        #expect(Database.isControl("ROLLBACK TO cmd"))
        #expect(!Database.isControl("BEGIN; INSERT INTO meta VALUES('a', 'b'); COMMIT"))
        #expect(!Database.isControl("PRAGMA user_version"))
        try withStore { db, _ throws in
            for round in 1...3 {
                let undone = outcome {
                    try db.transaction {
                        try db.setMeta("undone\(round)", "1")
                        throw Boom()
                    }
                }
                #expect(undone == .boom)
                try db.transaction {
                    try db.setMeta("kept\(round)", "1")
                    let stepUndone = outcome {
                        try db.savepoint("step") {
                            try db.setMeta("kept\(round)", "changed")
                            throw Boom()
                        }
                    }
                    #expect(stepUndone == .boom)
                    try db.savepoint("step") { try db.setMeta("step\(round)", "1") }
                }
                #expect(try db.meta("undone\(round)") == nil)
                #expect(try db.meta("kept\(round)") == "1")
                #expect(try db.meta("step\(round)") == "1")
            }
        }
    }

    // MARK: values

    @Test func everyValueKindRoundTripsThroughABoundParameter() throws {
        try withStore { db, _ throws in
            try db.execute(sql: "CREATE TABLE v(i INTEGER PRIMARY KEY, x)")
            let values: [SQLValue] = [
                .int(0), .int(Int64.max), .int(Int64.min), .int(-1),
                .double(3.25), .double(-1e-300), .double(1e300),
                .text(""), .text("济南市12345热线：停水三天了！"), .text("emoji 🚰 and tab\t"), .text("a\u{0}b"),
                .blob([]), .blob([0, 1, 2, 0xff, 0]), .blob(Array(repeating: 0xab, count: 100_000)),
                .null,
            ]
            for (i, v) in values.enumerated() { try db.run("INSERT INTO v(i, x) VALUES (?, ?)", [.int(Int64(i)), v]) }
            let back = try db.query("SELECT x FROM v ORDER BY i").map { $0.values[0] }
            #expect(back.count == values.count)
            for (sent, got) in zip(values, back) { #expect(sent == got) }
            let types = try db.query("SELECT typeof(x) FROM v ORDER BY i").compactMap { $0.string(0) }
            #expect(types == ["integer", "integer", "integer", "integer", "real", "real", "real",
                              "text", "text", "text", "text", "blob", "blob", "blob", "null"])
        }
    }

    /// SQLite reads bound texts and blobs in place from one buffer per statement: each parameter must keep its own
    /// bytes, also when a later call with larger values moves the buffer and one with smaller values reuses it.
    @Test func textsAndBlobsOfOneStatementKeepTheirOwnBytesAcrossReuse() throws {
        try withStore { db, _ throws in
            try db.execute(sql: "CREATE TABLE w(i INTEGER PRIMARY KEY, a, b, c, d, e)")
            let rounds: [[SQLValue]] = [
                [.text("甲"), .blob([1, 2, 3]), .text(""), .blob([]), .text("tail")],
                [.blob(Array(repeating: 7, count: 5000)), .text(String(repeating: "乙", count: 3000)), .null, .int(5),
                 .blob([9])],
                [.text("a\u{0}b"), .text("c"), .blob([0]), .text("热线"), .double(2.5)],
            ]
            for (i, args) in rounds.enumerated() {
                try db.run("INSERT INTO w(i, a, b, c, d, e) VALUES (?, ?, ?, ?, ?, ?)", [.int(Int64(i))] + args)
            }
            let back = try db.query("SELECT a, b, c, d, e FROM w ORDER BY i").map(\.values)
            #expect(back == rounds)
        }
    }

    /// The statement cache hashes a text by samples of it: texts that agree in all of them (and in length) share a
    /// hash, and each still runs as itself.
    @Test func statementsThatShareTheCachesHashStillRunAsThemselves() throws {
        func sql(_ middle: Character) -> String {
            // 80 bytes: the samples are bytes 0–15, 32–47 and 64–79; the texts differ only in bytes 16–31.
            let text = "SELECT 'aaaaaaaa" + String(repeating: middle, count: 16) + "' AS v -- "
            return text + String(repeating: "-", count: 80 - text.utf8.count)
        }
        let a = sql("1"), b = sql("2")
        #expect(a.utf8.count == 80 && a != b && SQLText(a).hashValue == SQLText(b).hashValue)
        try withStore { db, _ throws in
            for _ in 0..<3 {
                #expect(try db.query(a).first?.string(0) == "aaaaaaaa" + String(repeating: "1", count: 16))
                #expect(try db.query(b).first?.string(0) == "aaaaaaaa" + String(repeating: "2", count: 16))
            }
        }
    }

    /// The cache's key folds exactly the length and the three samples into its word: a byte changed inside a sample
    /// changes the word, one changed between the samples does not (texts of 80 bytes: samples at 0, 32 and 64), and
    /// texts shorter than a sample are folded whole.
    @Test func theCacheKeyFoldsTheLengthAndTheThreeSamples() {
        let text = Array(String(repeating: "SELECT x FROM t; ", count: 5).utf8.prefix(80))
        func fold(_ bytes: [UInt8]) -> UInt64 { bytes.withUnsafeBufferPointer { SQLText.fold($0) } }
        let base = fold(text)
        for at in 0..<80 {
            var other = text
            other[at] ^= 0x01
            let inSample = at < 16 || (32..<48).contains(at) || at >= 64
            #expect((fold(other) != base) == inSample, "byte \(at)")
        }
        #expect(fold(Array(text.dropLast())) != base)
        let short = Array("SELECT 1".utf8)
        for at in short.indices {
            var other = short
            other[at] ^= 0x01
            #expect(fold(other) != fold(short), "short text, byte \(at)")
        }
    }

    @Test func optionalAndUnsignedInitializersMapToTheRightKind() {
        #expect(SQLValue(nil as String?) == .null)
        #expect(SQLValue("x" as String?) == .text("x"))
        #expect(SQLValue(nil as Int64?) == .null)
        #expect(SQLValue(7 as Int64?) == .int(7))
        #expect(SQLValue(7) == .int(7))
        #expect(SQLValue(UInt64.max) == .int(-1), "bit pattern, read back with UInt64(bitPattern:)")
    }

    @Test func rowAccessorsConvertOnlyWhereItIsLossless() {
        let row = Row(values: [.int(12), .text("济南"), .double(1.5), .blob([1, 2]), .null])
        #expect(row.int(0) == 12 && row.string(0) == "12" && row.double(0) == 12)
        #expect(row.string(1) == "济南" && row.blob(1) == Array("济南".utf8) && row.int(1) == nil)
        #expect(row.double(2) == 1.5 && row.int(2) == nil && row.string(2) == nil)
        #expect(row.blob(3) == [1, 2] && row.string(3) == nil)
        #expect(row.int(4) == nil && row.string(4) == nil && row.blob(4) == nil && row.double(4) == nil)
    }

    @Test func cachedStatementForgetsThePreviousArguments() throws {
        try withStore { db, _ throws in
            #expect(try db.query("SELECT ?, ?", [.int(1), .text("a")]).first?.values == [.int(1), .text("a")])
            #expect(try db.query("SELECT ?, ?", [.int(3)]).first?.values == [.int(3), .null])
        }
    }

    @Test func forEachVisitsEveryRowInOrderAndChangesCountsTheLastStatement() throws {
        try withStore { db, _ throws in
            for n in 1...5 { try db.setMeta("k\(n)", "\(n)") }
            var seen: [String] = []
            try db.forEach("SELECT value FROM meta ORDER BY key") { seen.append($0.string(0) ?? "?") }
            #expect(seen == ["1", "2", "3", "4", "5"])
            try db.run("UPDATE meta SET value = 'x' WHERE key > 'k2'")
            #expect(db.changes == 3)
        }
    }

    @Test func badSQLIsReportedWithTheStatement() throws {
        try withStore { db, _ throws in
            let error = storeError { try db.query("SELEC 1") }
            #expect(sqliteCodes(error)?.primary == 1)                              // SQLITE_ERROR
            #expect(error?.description.contains("SELEC 1") == true)
            let duplicate = storeError { try db.run("INSERT INTO link_state(link) VALUES ('a'), ('a')") }
            #expect(sqliteCodes(duplicate)?.extended == 1555)                      // SQLITE_CONSTRAINT_PRIMARYKEY
        }
    }

    // MARK: meta, counters, audit, integrity

    @Test func countersAndMetaSurviveARestart() throws {
        try withStore { db, path throws in
            #expect(try db.nextCounter("20260302") == 1)
            #expect(try db.nextCounter("20260302") == 2)
            #expect(try db.nextCounter("20260303") == 1)
            try db.appendAudit(at: 1, user: "张三", command: "dispatch", ticket: "JN-1", fields: "{}")
            try db.appendAudit(at: 2, user: "admin", command: "init", ticket: nil, fields: "{}")
            let reopened = try Database(path: path)
            #expect(try reopened.nextCounter("20260302") == 3)
            let audit = try reopened.query("SELECT user, ticket FROM audit ORDER BY id")
            #expect(audit.map(\.values) == [[.text("张三"), .text("JN-1")], [.text("admin"), .null]])
        }
    }

    @Test func integrityCheckOfASoundFileIsEmpty() throws {
        try withStore { db, _ throws in
            for n in 0..<200 { try db.setMeta("key\(n)", String(repeating: "值", count: n)) }
            try db.checkpoint()
            #expect(try db.integrityCheck() == [])
        }
    }

    /// A cached statement is not cleared between uses: every use binds every parameter, `NULL` past the arguments
    /// given. Texts and blobs longer than the last (the bind buffer grows and moves), shorter ones, fewer arguments,
    /// and a use whose binding failed must each store exactly what that use gave.
    @Test func aCachedStatementStoresExactlyWhatEachUseBinds() throws {
        try withStore { db, _ in
            try db.execute(sql: "CREATE TABLE t(n INTEGER PRIMARY KEY, a TEXT, b BLOB, c TEXT)")
            let insert = "INSERT INTO t(n, a, b, c) VALUES(?, ?, ?, ?)"
            var expected: [[SQLValue]] = []
            var rng = SystemRandomNumberGenerator()
            for n in 1...60 {
                let a = String(repeating: "字", count: Int.random(in: 0...(n * 40), using: &rng))
                let b = (0..<Int.random(in: 1...(n * 90), using: &rng)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n) }
                let c = "c\(n)"
                var args: [SQLValue] = [.int(Int64(n)), .text(a), .blob(b), .text(c)]
                if n % 5 == 0 { args.removeLast(2) }   // b and c left out: NULL, not the last use's
                try db.run(insert, args)
                expected.append(args + Array(repeating: SQLValue.null, count: 4 - args.count))
                if n % 7 == 0 {
                    // Too many arguments: refused before the statement runs; the next use is whole again.
                    #expect(throws: StoreError.self) { try db.run(insert, args + [.int(1), .int(2)]) }
                }
            }
            let rows = try db.query("SELECT n, a, b, c FROM t ORDER BY n").map(\.values)
            #expect(rows.count == expected.count)
            for (row, want) in zip(rows, expected) {
                #expect(row[0] == want[0] && row[1] == want[1] && row[3] == want[3], "row \(want[0])")
                if case .blob(let b) = want[2] { #expect(row[2] == .blob(b), "row \(want[0])") } else { #expect(row[2] == .null) }
            }
        }
    }
}
