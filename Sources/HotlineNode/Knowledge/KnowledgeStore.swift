import Foundation
import HotlineCore
import HotlineStore
import HotlineWire

/// 知识库 in the node's database: every version of every entry (nothing is overwritten), a full-text index of the
/// current approved versions (`SearchText` pairs in FTS5, ranked by bm25 with the title weighted most), error
/// reports and the supervisions raised about entries. Work loop thread only.
struct KnowledgeStore {
    let db: Database

    static let migration = Migration(version: 13, sql: """
        CREATE TABLE kb_entries(n INTEGER PRIMARY KEY, id TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
                                owner TEXT NOT NULL, topic TEXT NOT NULL, areas TEXT NOT NULL, review_by TEXT,
                                submitted INTEGER, doc TEXT NOT NULL, UNIQUE(id, version));
        CREATE INDEX kb_entries_status ON kb_entries(status, review_by);
        CREATE VIRTUAL TABLE kb_search USING fts5(title, body, extra, tokenize = 'unicode61');
        CREATE TABLE kb_reports(id TEXT PRIMARY KEY, entry TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL,
                                by TEXT NOT NULL, corrected INTEGER);
        CREATE INDEX kb_reports_open ON kb_reports(corrected, at);
        CREATE TABLE kb_supervisions(key TEXT PRIMARY KEY, kind TEXT NOT NULL, entry TEXT NOT NULL, owner TEXT NOT NULL,
                                     raised INTEGER NOT NULL, reason TEXT NOT NULL);
        """)

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    struct Hit {
        var entry: KnowledgeEntry
        var score: Double
    }

    // MARK: - Entries

    /// Stores one version as given. An approved version supersedes the approved ones before it and replaces them
    /// in the search index.
    func store(_ entry: KnowledgeEntry) throws {
        if entry.status == .approved {
            for old in try versions(entry.id) where old.status == .approved && old.version != entry.version {
                var superseded = old
                superseded.status = .superseded
                try write(superseded)
            }
        }
        try write(entry)
    }

    private func write(_ e: KnowledgeEntry) throws {
        let doc = String(decoding: try Self.encoder.encode(e), as: UTF8.self)
        let areas = "|" + e.areas.joined(separator: "|") + "|"
        try db.run("""
            INSERT INTO kb_entries(id, version, status, owner, topic, areas, review_by, submitted, doc) VALUES(?,?,?,?,?,?,?,?,?)
            ON CONFLICT(id, version) DO UPDATE SET status = excluded.status, owner = excluded.owner, topic = excluded.topic,
              areas = excluded.areas, review_by = excluded.review_by, submitted = excluded.submitted, doc = excluded.doc
            """, [.text(e.id), .int(Int64(e.version)), .text(e.status.rawValue), .text(e.owner), .text(e.topic), .text(areas),
                  SQLValue(e.reviewBy?.iso), SQLValue(e.submittedAt?.millis), .text(doc)])
        guard let n = try db.query("SELECT n FROM kb_entries WHERE id = ? AND version = ?",
                                   [.text(e.id), .int(Int64(e.version))]).first?.int(0) else { return }
        try db.run("DELETE FROM kb_search WHERE rowid = ?", [.int(n)])
        if e.status == .approved {
            let extra = ([e.topic] + e.areas + e.scripts + e.templates + [e.source?.document ?? ""]).joined(separator: " ")
            try db.run("INSERT INTO kb_search(rowid, title, body, extra) VALUES(?, ?, ?, ?)",
                       [.int(n), .text(SearchText.indexed(e.title)), .text(SearchText.indexed(e.body)),
                        .text(SearchText.indexed(extra))])
        }
    }

    /// Every version of an entry, oldest first.
    func versions(_ id: String) throws -> [KnowledgeEntry] {
        try db.query("SELECT doc FROM kb_entries WHERE id = ? ORDER BY version", [.text(id)]).map(decode)
    }

    /// The current approved version, or the given version.
    func entry(_ id: String, version: Int? = nil) throws -> KnowledgeEntry? {
        if let version {
            return try db.query("SELECT doc FROM kb_entries WHERE id = ? AND version = ?", [.text(id), .int(Int64(version))])
                .first.map(decode)
        }
        return try db.query("SELECT doc FROM kb_entries WHERE id = ? AND status = 'approved'", [.text(id)]).first.map(decode)
    }

