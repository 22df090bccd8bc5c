import Foundation
import Testing
@testable import HotlineStore

/// The write-ahead log is copied into the database by a thread of its own; what was committed is all there, and the
/// log stays bounded while commits keep coming.
struct BackgroundCheckpointerTests {
    static let pageBytes = 4096 + 24

    func walBytes(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
    }

    /// A database in `dir` with one table, checkpointed in the background every 16 pages.
    func open(_ dir: URL, _ name: String) throws -> (Database, String) {
        let path = dir.appendingPathComponent(name).path
        let db = try Database(path: path)
        try db.execute(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB NOT NULL)")
        try db.checkpointInBackground(threshold: 16)
        return (db, path)
    }

    /// `count` commits of one ~3 KB row each (about a page of log apiece); the largest log seen after a commit.
    func write(_ db: Database, path: String, from first: Int, count: Int) throws -> Int {
        var largest = 0
        for i in first..<(first + count) {
            try db.transaction {
                try db.run("INSERT INTO t(id, v) VALUES(?, ?)", [.int(Int64(i)), .blob([UInt8](repeating: UInt8(i & 0xff), count: 3_000))])
            }
            largest = max(largest, walBytes(path))
        }
        return largest
    }

    @Test func everyCommitIsKeptAndTheLogStaysBounded() throws {
        try withTemporaryDirectory { dir throws in
            let (db, path) = try open(dir, "wal.sqlite")
            let largest = try write(db, path: path, from: 0, count: 600)
            let passes = try #require(db.backgroundCheckpoints)
            // The thread did the copying; the log restarted instead of growing to 600+ pages.
            #expect(passes.background > 0)
            #expect(passes.writer > 0)
            #expect(largest <= Int(16 * 8 + 8) * Self.pageBytes, "the log grew to \(largest) bytes")
            #expect(try db.query("SELECT count(*), sum(length(v)) FROM t").first.map { [$0.int(0), $0.int(1)] } == [600, 1_800_000])
            db.stopBackgroundCheckpoints()
            #expect(db.backgroundCheckpoints == nil)
            // SQLite's own checkpoints are back: the log still does not grow without bound.
            let after = try write(db, path: path, from: 600, count: 1_200)
            #expect(after <= 1_100 * Self.pageBytes)
            try db.checkpoint()
            #expect(try db.integrityCheck() == [])
            let reopened = try Database(path: path)
            #expect(try reopened.query("SELECT count(*) FROM t").first?.int(0) == 1_800)
        }
    }

    /// A reader's open snapshot holds the log back (a long `figures`): nothing is lost, and once it ends the log
    /// starts over again.
    @Test func aLongReaderDelaysTheCopyWithoutLosingAnything() throws {
        try withTemporaryDirectory { dir throws in
            let (db, path) = try open(dir, "reader.sqlite")
            _ = try write(db, path: path, from: 0, count: 50)
            let reader = try Database(path: path, options: DatabaseOptions(readOnly: true))
            try reader.execute(sql: "BEGIN")
            #expect(try reader.query("SELECT count(*) FROM t").first?.int(0) == 50)
            _ = try write(db, path: path, from: 50, count: 300)
            #expect(try reader.query("SELECT count(*) FROM t").first?.int(0) == 50)
            try reader.execute(sql: "COMMIT")
            let grown = walBytes(path)
            _ = try write(db, path: path, from: 350, count: 300)
            // A few commits may still go to its end before a copy completes; not another 300 pages.
            #expect(walBytes(path) <= grown + 16 * Self.pageBytes, "the log grew from \(grown) to \(walBytes(path)) bytes")
            #expect(try reader.query("SELECT count(*) FROM t").first?.int(0) == 650)
            db.stopBackgroundCheckpoints()
        }
    }
}
