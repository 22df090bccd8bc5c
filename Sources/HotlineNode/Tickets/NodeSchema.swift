import HotlineStore

/// The node's own tables, after the store's (link state, outbox, meta, audit).
enum NodeSchema {
    /// The migrations of a node of this role: the same tables everywhere, and only the indexes the role reads.
    static func migrations(for role: NodeKind) -> [Migration] { shared + roleIndexes(role) }

    /// The statuses of a finished ticket (`TicketStatus.isFinished`) as the erasure index's condition and its query
    /// write them. Frozen with migration 18: SQLite reads a partial index only for a query naming its condition, so
    /// a status added later needs a new migration (`RoleSchemaTests` compares this with `isFinished`).
    static let finishedStatuses = "'answered','rejected','referred','closed','archived','terminated'"

    /// The same statuses as migration 20's index condition and the erasure query write them: comparisons joined by
    /// OR, which SQLite evaluates in place. `status IN (…)` of more than two values it evaluates by building a
    /// temporary B-tree of the list, each time a statement writes a ticket's row: 14 % of a unit's work loop's
    /// instructions in a durable hop (callgrind; `sqlite3BtreeCreateTable` once a message). Frozen with migration
    /// 20, as `finishedStatuses` is with 18.
    static let finishedCondition = "(" + finishedStatuses.split(separator: ",").map { "status = \($0)" }.joined(separator: " OR ") + ")"

    /// How many unfinished tickets meet `condition`, and the first few ids in `order`: what an operator is told
    /// stands in the way of a change (`topology --check`) or is touched by one (`calendar --check`).
    static func openTickets(_ db: Database, where condition: String, _ values: [SQLValue], order: String = "id") throws -> (count: Int, examples: [String]) {
        let where_ = "(\(condition)) AND NOT \(finishedCondition)"
        let count = try db.query("SELECT count(*) FROM tickets WHERE \(where_)", values).first?.int(0) ?? 0
        let ids = try db.query("SELECT id FROM tickets WHERE \(where_) ORDER BY \(order) LIMIT 3", values).compactMap { $0.string(0) }
        return (Int(count), ids)
    }

    /// The early warnings (`tickets_alert_scan`) and the figures and reports (`events_at`) run at the city only
    /// (`CommonCommands.all`, `TicketService.runTimers`). At a county or a unit the two indexes were written with
    /// every ticket and event and never read: 3 of the 15 B-tree inserts of a ticket.assign with two events, and the
    /// widest of them (perf, hotline-bench hop). A node's role is fixed when it is initialised, and so is its schema.
    ///
    /// Migration 18: the erasure of callers' personal data (counties and units, `TicketService.runTimers`) reads
    /// finished tickets not yet erased. Indexed on `(erased, updated)`, every step of every ticket moved its entry
    /// (`updated` changes at each): one more page into the log with each commit, a tenth of a step's at a unit. Now
    /// only finished tickets are in it, entered once; the city, which keeps its tickets whole, has no such index.
    ///
    /// Migration 19: events are kept in their key's order (`WITHOUT ROWID`, keyed by ticket and number), and no
    /// longer under a unique index of their ids. An event was three B-tree inserts (the table, its key, its id) and
    /// now one; nothing ever looked an event up by its id, and a ticket's events are read, numbered and deleted by
    /// its key. The index kept one ticket from holding an event twice, which the service checks where events come
    /// in (`TicketService.checkEvents`, and `applyRemote` and `observe` skip an event already held). The table is
    /// copied once when a node first opens an older database; the city's figures index is made again over it.
    ///
    /// Migration 20: the erasure index's condition names the finished statuses with OR (`finishedCondition`), not
    /// IN: SQLite built a temporary B-tree of an IN list each time it wrote a ticket's row, to check the condition.
    static func roleIndexes(_ role: NodeKind) -> [Migration] {
        switch role {
        case .city: [
            Migration(version: 17, sql: "SELECT 1 -- the city reads every index"),
            Migration(version: 18, sql: "DROP INDEX IF EXISTS tickets_erasable"),
            Migration(version: 19, sql: eventsByKey + "\nCREATE INDEX events_at ON events(at, ticket);"),
            Migration(version: 20, sql: "SELECT 1 -- the city has no erasure index"),
        ]
        case .county, .unit: [
            Migration(version: 17, sql: """
                DROP INDEX IF EXISTS tickets_alert_scan;
                DROP INDEX IF EXISTS events_at;
                """),
            Migration(version: 18, sql: """
                DROP INDEX IF EXISTS tickets_erasable;
                CREATE INDEX tickets_erasable ON tickets(updated) WHERE erased = 0 AND status IN (\(finishedStatuses));
                """),
            Migration(version: 19, sql: eventsByKey),
            Migration(version: 20, sql: """
                DROP INDEX IF EXISTS tickets_erasable;
                CREATE INDEX tickets_erasable ON tickets(updated) WHERE erased = 0 AND \(finishedCondition);
                """),
        ]
        }
    }

    /// Migration 19's copy of the events table (its columns as migrations 10 and 15 left them).
    static let eventsByKey = """
        CREATE TABLE events_by_key(ticket TEXT NOT NULL, n INTEGER NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
                                   at INTEGER NOT NULL, node TEXT NOT NULL, doc BLOB NOT NULL, to_node TEXT,
                                   on_time INTEGER, late_return INTEGER, resolved INTEGER, level TEXT, stars INTEGER,
                                   kb INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(ticket, n)) WITHOUT ROWID;
        INSERT INTO events_by_key(ticket, n, event_id, type, at, node, doc, to_node, on_time, late_return, resolved,
                                  level, stars, kb)
            SELECT ticket, n, event_id, type, at, node, doc, to_node, on_time, late_return, resolved, level, stars, kb
            FROM events;
        DROP TABLE events;
        ALTER TABLE events_by_key RENAME TO events;
        """