    func nextVersion(_ id: String) throws -> Int {
        Int(try db.query("SELECT coalesce(max(version), 0) FROM kb_entries WHERE id = ?", [.text(id)]).first?.int(0) ?? 0) + 1
    }

    /// The newest version of each entry, filtered.
    func list(status: KnowledgeStatus?, owner: String?, limit: Int) throws -> [KnowledgeEntry] {
        var sql = "SELECT doc FROM kb_entries k WHERE version = (SELECT max(version) FROM kb_entries WHERE id = k.id"
        var args: [SQLValue] = []
        if let status { sql += " AND status = ?"; args.append(.text(status.rawValue)) }
        sql += ")"
        if let owner { sql += " AND owner = ?"; args.append(.text(owner)) }
        sql += " ORDER BY id LIMIT ?"
        args.append(.int(limit > 0 ? Int64(limit) : -1))
        return try db.query(sql, args).map(decode)
    }

    /// Approved entries, ranked: bm25 with the title ten times and scripts twice the body's weight.
    func search(_ text: String, topic: String?, area: String?, limit: Int) throws -> [Hit] {
        guard let match = SearchText.query(text) else { return [] }
        // Rank and cut first, then read the documents of the few rows kept: a common word matches most entries,
        // and carrying every matching document through the sort took a third of the time (hotline-bench --scenario
        // kb: 53 → 34 ms median for a word in 86 % of 50,000 entries).
        var inner = """
            SELECT kb_search.rowid AS n, bm25(kb_search, 10.0, 1.0, 2.0) AS score FROM kb_search
            """
        var filters: [String] = []
        var args: [SQLValue] = [.text(match)]
        if let topic { filters.append("k.topic = ?"); args.append(.text(topic)) }
        if let area {
            let district = area.split(separator: "/").first.map(String.init) ?? area
            filters.append("(k.areas = '||' OR k.areas LIKE '%|*|%' OR k.areas LIKE ? OR k.areas LIKE ?)")
            args += [.text("%|\(area)%"), .text("%|\(district)|%")]
        }
        if !filters.isEmpty { inner += " JOIN kb_entries k ON k.n = kb_search.rowid" }
        inner += " WHERE kb_search MATCH ?" + filters.map { " AND " + $0 }.joined() + " ORDER BY score LIMIT ?"
        args.append(.int(Int64(max(limit, 1))))
        let sql = "SELECT e.doc, s.score FROM (\(inner)) s JOIN kb_entries e ON e.n = s.n ORDER BY s.score"
        return try db.query(sql, args).map { row in Hit(entry: try decode(row), score: -(row.double(1) ?? 0)) }
    }

    /// Approved entries past their review-by date not yet supervised for it. The city looks every minute: 5,000
    /// stale entries were a round of 64–87 ms each minute, read and decoded to find their supervision raised
    /// already. The key is the one `KnowledgeSupervision.staleKey` makes (`KnowledgeStoreTests` checks they agree).
    func unsupervisedStale(before day: LocalDate) throws -> [KnowledgeEntry] {
        try db.query("""
            SELECT doc FROM kb_entries k WHERE status = 'approved' AND review_by < ?
              AND NOT EXISTS (SELECT 1 FROM kb_supervisions WHERE key = 'stale|' || k.id || '|' || k.version)
            """, [.text(day.iso)]).map(decode)
    }

    /// The approved public entries stored after row `after`, in row order, until `maxEntries` of them or
    /// `maxBytes` of their documents: one page of `kb export`. `next` is the row to go on after, nil at the end.
    func publicPage(after: Int64, maxEntries: Int, maxBytes: Int) throws -> (entries: [KnowledgeEntry], next: Int64?) {
        var entries: [KnowledgeEntry] = []
        var bytes = 0
        var cursor = after
        while true {
            // `+status`: walk the rows in order from the cursor. By the status index SQLite read and sorted every
            // approved entry for each 16 (21 s of the node's CPU to export 50,000 entries).
            let rows = try db.query("SELECT n, doc FROM kb_entries WHERE +status = 'approved' AND n > ? ORDER BY n LIMIT 16",
                                    [.int(cursor)])
            for row in rows {
                cursor = row.int(0) ?? cursor
                guard let doc = row.string(1) else { throw StoreError.badValue("knowledge entry without a document") }
                let entry = try decode(doc)
                if entry.isPublic {
                    entries.append(entry)
                    bytes += doc.utf8.count
                }
                if entries.count >= maxEntries || bytes >= maxBytes { return (entries, cursor) }
            }
            if rows.count < 16 { return (entries, nil) }
        }
    }

