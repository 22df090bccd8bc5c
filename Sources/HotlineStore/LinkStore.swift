/// An application message as the outbox keeps it: everything of a data frame except the per-link seq.
public struct OutboxMessage: Sendable, Equatable {
    public var id: String
    public var origin: String
    public var dest: String
    public var kind: String
    public var at: Int64
    public var body: [UInt8]
    public init(id: String, origin: String, dest: String, kind: String, at: Int64, body: [UInt8]) {
        self.id = id
        self.origin = origin
        self.dest = dest
        self.kind = kind
        self.at = at
        self.body = body
    }
}

public struct OutboxRow: Sendable, Equatable {
    public var seq: UInt64
    public var message: OutboxMessage
}

/// The durable half of every link (protocols/README.md §3): per link, the outbox of messages not yet acknowledged
/// by the neighbour, the highest seq ever assigned (never reused, even after the rows are deleted), and the highest
/// seq durably received from the neighbour. Every method runs inside the caller's transaction, so an enqueue is
/// atomic with the change that caused it and `recordReceived` with the apply of what was received.
public struct LinkStore: @unchecked Sendable {
    public let db: Database
    /// Seals message bodies at rest (they carry tickets, with personal data); nil stores them as they are.
    public let sealer: BlobSealer?
    /// What this store enqueued and `pending` has not handed out yet, so the rows a round queued are sent from
    /// memory instead of read back, opened and checked (a tenth of a county's work loop relaying tickets: perf,
    /// hotline-bench lifecycle). Forgotten at any rollback.
    private let unsent = UnsentRows()

    public init(db: Database, sealer: BlobSealer? = nil) {
        self.db = db
        self.sealer = sealer
        db.onRollback { [unsent] in unsent.clear() }
    }

    static func label(_ link: String, _ seq: UInt64) -> String { "outbox:\(link):\(seq)" }

    public func lastReceived(link: String) throws(StoreError) -> UInt64 {
        UInt64(try db.query("SELECT last_received FROM link_state WHERE link = ?", [.text(link)]).first?.int(0) ?? 0)
    }

    public func lastAssigned(link: String) throws(StoreError) -> UInt64 {
        UInt64(try db.query("SELECT last_assigned FROM link_state WHERE link = ?", [.text(link)]).first?.int(0) ?? 0)
    }

    /// Records that every seq up to `upTo` from this neighbour is applied (same transaction as the apply).
    public func recordReceived(link: String, upTo: UInt64) throws(StoreError) {
        try db.run("""
            INSERT INTO link_state(link, last_received) VALUES(?, ?)
            ON CONFLICT(link) DO UPDATE SET last_received = max(last_received, excluded.last_received)
            """, [.text(link), SQLValue(upTo)])
    }

    /// Moves the rows numbered after `above` up by `shift`, and the counter with them: a restored database
    /// (`LinkSession.reseatAbove`) whose neighbour already holds seqs up to `above + shift` from the database that
    /// was lost. Each row is opened and sealed again under its new seq (the seal binds it); highest first, so no
    /// two rows ever share a key. Returns the rows moved.
    @discardableResult
    public func renumber(link: String, above: UInt64, by shift: UInt64) throws(StoreError) -> Int {
        guard shift > 0 else { return 0 }
        unsent.forget(link: link)
        let rows = try db.query("SELECT seq, body FROM outbox WHERE link = ? AND seq > ? ORDER BY seq DESC",
                                [.text(link), SQLValue(above)])
        for r in rows {
            guard let s = r.int(0), var body = r.blob(1) else { throw .corruptRow(link: link, seq: UInt64(r.int(0) ?? 0)) }
            let old = UInt64(s), new = old + shift
            if let sealer {
                do { body = try sealer.seal(try sealer.open(body, label: Self.label(link, old)), label: Self.label(link, new)) } catch {
                    throw .corruptRow(link: link, seq: old)
                }
            }
            try db.run("UPDATE outbox SET seq = ?, body = ? WHERE link = ? AND seq = ?",
                       [SQLValue(new), .blob(body), .text(link), SQLValue(old)])
        }
        try db.run("""
            INSERT INTO link_state(link, last_assigned) VALUES(?, ?)
            ON CONFLICT(link) DO UPDATE SET last_assigned = max(last_assigned + ?, excluded.last_assigned)
            """, [.text(link), SQLValue(above + shift), SQLValue(shift)])
        return rows.count
    }

