import Foundation
import Testing
@testable import HotlineStore

/// The write-ahead log's writes handed to the kernel a commit at once (`LogWriteVFS`), and nothing else changed:
/// what one connection commits another sees at once, what was committed survives, what failed is not there.
@Suite struct LogWriteVFSTests {
    /// A row of `size` bytes, different for every `i`.
    static func blob(_ i: Int, size: Int = 3_000) -> SQLValue {
        .blob((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) })
    }

    @Test func aCommitsLogFramesReachTheKernelAsOneWrite() throws {
        try withStore { db, _ in
            try db.execute(sql: "CREATE TABLE t(i INTEGER PRIMARY KEY, b BLOB NOT NULL)")
            let before = try #require(LogWriteVFS.writes(of: db.handle), "the writer's log is not the batching VFS's")
            try db.transaction {
                for i in 0..<8 { try db.run("INSERT INTO t(i, b) VALUES(?, ?)", [.int(Int64(i)), Self.blob(i)]) }
            }
            let after = try #require(LogWriteVFS.writes(of: db.handle))
            // Eight rows of 3 KB fill at least eight pages: SQLite asks for two writes a frame (its header, its page).
            #expect(after.asked - before.asked >= 16)
            #expect(after.made - before.made == 1)
        }
    }

    @Test func aConnectionThatDoesNotSyncEveryCommitWritesItsLogAsSQLiteDoes() throws {
        try withTemporaryDirectory { dir in
            let db = try Database(path: dir.appendingPathComponent("n.sqlite").path, options: DatabaseOptions(synchronous: .normal))
            try db.execute(sql: "CREATE TABLE t(i INTEGER PRIMARY KEY)")
            #expect(LogWriteVFS.writes(of: db.handle) == nil)
        }
    }

    /// Commits small and larger than the buffer, a transaction big enough to spill pages into the log before it
    /// is rolled back, and a checkpoint between them: another connection (the default VFS) sees each commit as soon
    /// as it returns, and the file reopened holds exactly what was committed.
    @Test func everyCommitIsSeenByAnotherConnectionAtOnceAndSurvivesReopening() throws {
        try withStore { db, path in
            try db.execute(sql: "CREATE TABLE t(i INTEGER PRIMARY KEY, b BLOB NOT NULL)")
            let reader = try Database(path: path, options: DatabaseOptions(readOnly: true))
            var expected: [Int: SQLValue] = [:]
            func check() throws {
                let rows = try reader.query("SELECT i, b FROM t ORDER BY i")
                #expect(rows.count == expected.count)
                for row in rows {
                    let i = Int(try #require(row.int(0)))
                    #expect(row.blob(1).map { SQLValue.blob($0) } == expected[i], "row \(i) as the reader sees it")
                }
            }
            var next = 0
            func commit(rows: Int, size: Int) throws {
                try db.transaction {
                    for _ in 0..<rows {
                        let value = Self.blob(next, size: size)
                        try db.run("INSERT INTO t(i, b) VALUES(?, ?)", [.int(Int64(next)), value])
                        expected[next] = value
                        next += 1
                    }
                }
                try check()
            }
            for _ in 0..<40 { try commit(rows: 1, size: 200) }
            try commit(rows: 200, size: 2_000)  // ~400 KB: written in several pieces of the buffer's size
            // A transaction whose pages spill into the log before it commits, then rolled back: its frames are
            // written but never published, and the next commit writes over them.
            try db.execute(sql: "PRAGMA cache_size=20")
            try db.execute(sql: "BEGIN IMMEDIATE")
            for i in 0..<300 { try db.run("INSERT INTO t(i, b) VALUES(?, ?)", [.int(Int64(100_000 + i)), Self.blob(i, size: 2_000)]) }
            try db.execute(sql: "ROLLBACK")
            try check()
            try db.execute(sql: "PRAGMA cache_size=-2000")
            for _ in 0..<20 { try commit(rows: 3, size: 1_000) }
            try db.checkpoint()
            for _ in 0..<20 { try commit(rows: 2, size: 5_000) }
            try db.transaction { try db.run("UPDATE t SET b = ? WHERE i = 7", [Self.blob(7_000)]) }
            expected[7] = Self.blob(7_000)
            try check()

            let reopened = try Database(path: path)
            #expect(try reopened.integrityCheck().isEmpty)
            let rows = try reopened.query("SELECT i, b FROM t ORDER BY i")
            #expect(rows.count == expected.count)
            for row in rows {
                let i = Int(try #require(row.int(0)))
                #expect(row.blob(1).map { SQLValue.blob($0) } == expected[i])
            }
        }
    }

    /// A disk that fills while a commit's log frames are kept: the write fails when they are handed over, at the
    /// commit's sync, and the commit fails as "disk full" — what was committed before is all there, the failed
    /// transaction is not, and the database is sound.
    @Test(.enabled(if: canMountTmpfs, "mounting a tmpfs needs root"))
    func aDiskFullWhenTheKeptFramesAreWrittenFailsTheCommitAndKeepsTheCommittedOnes() throws {
        try withTemporaryDirectory { dir in
            let mount = dir.appendingPathComponent("small").path
            try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
            #expect(Self.sh("mount -t tmpfs -o size=1024k tmpfs '\(mount)'") == 0)
            defer { _ = Self.sh("umount -l '\(mount)'") }
            let path = mount + "/n.sqlite"
            let db = try Database(path: path)
            try db.execute(sql: "CREATE TABLE t(i INTEGER PRIMARY KEY, b BLOB NOT NULL)")
            var committed = 0
            var failure: StoreError?
            // Commits of five 3 KB rows (under the buffer's 128 KB) until the 1 MB disk is full.
            while failure == nil, committed < 2_000 {
                do {
                    try db.transaction {
                        for k in 0..<5 {
                            try db.run("INSERT INTO t(i, b) VALUES(?, ?)", [.int(Int64(committed + k)), Self.blob(committed + k)])
                        }
                    }
                    committed += 5
                } catch let error as StoreError {
                    failure = error
                }
            }
            let error = try #require(failure, "a 1 MB disk took \(committed) rows of 3 KB")
            #expect(error.isDiskFull, "\(error)")
            let reader = try Database(path: path, options: DatabaseOptions(readOnly: true))
            #expect(try reader.query("SELECT count(*) FROM t").first?.int(0) == Int64(committed))
            #expect(try reader.integrityCheck().isEmpty)
            let rows = try reader.query("SELECT i, b FROM t ORDER BY i")
            #expect(rows.indices.allSatisfy { rows[$0].int(0) == Int64($0) && rows[$0].blob(1).map { SQLValue.blob($0) } == Self.blob($0) })
        }
    }

    /// Mounting a small tmpfs needs root, as CI has in its container.
    static let canMountTmpfs: Bool = {
        let dir = NSTemporaryDirectory() + "hl-vfs-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { _ = sh("umount '\(dir)'; rmdir '\(dir)'") }
        return sh("mount -t tmpfs -o size=64k tmpfs '\(dir)'") == 0
    }()

    static func sh(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