    static let shared: [Migration] = [
        Migration(version: 10, sql: """
            CREATE TABLE tickets(id TEXT PRIMARY KEY, status TEXT NOT NULL, holder TEXT NOT NULL, topic TEXT NOT NULL,
                                 area TEXT NOT NULL, received INTEGER NOT NULL, deadline INTEGER, updated INTEGER NOT NULL,
                                 doc BLOB NOT NULL);
            CREATE INDEX tickets_status ON tickets(status);
            CREATE INDEX tickets_holder ON tickets(holder);
            CREATE INDEX tickets_deadline ON tickets(deadline);
            CREATE INDEX tickets_received ON tickets(received);
            CREATE TABLE events(ticket TEXT NOT NULL, n INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
                                at INTEGER NOT NULL, node TEXT NOT NULL, doc BLOB NOT NULL, PRIMARY KEY(ticket, n));
            CREATE INDEX events_at ON events(at);
            CREATE TABLE notices(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, origin TEXT NOT NULL, ticket TEXT,
                                 text TEXT NOT NULL);
            """),
        // Counties and units erase callers' personal fields of closed tickets after the retention period.
        Migration(version: 11, sql: """
            ALTER TABLE tickets ADD COLUMN erased INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX tickets_erasable ON tickets(erased, updated);
            """),
        // The city's early warnings (raised once each) and the typical cases chosen for the monthly bulletin.
        Migration(version: 12, sql: """
            CREATE TABLE alerts(key TEXT PRIMARY KEY, kind TEXT NOT NULL, raised INTEGER NOT NULL, subject TEXT NOT NULL,
                                tickets TEXT NOT NULL, message TEXT NOT NULL, basis TEXT NOT NULL);
            CREATE INDEX alerts_raised ON alerts(raised);
            CREATE TABLE typical_cases(ticket TEXT PRIMARY KEY, month TEXT NOT NULL, summary TEXT NOT NULL,
                                       marked INTEGER NOT NULL, user TEXT NOT NULL);
            CREATE INDEX typical_cases_month ON typical_cases(month);
            """),
        KnowledgeStore.migration,
        // `list --overdue` must not decode every ticket of a year to find the few overdue ones: a stored late
        // verdict gets its own column (filled for older rows by `TicketRepository.fillOverdueColumn`).
        Migration(version: 14, sql: """
            ALTER TABLE tickets ADD COLUMN overdue INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX tickets_overdue ON tickets(overdue) WHERE overdue = 1;
            INSERT INTO meta(key, value) SELECT 'tickets.overdue-filled', '1' WHERE NOT EXISTS (SELECT 1 FROM tickets);
            """),
        // A month's figures must not open and decode every document of the month (13 s on a year of a city's
        // tickets): what they count, none of it personal, gets plain columns (`FigureTicket`, `FigureEvent`), filled
        // for older rows by `TicketRepository.fillFigureColumns`.
        Migration(version: 15, sql: """
            ALTER TABLE tickets ADD COLUMN centre TEXT NOT NULL DEFAULT '';
            ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT '';
            ALTER TABLE events ADD COLUMN to_node TEXT;
            ALTER TABLE events ADD COLUMN on_time INTEGER;
            ALTER TABLE events ADD COLUMN late_return INTEGER;
            ALTER TABLE events ADD COLUMN resolved INTEGER;
            ALTER TABLE events ADD COLUMN level TEXT;
            ALTER TABLE events ADD COLUMN stars INTEGER;
            ALTER TABLE events ADD COLUMN kb INTEGER NOT NULL DEFAULT 0;
            -- Which tickets a period touches, from the index alone (not one table row per event: 0.7 s a month).
            DROP INDEX events_at;
            CREATE INDEX events_at ON events(at, ticket);
            INSERT INTO meta(key, value) SELECT 'figures.columns-filled', '1' WHERE NOT EXISTS (SELECT 1 FROM tickets);
            """),
        // The city's once-a-minute early-warning scan must not decode a month of documents on the work loop (4 s a
        // minute on a year of a city's tickets): what it reads gets plain columns (`AlertTicket`), the caller only as
        // a keyed hash (`CallerTagger`). Filled for older rows by `TicketRepository.fillAlertColumns`.
        Migration(version: 16, sql: """
            ALTER TABLE tickets ADD COLUMN district TEXT NOT NULL DEFAULT '';
            ALTER TABLE tickets ADD COLUMN street TEXT NOT NULL DEFAULT '';
            ALTER TABLE tickets ADD COLUMN caller_key TEXT;
            ALTER TABLE tickets ADD COLUMN dispatched_at INTEGER;
            ALTER TABLE tickets ADD COLUMN sign_by INTEGER;
            ALTER TABLE tickets ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
            -- The scan reads a month of these from the index alone (the table rows carry the documents: 0.4 s more),
            -- and the few older open tickets through (status, received). The new index leads with `received`, so
            -- tickets_received goes.
            CREATE INDEX tickets_alert_scan ON tickets(received, topic, district, street, caller_key, status, holder, id,
                                                       dispatched_at, sign_by, deadline, paused);
            DROP INDEX tickets_received;
            DROP INDEX tickets_status;
            CREATE INDEX tickets_status ON tickets(status, received);
            -- An empty database has nothing to fill: every row will be written with its columns.
            INSERT INTO meta(key, value) SELECT 'alerts.columns-key', 'fresh' WHERE NOT EXISTS (SELECT 1 FROM tickets);
            """),
    ]
}