    private func decode(_ row: Row) throws -> KnowledgeEntry {
        guard let doc = row.string(0) else { throw StoreError.badValue("knowledge entry without a document") }
        return try decode(doc)
    }

    private func decode(_ doc: String) throws -> KnowledgeEntry {
        try JSONStreamDecoder.decode(KnowledgeEntry.self, from: Array(doc.utf8))
    }

    // MARK: - Error reports and supervisions

    func addReport(_ r: KnowledgeReport) throws {
        try db.run("INSERT INTO kb_reports(id, entry, text, at, by, corrected) VALUES(?,?,?,?,?,NULL) ON CONFLICT(id) DO NOTHING",
                   [.text(r.id), .text(r.entry), .text(r.text), .int(r.at.millis), .text(r.by)])
    }

    /// Error reports made before `before`, still open and not yet supervised (`KnowledgeSupervision.uncorrectedErrorKey`).
    func unsupervisedOpenReports(before: Timestamp) throws -> [KnowledgeReport] {
        try db.query("""
            SELECT id, entry, text, at, by FROM kb_reports r WHERE corrected IS NULL AND at < ?
              AND NOT EXISTS (SELECT 1 FROM kb_supervisions WHERE key = 'uncorrected-error|' || r.id) ORDER BY at
            """, [.int(before.millis)]).map(report)
    }

    func reports(entry: String) throws -> [KnowledgeReport] {
        try db.query("SELECT id, entry, text, at, by, corrected FROM kb_reports WHERE entry = ? ORDER BY at", [.text(entry)]).map(report)
    }

    /// A newer approved version corrects every report made on the entry before it.
    func markCorrected(entry: String, at: Timestamp) throws {
        try db.run("UPDATE kb_reports SET corrected = ? WHERE entry = ? AND corrected IS NULL AND at <= ?",
                   [.int(at.millis), .text(entry), .int(at.millis)])
    }

    private func report(_ row: Row) throws -> KnowledgeReport {
        KnowledgeReport(id: row.string(0) ?? "", entry: row.string(1) ?? "", text: row.string(2) ?? "",
                        at: Timestamp(millis: row.int(3) ?? 0), by: row.string(4) ?? "",
                        correctedAt: row.values.count > 5 ? row.int(5).map { Timestamp(millis: $0) } : nil)
    }

    /// Stores the supervisions not raised before and returns those.
    func raise(_ due: [KnowledgeSupervision], at now: Timestamp) throws -> [KnowledgeSupervision] {
        var raised: [KnowledgeSupervision] = []
        for s in due {
            try db.run("INSERT INTO kb_supervisions(key, kind, entry, owner, raised, reason) VALUES(?,?,?,?,?,?) ON CONFLICT(key) DO NOTHING",
                       [.text(s.key), .text(s.kind.rawValue), .text(s.entry), .text(s.owner), .int(now.millis), .text(s.reason)])
            if db.changes > 0 { raised.append(s) }
        }
        return raised
    }

    func supervisions() throws -> [(KnowledgeSupervision, Timestamp)] {
        try db.query("SELECT kind, key, entry, owner, reason, raised FROM kb_supervisions ORDER BY raised DESC, key").compactMap { row -> (KnowledgeSupervision, Timestamp)? in
            guard let kind = row.string(0).flatMap(KnowledgeSupervision.Kind.init(rawValue:)) else { return nil }
            return (KnowledgeSupervision(kind: kind, key: row.string(1) ?? "", entry: row.string(2) ?? "", owner: row.string(3) ?? "",
                                         reason: row.string(4) ?? ""), Timestamp(millis: row.int(5) ?? 0))
        }
    }
}