    /// Appends a message for the neighbour and returns its seq.
    @discardableResult
    public func enqueue(link: String, message m: OutboxMessage) throws(StoreError) -> UInt64 {
        // One transaction (joining the caller's, if any): a seq is never assigned without its row.
        do {
            return try db.transaction { () throws -> UInt64 in
                // The counter read, then written, not one statement with RETURNING: SQLite keeps a RETURNING
                // statement's rows in a temporary B-tree that it builds and drops each time. Queueing a message
                // took 21,200 instructions with it, 16,000 without (callgrind, a county in the lifecycle).
                let seq = try lastAssigned(link: link) + 1
                try db.run("""
                    INSERT INTO link_state(link, last_assigned) VALUES(?, ?)
                    ON CONFLICT(link) DO UPDATE SET last_assigned = excluded.last_assigned
                    """, [.text(link), SQLValue(seq)])
                var stored = m.body
                if let sealer {
                    do { stored = try sealer.seal(m.body, label: Self.label(link, seq)) } catch {
                        throw StoreError.sealing("outbox row \(link)/\(seq): \(error)")
                    }
                }
                try db.run("INSERT INTO outbox(link, seq, msg_id, origin, dest, kind, at, body, checksum) VALUES(?,?,?,?,?,?,?,?,?)",
                           [.text(link), SQLValue(seq), .text(m.id), .text(m.origin), .text(m.dest), .text(m.kind), .int(m.at),
                            .blob(stored), .int(Self.checksum(m))])
                unsent.append(link: link, OutboxRow(seq: seq, message: m))
                return seq
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw .badValue("\(error)")
        }
    }

    /// At most `limit` rows after `seq`, in order: a backlog of any size is read in bounded batches.
    public func pending(link: String, after seq: UInt64, limit: Int) throws(StoreError) -> [OutboxRow] {
        if let rows = unsent.take(link: link, after: seq, limit: limit) { return rows }
        let out = try stored(link: link, after: seq, limit: limit)
        if let last = out.last { unsent.drop(link: link, upTo: last.seq) }
        return out
    }

    /// `pending` from the table: each row opened and checked against its checksum.
    private func stored(link: String, after seq: UInt64, limit: Int) throws(StoreError) -> [OutboxRow] {
        let rows = try db.query("""
            SELECT seq, msg_id, origin, dest, kind, at, body, checksum FROM outbox
            WHERE link = ? AND seq > ? ORDER BY seq LIMIT ?
            """, [.text(link), SQLValue(seq), .int(Int64(limit))])
        var out: [OutboxRow] = []
        out.reserveCapacity(rows.count)
        for r in rows {
            guard let s = r.int(0), let id = r.string(1), let origin = r.string(2), let dest = r.string(3),
                  let kind = r.string(4), let at = r.int(5), var body = r.blob(6), let sum = r.int(7) else {
                throw .corruptRow(link: link, seq: UInt64(r.int(0) ?? 0))
            }
            if let sealer {
                do { body = try sealer.open(body, label: Self.label(link, UInt64(s))) } catch {
                    throw .corruptRow(link: link, seq: UInt64(s))
                }
            }
            let m = OutboxMessage(id: id, origin: origin, dest: dest, kind: kind, at: at, body: body)
            // Rows an older release queued carry the FNV-1a sum (a node upgraded with a backlog sends it still).
            guard Self.checksum(m) == sum || Self.legacyChecksum(m) == sum else {
                throw .corruptRow(link: link, seq: UInt64(s))
            }
            out.append(OutboxRow(seq: UInt64(s), message: m))
        }
        return out
    }

    /// Re-encrypts every queued body under the sealer's current key (key rotation). Returns the rows rewritten.
    /// Re-encrypts up to `limit` queued messages after the row (`link`, `seq`), in key order, under the sealer's
    /// current key: a slice of `rotate-key`'s sweep. Returns how many, and the last row done (nil: none was left).
    public func reseal(after link: String, _ seq: Int64, limit: Int) throws(StoreError) -> (count: Int, last: (link: String, seq: Int64)?) {
        let rows = try db.query("SELECT link, seq, body FROM outbox WHERE (link, seq) > (?, ?) ORDER BY link, seq LIMIT ?",
                                [.text(link), .int(seq), .int(Int64(limit))])
        var last: (link: String, seq: Int64)?
        for r in rows {
            guard let link = r.string(0), let s = r.int(1), let body = r.blob(2) else { continue }
            last = (link, s)
            guard let sealer else { continue }
            let label = Self.label(link, UInt64(s))
            let fresh: [UInt8]
            do { fresh = try sealer.seal(try sealer.open(body, label: label), label: label) } catch {
                throw .sealing("outbox row \(link)/\(s): \(error)")
            }
            try db.run("UPDATE outbox SET body = ? WHERE link = ? AND seq = ?", [.blob(fresh), .text(link), .int(s)])
        }
        return (rows.count, last)
    }

    /// The neighbour has durably stored everything up to `upTo`: those rows are done.
    public func acknowledge(link: String, upTo: UInt64) throws(StoreError) {
        try db.run("DELETE FROM outbox WHERE link = ? AND seq <= ?", [.text(link), SQLValue(upTo)])
        unsent.drop(link: link, upTo: upTo)
    }

    /// The rows queued for the neighbour. The queue is always one run of consecutive seqs (appended at the end by
    /// `enqueue`, removed from the front by `acknowledge`), so the count is max - min + 1: two index seeks. A
    /// count(*) reads every queued body (the table is clustered on (link, seq)): 147 ms for 100,000 queued tickets,
    /// paid by every admin command, since each reports the links.
    /// `acknowledged`: rows up to this seq are acknowledged but not deleted yet, and do not count.
    public func pendingCount(link: String, acknowledged: UInt64 = 0) throws(StoreError) -> Int {
        try queue(link: link, acknowledged: acknowledged).pending
    }

    /// The link's queue: every seq up to `acknowledged` is acknowledged (the given value, or the one before the first
    /// row still here), and `pending` rows after it wait for the neighbour's acknowledgement; an empty queue gives
    /// back `acknowledged` as it came. Two index seeks.
    public func queue(link: String, acknowledged: UInt64 = 0) throws(StoreError) -> (acknowledged: UInt64, pending: Int) {
        guard let row = try db.query("""
            SELECT (SELECT min(seq) FROM outbox WHERE link = ?), (SELECT max(seq) FROM outbox WHERE link = ?)
            """, [.text(link), .text(link)]).first, let low = row.int(0), let high = row.int(1) else {
            return (acknowledged, 0)
        }
        let front = max(low - 1, Int64(clamping: acknowledged))
        return (UInt64(max(0, front)), Int(max(0, high - front)))
    }

    /// A 64-bit sum over the row's fields that detects a damaged row (not an attacker; TLS, the body's AES-GCM seal
    /// and file permissions do that). Eight bytes at a step: the step xors a little-endian word into the state,
    /// multiplies by an odd constant and folds the high bits down (`h = (h ^ w) * K; h ^= h >> 29`), a bijection of
    /// the state, so a change within any one word always changes the sum; a field's last bytes are a word padded
    /// with zeros, and its length is mixed in after it, so bytes cannot move between fields. FNV-1a
    /// (`legacyChecksum`) took a byte at a step, each behind the last one's multiply: 12.7 % of a county's work loop
    /// draining a backlog (perf, hotline-bench catchup, 2026-11-30). `LinkStoreTests` pins both values.
    static func checksum(_ m: OutboxMessage) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func step(_ w: UInt64) {
            h = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
        }
        func mix(_ bytes: UnsafeRawBufferPointer) {
            var i = 0
            while i + 8 <= bytes.count {
                step(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                i += 8
            }
            if i < bytes.count {
                var w: UInt64 = 0
                var shift: UInt64 = 0
                while i < bytes.count {
                    w |= UInt64(bytes[i]) << shift
                    shift += 8
                    i += 1
                }
                step(w)
            }
            step(UInt64(bytes.count))
        }
        eachField(of: m, mix)
        return Int64(bitPattern: h)
    }

    /// FNV-1a 64 over the row's fields, each followed by 0xFF: the sum rows were queued with before `checksum`; still
    /// accepted where rows are read, so a node upgraded with a backlog sends it. Each field is read through a buffer
    /// pointer, a word at a time and then byte by byte.
    static func legacyChecksum(_ m: OutboxMessage) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: UnsafeRawBufferPointer) {
            // Eight bytes loaded at a time, then taken in order (its iterator was not inlined).
            var i = 0
            while i + 8 <= bytes.count {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                for k in 0..<8 {
                    h ^= (word >> UInt64(8 * k)) & 0xff
                    h = h &* 0x100_0000_01b3
                }
                i += 8
            }
            while i < bytes.count {
                h ^= UInt64(bytes[i])
                h = h &* 0x100_0000_01b3
                i += 1
            }
            h ^= 0xff
            h = h &* 0x100_0000_01b3
        }
        eachField(of: m, mix)
        return Int64(bitPattern: h)
    }

    /// The bytes both sums read, field by field: the texts' UTF-8, the time as 8 little-endian bytes, the body.
    @inline(__always) private static func eachField(of m: OutboxMessage, _ mix: (UnsafeRawBufferPointer) -> Void) {
        func text(_ t: String) {
            var t = t
            t.withUTF8 { mix(UnsafeRawBufferPointer($0)) }
        }
        text(m.id); text(m.origin); text(m.dest); text(m.kind)
        withUnsafeBytes(of: m.at.littleEndian) { mix($0) }
        m.body.withUnsafeBytes { mix($0) }
    }
}

