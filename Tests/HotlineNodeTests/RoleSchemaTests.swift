import Foundation
import Testing
import HotlineCore
import HotlineStore
@testable import HotlineNode

/// Migrations 17 to 19: the city keeps the indexes its early warnings and figures read; counties and units, which
/// never run those, stop writing them with every ticket and event. Only counties and units erase personal data, and
/// their erasure index holds finished tickets only. Events are kept by their key alone, everywhere.
struct RoleSchemaTests {
    static let scanIndexes: Set<String> = ["tickets_alert_scan", "events_at"]

    func indexes(_ db: Database) throws -> Set<String> {
        Set(try db.query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").compactMap { $0.string(0) })
    }

    func plan(_ db: Database, _ sql: String) throws -> String {
        try db.query("EXPLAIN QUERY PLAN " + sql, [.int(0), .int(1)]).compactMap { $0.string(3) }.joined(separator: "; ")
    }

    @Test func cityKeepsTheScanIndexesCountiesAndUnitsDoNot() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let county = try NodeFixture(id: "k", role: .county)
        let unit = try NodeFixture(id: "w", role: .unit)
        let atCity = try indexes(city.context.db)
        #expect(Self.scanIndexes.isSubset(of: atCity))
        for node in [county, unit] {
            let here = try indexes(node.context.db)
            #expect(here.isDisjoint(with: Self.scanIndexes), "\(node.context.nodeId): \(here)")
            // Everything else is the same (lists, overdue), and retention is theirs alone.
            #expect(here == atCity.subtracting(Self.scanIndexes).union(["tickets_erasable"]))
            #expect(try node.context.db.query("PRAGMA user_version").first?.int(0) == 20)
        }
        #expect(!atCity.contains("tickets_erasable"))
    }