/// Per link, the rows most recently enqueued and not yet handed out by `pending`: one run of consecutive seqs
/// ending at the last one this store assigned. A row that does not follow the run (another connection enqueued in
/// between) starts a new run; a run longer than `capacity` loses its oldest rows, which are then read from the
/// table. Only ever a shortcut: whatever it does not hold, `pending` reads.
final class UnsentRows: @unchecked Sendable {
    // Confined to the database's owner, like the connection itself.
    private var runs: [String: [OutboxRow]] = [:]
    let capacity: Int

    /// A round rarely queues more for one link than a window (256) before it sends; rows go on queuing for a link
    /// that is down, so the bound is also what this costs then (about 0.5 MB a link for ticket-sized rows).
    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    func append(link: String, _ row: OutboxRow) {
        var run = runs.removeValue(forKey: link) ?? []
        if let last = run.last, row.seq != last.seq + 1 { run.removeAll(keepingCapacity: true) }
        run.append(row)
        if run.count > capacity { run.removeFirst(run.count - capacity) }
        runs[link] = run
    }

    /// The rows after `seq`, at most `limit`, if the run holds the next one (`seq + 1`); they and every row before
    /// them leave the run. nil when the table must be read.
    func take(link: String, after seq: UInt64, limit: Int) -> [OutboxRow]? {
        guard limit > 0, let first = runs[link]?.first, let last = runs[link]?.last,
              seq + 1 >= first.seq, seq < last.seq, var run = runs.removeValue(forKey: link) else { return nil }
        let start = Int(seq + 1 - first.seq)
        let end = min(run.count, start + limit)
        let rows = Array(run[start..<end])
        run.removeFirst(end)
        if !run.isEmpty { runs[link] = run }
        return rows
    }

    /// Forgets the rows up to `seq` (sent from the table, or acknowledged).
    func drop(link: String, upTo seq: UInt64) {
        guard let first = runs[link]?.first, seq >= first.seq, var run = runs.removeValue(forKey: link) else { return }
        run.removeFirst(min(run.count, Int(seq - first.seq + 1)))
        if !run.isEmpty { runs[link] = run }
    }

    func clear() {
        runs.removeAll()
    }

    func forget(link: String) {
        runs[link] = nil
    }
}