    @Test func theErasureIndexHoldsOnlyFinishedTicketsNotYetErased() throws {
        #expect(NodeSchema.finishedStatuses
                    == TicketStatus.allCases.filter(\.isFinished).map { "'\($0.rawValue)'" }.joined(separator: ","),
                "a status was added or removed: migration 18's condition is frozen, a new migration must rewrite it")
        let unit = try NodeFixture(id: "w", role: .unit)
        let db = unit.context.db
        func entries() throws -> Int64? {
            try db.query("SELECT count(*) FROM tickets INDEXED BY tickets_erasable WHERE erased = 0 AND \(NodeSchema.finishedCondition)").first?.int(0)
        }
        try db.execute(sql: """
            INSERT INTO tickets(id, status, holder, topic, area, received, updated, doc) VALUES('t1', 'signed', 'w', '供水', '', 1, 1, x'00');
            INSERT INTO tickets(id, status, holder, topic, area, received, updated, doc) VALUES('t2', 'closed', 'c', '供水', '', 1, 1, x'00');
            """)
        #expect(try entries() == 1)
        try db.execute(sql: "UPDATE tickets SET updated = 2 WHERE id = 't1'; UPDATE tickets SET erased = 1 WHERE id = 't2'")
        #expect(try entries() == 0)
        // The repository's query reads that index, and finds the finished ticket not yet erased, and only it.
        #expect(try plan(db, "SELECT id FROM tickets INDEXED BY tickets_erasable WHERE erased = 0 AND updated < ?1 AND \(NodeSchema.finishedCondition) LIMIT ?2")
            .contains("tickets_erasable"))
        try db.execute(sql: "UPDATE tickets SET erased = 0 WHERE id = 't2'")
        #expect(try unit.service.repository.erasable(before: Timestamp(millis: 5), limit: 10) == ["t2"])
        #expect(try unit.service.repository.erasable(before: Timestamp(millis: 1), limit: 10) == [])
    }

    /// Migration 20: writing a ticket's row checks the erasure index's condition without building a temporary
    /// B-tree of the finished statuses (what `status IN (…)` made SQLite do at every insert and status change).
    @Test func writingATicketsRowBuildsNoTemporaryListOfStatuses() throws {
        for (id, role) in [("w", NodeKind.unit), ("k", .county), ("c", .city)] {
            let node = try NodeFixture(id: id, role: role)
            let db = node.context.db
            for sql in ["INSERT INTO tickets(id, status, holder, topic, area, received, updated, doc) VALUES(?1, ?2, 'w', '', '', 1, 1, x'00') ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated = excluded.updated",
                        "UPDATE tickets SET status = ?2, updated = 2 WHERE id = ?1",
                        "UPDATE tickets SET erased = 1 WHERE id = ?1 AND ?2"] {
                let opcodes = try db.query("EXPLAIN " + sql, [.text("t1"), .text("closed")]).compactMap { $0.string(1) }
                #expect(opcodes.contains("Insert") || opcodes.contains("IdxInsert"), "\(id): \(sql)")
                #expect(!opcodes.contains("OpenEphemeral"), "\(id): \(sql)")
            }
        }
    }

    @Test func cityScansStillReadTheirIndexes() throws {
        let city = try NodeFixture(id: "c", role: .city)
        #expect(try plan(city.context.db, "SELECT id, topic, caller_key FROM tickets WHERE received >= ?1 AND ?2")
            .contains("COVERING INDEX tickets_alert_scan"))
        #expect(try plan(city.context.db, "SELECT DISTINCT ticket FROM events WHERE at >= ? AND at < ?")
            .contains("COVERING INDEX events_at"))
    }

    /// A unit's database written before migration 17 loses the two indexes when the node next opens it; its
    /// tickets stay.
    @Test func anOlderUnitDatabaseDropsTheIndexesWhenOpened() throws {
        let unit = try NodeFixture(id: "w", role: .unit)
        let db = unit.context.db
        try db.execute(sql: """
            CREATE INDEX tickets_alert_scan ON tickets(received, topic, district, street, caller_key, status, holder, id,
                                                       dispatched_at, sign_by, deadline, paused);
            CREATE INDEX events_at ON events(at, ticket);
            INSERT INTO tickets(id, status, holder, topic, area, received, updated, doc) VALUES('t1', 'dispatched', 'w', '供水', '', 1, 1, x'00');
            PRAGMA user_version = 16;
            """)
        #expect(Self.scanIndexes.isSubset(of: try indexes(db)))
        let reopened = try NodeContext(dir: unit.context.dir, log: Log(node: "w", sink: { _ in }))
        #expect(try indexes(reopened.db).isDisjoint(with: Self.scanIndexes))
        #expect(try reopened.db.query("SELECT count(*) FROM tickets").first?.int(0) == 1)
        #expect(try reopened.db.query("PRAGMA user_version").first?.int(0) == 20)
    }

    /// Migration 19: an event is one B-tree entry, its key's, and no index of event ids is written with it.
    @Test func eventsAreKeptByTicketAndNumberAlone() throws {
        for (id, role) in [("w", NodeKind.unit), ("k", .county), ("c", .city)] {
            let node = try NodeFixture(id: id, role: role)
            let db = node.context.db
            let table = try db.query("SELECT sql FROM sqlite_master WHERE name = 'events'").first?.string(0) ?? ""
            #expect(table.contains("WITHOUT ROWID"), "\(id): \(table)")
            // By how each came to be (`index_list`: "pk" the key, "u" a UNIQUE constraint, "c" CREATE INDEX): the
            // key alone, which WITHOUT ROWID makes the table itself, and at the city the figures' index.
            let onEvents = try db.query("PRAGMA index_list(events)").map { "\($0.string(1) ?? "?"):\($0.string(3) ?? "?")" }
            #expect(onEvents.sorted() == (role == .city ? ["events_at:c", "sqlite_autoindex_events_1:pk"] : ["sqlite_autoindex_events_1:pk"]),
                    "\(id): \(onEvents)")
            #expect(try plan(db, "SELECT doc FROM events WHERE ticket = ?1 AND ?2 ORDER BY n").contains("PRIMARY KEY"))
        }
    }

    /// The events table as migrations 10 and 15 left it (rowid, a unique index of event ids), empty.
    static let eventsBeforeMigration19 = """
        DROP TABLE events;
        CREATE TABLE events(ticket TEXT NOT NULL, n INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
                            at INTEGER NOT NULL, node TEXT NOT NULL, doc BLOB NOT NULL, to_node TEXT, on_time INTEGER,
                            late_return INTEGER, resolved INTEGER, level TEXT, stars INTEGER, kb INTEGER NOT NULL DEFAULT 0,
                            PRIMARY KEY(ticket, n));

        """

    /// A database written before migration 19 keeps every event, its columns and its order when its table is copied;
    /// the city's figures index is there again.
    @Test func anOlderDatabasesEventsAreCopiedWhole() throws {
        for (id, role) in [("w", NodeKind.unit), ("c", .city)] {
            let node = try NodeFixture(id: id, role: role)
            try node.context.db.execute(sql: Self.eventsBeforeMigration19 + """
                \(role == .city ? "CREATE INDEX events_at ON events(at, ticket);" : "")
                INSERT INTO events VALUES('t2', 1, 'e3', 'received', 30, 'c', x'03', NULL, NULL, NULL, NULL, NULL, NULL, 0);
                INSERT INTO events VALUES('t1', 2, 'e2', 'dispatched', 20, 'c', x'02', 'w', 1, 0, NULL, 'A', NULL, 0);
                INSERT INTO events VALUES('t1', 1, 'e1', 'received', 10, 'c', x'01', NULL, NULL, NULL, 1, NULL, 5, 1);
                PRAGMA user_version = 18;
                """)
            let before = try node.context.db.query("SELECT * FROM events ORDER BY ticket, n").map(\.values)
            let lines = NodeFixture.Sink()
            let reopened = try NodeContext(dir: node.context.dir, log: Log(node: id, sink: { lines.append($0) }))
            let after = try reopened.db.query("SELECT * FROM events ORDER BY ticket, n").map(\.values)
            // The operator sees the upgrade start and end (a large one takes minutes before the node listens).
            #expect(lines.all.contains { $0.contains("event=schema-upgrade ") && $0.contains("from=18") && $0.contains("to=20") })
            #expect(lines.all.contains { $0.contains("event=schema-upgraded ") && $0.contains("seconds=") })
            #expect(after.count == 3 && after == before)
            #expect(try reopened.db.query("SELECT sql FROM sqlite_master WHERE name = 'events'").first?.string(0)?.contains("WITHOUT ROWID") == true)
            let figuresIndex = try reopened.db.query("SELECT name FROM sqlite_master WHERE name = 'events_at'").first?.string(0)
            #expect(figuresIndex == (role == .city ? "events_at" : nil))
        }
    }

    /// Mounting a small tmpfs (the full disk below) needs root, as CI has in its container.
    static let canMountTmpfs: Bool = {
        let dir = NSTemporaryDirectory() + "hl-schema-probe-\(getpid())"
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

    /// Migration 19 copies the events table, so an upgrade needs free disk about its size. Without it the node does
    /// not start, says so and what to do, and the file stays at version 18 with every event; with room, it upgrades.
    @Test(.enabled(if: canMountTmpfs, "mounting a tmpfs needs root"))
    func anUpgradeShortOfDiskChangesNothingAndSaysWhatToDo() throws {
        let node = try NodeFixture(id: "w", role: .unit)
        try node.context.db.execute(sql: Self.eventsBeforeMigration19 + """
            WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 6000)
            INSERT INTO events(ticket, n, event_id, type, at, node, doc) SELECT 't' || i, 1, 'e' || i, 'received', i, 'c', randomblob(600) FROM k;
            PRAGMA user_version = 18;
            """)
        try node.context.db.checkpoint()
        let mount = node.dir.appendingPathComponent("small-disk").path
        let data = mount + "/w"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: node.context.dir.appendingPathComponent("node.db").path)[.size] as? Int)
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        // Room for the data directory and about a tenth more: not for a second copy of the events.
        #expect(Self.sh("mount -t tmpfs -o size=\(size / 1024 + size / 10240 + 256)k tmpfs '\(mount)'") == 0)
        defer { _ = Self.sh("umount -l '\(mount)'") }
        #expect(Self.sh("cp -a '\(node.context.dir.path)' '\(data)' && rm -f '\(data)/node.db-wal' '\(data)/node.db-shm'") == 0)
        do {
            _ = try NodeContext(dir: URL(fileURLWithPath: data), log: Log(node: "w", sink: { _ in }))
            Issue.record("the upgrade cannot have fitted")
        } catch let NodeError.upgradeFailed(reached, latest, error) {
            #expect(reached == 18 && latest == 20 && error.isDiskFull)
            #expect("\(NodeError.upgradeFailed(reached: reached, latest: latest, error: error))".contains("free space about that table's size"))
        }
        let after = try Database(path: data + "/node.db")
        #expect(try after.query("PRAGMA user_version").first?.int(0) == 18)
        #expect(try after.query("SELECT count(*) FROM events").first?.int(0) == 6000)
        #expect(try after.integrityCheck().isEmpty)
        // Given room, the next start upgrades.
        #expect(Self.sh("mount -o remount,size=\(4 * size / 1024 + 1024)k '\(mount)'") == 0)
        let upgraded = try NodeContext(dir: URL(fileURLWithPath: data), log: Log(node: "w", sink: { _ in }))
        #expect(try upgraded.db.query("PRAGMA user_version").first?.int(0) == 20)
        #expect(try upgraded.db.query("SELECT count(*) FROM events").first?.int(0) == 6000)
    }

    /// A database already at this release's version is opened without an upgrade, and says nothing of one.
    @Test func aCurrentDatabaseIsOpenedWithoutAnUpgrade() throws {
        let node = try NodeFixture(id: "w", role: .unit)
        let lines = NodeFixture.Sink()
        _ = try NodeContext(dir: node.context.dir, log: Log(node: "w", sink: { lines.append($0) }))
        #expect(!lines.all.contains { $0.contains("schema-upgrade") })
        #expect(!node.log.contains { $0.contains("schema-upgrade") }, "a new database is made, not upgraded")
    }

    /// A unit's database written before migration 18 gets the narrower erasure index when the node next opens it;
    /// a city's loses it.
    @Test func anOlderDatabaseGetsTheErasureIndexOfItsRoleWhenOpened() throws {
        for (id, role) in [("w", NodeKind.unit), ("c", .city)] {
            let node = try NodeFixture(id: id, role: role)
            try node.context.db.execute(sql: """
                DROP INDEX IF EXISTS tickets_erasable;
                CREATE INDEX tickets_erasable ON tickets(erased, updated);
                PRAGMA user_version = 17;
                """)
            let reopened = try NodeContext(dir: node.context.dir, log: Log(node: id, sink: { _ in }))
            let sql = try reopened.db.query("SELECT sql FROM sqlite_master WHERE name = 'tickets_erasable'").first?.string(0)
            if role == .city { #expect(sql == nil) } else { #expect(sql?.contains("WHERE erased = 0 AND (status = 'answered' OR") == true) }
        }
    }
}
