import Foundation
import Testing
@testable import HotlineStore

/// A message as a node would queue it; `n` makes each one different.
func message(_ n: Int, dest: String = "water") -> OutboxMessage {
    OutboxMessage(id: "msg-\(n)", origin: "city", dest: dest, kind: "event",
                  at: 1_772_413_200_000 + Int64(n), body: Array("{\"ticket\":\"JN-\(n)\",\"text\":\"停水第\(n)天\"}".utf8) + [0, 0xff])
}

/// The corruptRow link and seq `body` throws, or nil.
func corruptRow(_ body: () throws -> Void) -> (link: String, seq: UInt64)? {
    if case .corruptRow(let link, let seq) = storeError(body) { return (link, seq) }
    return nil
}

@Suite struct LinkStoreTests {
    @Test func enqueueAssignsIncreasingSeqPerLinkStartingAtOne() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            #expect(try links.lastAssigned(link: "water") == 0)
            let seqs = try (1...5).map { try links.enqueue(link: "water", message: message($0)) }
            #expect(seqs == [1, 2, 3, 4, 5])
            #expect(try links.lastAssigned(link: "water") == 5)
            #expect(try links.pendingCount(link: "water") == 5)
        }
    }

    /// Queueing, receiving and acknowledging run on every message a node sends or gets: none of their statements
    /// builds a temporary B-tree each time it runs (as `INSERT … RETURNING` did for each seq).
    @Test func queueingAndAcknowledgingBuildNoTemporaryTables() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            try links.recordReceived(link: "city", upTo: 3)
            for n in 1...3 { try links.enqueue(link: "city", message: message(n)) }
            _ = try links.pending(link: "city", after: 0, limit: 10)
            try links.acknowledge(link: "city", upTo: 2)
            _ = try links.pendingCount(link: "city")
            #expect(try db.statementsBuildingTemporaryTables() == [])
            // The check itself sees such a statement.
            try db.run("SELECT 1 WHERE 2 IN (1, 2, 3)")
            #expect(try db.statementsBuildingTemporaryTables() == ["SELECT 1 WHERE 2 IN (1, 2, 3)"])
        }
    }

    /// `pendingCount` relies on the queue being one run of consecutive seqs; it must equal a real count through
    /// any mix of appends, acknowledgements (including ones past the end) and other links.
    @Test func pendingCountEqualsTheRowsQueuedThroughAppendsAndAcknowledgements() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            var rng = SystemRandomNumberGenerator()
            var n = 0
            for _ in 0..<200 {
                let link = Bool.random(using: &rng) ? "water" : "east"
                if Int.random(in: 0..<3, using: &rng) == 0 {
                    let last = try links.lastAssigned(link: link)
                    try links.acknowledge(link: link, upTo: UInt64.random(in: 0...(last + 2), using: &rng))
                } else {
                    n += 1
                    try links.enqueue(link: link, message: message(n, dest: link))
                }
                for l in ["water", "east", "nobody"] {
                    let counted = Int(try db.query("SELECT count(*) FROM outbox WHERE link = ?", [.text(l)]).first?.int(0) ?? -1)
                    #expect(try links.pendingCount(link: l) == counted)
                    // Rows acknowledged but not deleted yet (the daemon deletes them later) do not count.
                    let acked = UInt64.random(in: 0...(try links.lastAssigned(link: l) + 2), using: &rng)
                    let unacked = Int(try db.query("SELECT count(*) FROM outbox WHERE link = ? AND seq > ?",
                                                   [.text(l), .int(Int64(acked))]).first?.int(0) ?? -1)
                    #expect(try links.pendingCount(link: l, acknowledged: acked) == unacked)
                }
            }
        }
    }

    @Test func linksAreIndependent() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            try links.enqueue(link: "water", message: message(1))
            try links.enqueue(link: "water", message: message(2))
            #expect(try links.enqueue(link: "east", message: message(3, dest: "east")) == 1)
            try links.recordReceived(link: "east", upTo: 4)
            try links.acknowledge(link: "east", upTo: 1)
            #expect(try links.pendingCount(link: "water") == 2)
            #expect(try links.pendingCount(link: "east") == 0)
            #expect(try links.lastReceived(link: "water") == 0)
            #expect(try links.lastReceived(link: "east") == 4)
            #expect(try links.pending(link: "water", after: 0, limit: 10).map(\.message.id) == ["msg-1", "msg-2"])
            #expect(try links.pending(link: "nobody", after: 0, limit: 10).isEmpty)
        }
    }

    @Test func pendingReadsABacklogInOrderedBatches() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            let sent = (1...10).map { message($0) }
            try db.transaction { for m in sent { try links.enqueue(link: "water", message: m) } }
            var read: [OutboxRow] = []
            var after: UInt64 = 0
            var batches: [Int] = []
            while true {
                let batch = try links.pending(link: "water", after: after, limit: 4)
                if batch.isEmpty { break }
                batches.append(batch.count)
                read += batch
                after = batch.last?.seq ?? after
            }
            #expect(batches == [4, 4, 2])
            #expect(read.map(\.seq) == Array(1...10))
            #expect(read.map(\.message) == sent, "every field comes back as enqueued")
        }
    }

    @Test func acknowledgeRemovesOnlyUpToTheGivenSeq() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            for n in 1...10 { try links.enqueue(link: "water", message: message(n)) }
            try links.acknowledge(link: "water", upTo: 3)
            #expect(try links.pendingCount(link: "water") == 7)
            #expect(try links.pending(link: "water", after: 0, limit: 1).first?.seq == 4)
            try links.acknowledge(link: "water", upTo: 2)                      // an old ack changes nothing
            #expect(try links.pendingCount(link: "water") == 7)
            try links.acknowledge(link: "water", upTo: 10)
            #expect(try links.pendingCount(link: "water") == 0)
        }
    }

    @Test func seqIsNeverReusedAfterAcknowledgeAndRestart() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir.appendingPathComponent("node.sqlite").path
            do {
                let db = try Database(path: path)
                try db.migrate([])
                let links = LinkStore(db: db)
                for n in 1...3 { try links.enqueue(link: "water", message: message(n)) }
                try links.acknowledge(link: "water", upTo: 3)
                #expect(try links.enqueue(link: "water", message: message(4)) == 4)
                try links.acknowledge(link: "water", upTo: 4)
            }
            let db = try Database(path: path)
            try db.migrate([])
            #expect(try LinkStore(db: db).enqueue(link: "water", message: message(5)) == 5)
        }
    }

    @Test func lastReceivedAndTheOutboxSurviveARestart() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir.appendingPathComponent("node.sqlite").path
            let sent = [message(1), message(2)]
            do {
                let db = try Database(path: path)
                try db.migrate([])
                let links = LinkStore(db: db)
                #expect(try links.lastReceived(link: "city") == 0)
                try db.transaction {
                    try links.recordReceived(link: "city", upTo: 7)
                    for m in sent { try links.enqueue(link: "city", message: m) }
                }
            }
            let db = try Database(path: path)
            try db.migrate([])
            let links = LinkStore(db: db)
            #expect(try links.lastReceived(link: "city") == 7)
            #expect(try links.pending(link: "city", after: 0, limit: 10).map(\.message) == sent)
            #expect(try db.integrityCheck() == [])
        }
    }

    @Test func lastReceivedNeverGoesBack() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            try links.recordReceived(link: "city", upTo: 7)
            try links.recordReceived(link: "city", upTo: 5)                     // a duplicate delivered late
            #expect(try links.lastReceived(link: "city") == 7)
            try links.recordReceived(link: "city", upTo: 8)
            #expect(try links.lastReceived(link: "city") == 8)
        }
    }

    @Test func receivingAndEnqueueingAreUndoneWithTheCallersTransaction() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            try links.recordReceived(link: "city", upTo: 7)
            try links.enqueue(link: "city", message: message(1))
            #expect(throws: Boom()) {
                try db.transaction {
                    try links.recordReceived(link: "city", upTo: 9)
                    try links.enqueue(link: "city", message: message(2))
                    throw Boom()                                                // the apply failed
                }
            }
            #expect(try links.lastReceived(link: "city") == 7)
            #expect(try links.pendingCount(link: "city") == 1)
            // The rolled-back seq is handed out again: the neighbour never sees a gap.
            #expect(try links.enqueue(link: "city", message: message(3)) == 2)
        }
    }

    /// Rows are checked when they are read from the table: after a restart (a store that did not queue them, as
    /// here) or when the store no longer holds them in memory. What a store queued itself it sends as it queued it.
    @Test func alteredBodyBytesAreReportedAsACorruptRow() throws {
        try withStore { db, _ throws in
            for n in 1...3 { try LinkStore(db: db).enqueue(link: "water", message: message(n)) }
            let links = LinkStore(db: db)
            var body = message(2).body
            body[0] ^= 0x01                                                     // one flipped bit
            try db.run("UPDATE outbox SET body = ? WHERE link = 'water' AND seq = 2", [.blob(body)])
            let row = corruptRow { _ = try links.pending(link: "water", after: 0, limit: 10) }
            #expect(row?.link == "water" && row?.seq == 2)
            let error = storeError { _ = try links.pending(link: "water", after: 0, limit: 10) }
            #expect(error?.description.contains("outbox row 2 of link water does not match its checksum") == true)
            // The rows before it are still readable: the link stops at the damaged row, not before.
            #expect(try links.pending(link: "water", after: 0, limit: 1).map(\.seq) == [1])
        }
    }

    @Test func alteredTextFieldsAndWrongTypesAreReportedAsCorruptRows() throws {
        try withStore { db, _ throws in
            for n in 1...4 { try LinkStore(db: db).enqueue(link: "water", message: message(n)) }
            let links = LinkStore(db: db)
            try db.run("UPDATE outbox SET dest = 'roads' WHERE link = 'water' AND seq = 1")
            #expect(corruptRow { _ = try links.pending(link: "water", after: 0, limit: 10) }?.seq == 1)
            try db.run("UPDATE outbox SET at = 'yesterday' WHERE link = 'water' AND seq = 2")
            #expect(corruptRow { _ = try links.pending(link: "water", after: 1, limit: 10) }?.seq == 2)
            try db.run("UPDATE outbox SET body = 'text, not bytes' WHERE link = 'water' AND seq = 3")
            #expect(corruptRow { _ = try links.pending(link: "water", after: 2, limit: 10) }?.seq == 3)
            #expect(try links.pending(link: "water", after: 3, limit: 10).map(\.seq) == [4])
        }
    }

    /// Rows a store queued are handed out from memory until sent; whatever it hands out, in any mix of batch sizes,
    /// acknowledgements, resends from an earlier seq (a reconnect) and more than it keeps in memory, is exactly what
    /// the table holds after that seq.
    @Test func pendingFromMemoryIsAlwaysWhatTheTableHolds() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            var rng = SystemRandomNumberGenerator()
            var n = 0
            var sent: [String: UInt64] = ["water": 0, "east": 0]
            for round in 0..<400 {
                let link = Bool.random(using: &rng) ? "water" : "east"
                // Sometimes a burst larger than the memory holds (256 rows).
                let burst = round % 97 == 0 ? 700 : Int.random(in: 0...6, using: &rng)
                for _ in 0..<burst {
                    n += 1
                    try links.enqueue(link: link, message: message(n, dest: link))
                }
                switch Int.random(in: 0..<6, using: &rng) {
                case 0:                                                         // a reconnect: resend after the ack
                    let acked = try db.query("SELECT min(seq) FROM outbox WHERE link = ?", [.text(link)]).first?.int(0)
                    sent[link] = UInt64(max(0, (acked ?? 1) - 1))
                case 1:
                    let upTo = UInt64.random(in: 0...sent[link]!, using: &rng)
                    try links.acknowledge(link: link, upTo: upTo)
                default:
                    break
                }
                let limit = Int.random(in: 1...300, using: &rng)
                let fromTable = try LinkStore(db: db).pending(link: link, after: sent[link]!, limit: limit)
                let handed = try links.pending(link: link, after: sent[link]!, limit: limit)
                let same = handed == fromTable
                #expect(same, "round \(round), \(link) after \(sent[link]!): seqs \(handed.map(\.seq).prefix(4))… vs \(fromTable.map(\.seq).prefix(4))…")
                if let last = handed.last { sent[link] = last.seq }
            }
        }
    }

    @Test func aRolledBackEnqueueIsNeverHandedOutFromMemory() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db)
            try links.enqueue(link: "city", message: message(1))
            try db.transaction { () throws -> Void in
                #expect(throws: Boom()) {
                    try db.savepoint("cmd") { () throws -> Void in
                        try links.enqueue(link: "city", message: message(2))
                        throw Boom()                                            // the command was refused
                    }
                }
            }
            #expect(try links.pending(link: "city", after: 0, limit: 10).map(\.message) == [message(1)])
            #expect(try links.pending(link: "city", after: 1, limit: 10).isEmpty)
            #expect(try links.enqueue(link: "city", message: message(3)) == 2)
            #expect(try links.pending(link: "city", after: 1, limit: 10).map(\.message) == [message(3)])
        }
    }

    /// The sum is worked out apart from this code (a few lines of Python over the same bytes): rows already stored
    /// carry it, so it must never change. The FNV-1a 64 sum rows were queued with before (each field's bytes, the
    /// time as 8 little-endian bytes, 0xFF after each) is pinned the same way.
    @Test func checksumsAreTheValuesTheyAlwaysWere() {
        let m = OutboxMessage(id: "m-1", origin: "city", dest: "单位-1", kind: "ticket.assign", at: 1_795_478_400_123,
                              body: Array(#"{"诉求":"路灯不亮"}"#.utf8))
        #expect(LinkStore.checksum(m) == -8_254_348_182_113_107_472)
        #expect(LinkStore.legacyChecksum(m) == 5_616_422_949_537_294_876)
    }

    /// A node upgraded with a backlog sends the rows an older release queued under the FNV-1a sum; a damaged one is
    /// still refused.
    @Test func rowsQueuedWithTheOlderChecksumStillReadAndStillCheck() throws {
        try withStore { db, _ throws in
            for n in 1...3 { try LinkStore(db: db).enqueue(link: "water", message: message(n)) }
            for n in 1...3 {
                try db.run("UPDATE outbox SET checksum = ? WHERE link = 'water' AND seq = ?",
                           [.int(LinkStore.legacyChecksum(message(n))), .int(Int64(n))])
            }
            #expect(try LinkStore(db: db).pending(link: "water", after: 0, limit: 10).map(\.message) == (1...3).map { message($0) })
            var body = message(2).body
            body[body.count - 1] ^= 0x01
            try db.run("UPDATE outbox SET body = ? WHERE link = 'water' AND seq = 2", [.blob(body)])
            let row = corruptRow { _ = try LinkStore(db: db).pending(link: "water", after: 0, limit: 10) }
            #expect(row?.link == "water" && row?.seq == 2)
        }
    }

    @Test func checksumCoversEveryField() {
        let base = message(1)
        var variants: [OutboxMessage] = []
        for change in 0..<6 {
            var m = base
            switch change {
            case 0: m.id += "x"
            case 1: m.origin += "x"
            case 2: m.dest += "x"
            case 3: m.kind += "x"
            case 4: m.at += 1
            default: m.body.append(0)
            }
            variants.append(m)
        }
        for sum in [LinkStore.checksum, LinkStore.legacyChecksum] {
            for m in variants { #expect(sum(m) != sum(base), "\(m)") }
            // Field boundaries count: moving a byte from one field to the next changes the sum; so does a zero byte
            // added where a field's last word is padded with zeros.
            let a = OutboxMessage(id: "ab", origin: "c", dest: "d", kind: "k", at: 0, body: [])
            let b = OutboxMessage(id: "a", origin: "bc", dest: "d", kind: "k", at: 0, body: [])
            #expect(sum(a) != sum(b))
            let c = OutboxMessage(id: "a", origin: "c", dest: "d", kind: "k", at: 0, body: [1, 2, 3])
            let d = OutboxMessage(id: "a", origin: "c", dest: "d", kind: "k", at: 0, body: [1, 2, 3, 0])
            #expect(sum(c) != sum(d))
        }
    }
}

/// Binds each body to its label the way the node's AES-GCM sealer does (a body opened under another label fails),
/// without cryptography: enough to see that a moved row is sealed again under its new seq.
final class LabelSealer: BlobSealer {
    struct WrongLabel: Error {}
    func seal(_ plaintext: [UInt8], label: String) throws -> [UInt8] { Array(label.utf8) + [0] + plaintext }
    func open(_ sealed: [UInt8], label: String) throws -> [UInt8] {
        let prefix = Array(label.utf8) + [0]
        guard sealed.starts(with: prefix) else { throw WrongLabel() }
        return Array(sealed.dropFirst(prefix.count))
    }
}

extension LinkStoreTests {
    @Test func renumberMovesTheRowsAboveTheBackupsCounterPastWhatThePeerHolds() throws {
        try withStore { db, _ throws in
            let links = LinkStore(db: db, sealer: LabelSealer())
            for n in 1...6 { try links.enqueue(link: "water", message: message(n)) }
            try links.enqueue(link: "gas", message: message(9, dest: "gas"))
            // The backup ended at 3; rows 4-6 were queued since; the peer holds up to 5 from the lost database.
            #expect(try links.renumber(link: "water", above: 3, by: 2) == 3)
            let fresh = LinkStore(db: db, sealer: LabelSealer())   // read from the table, each row opened and checked
            let rows = try fresh.pending(link: "water", after: 0, limit: 10)
            #expect(rows.map(\.seq) == [1, 2, 3, 6, 7, 8])
            #expect(rows.map(\.message) == (1...6).map { message($0) })
            #expect(try fresh.lastAssigned(link: "water") == 8)
            #expect(try fresh.enqueue(link: "water", message: message(7)) == 9)
            // Other links and a shift of nothing are left alone.
            #expect(try fresh.pending(link: "gas", after: 0, limit: 10).map(\.seq) == [1])
            #expect(try fresh.renumber(link: "gas", above: 0, by: 0) == 0)
            #expect(try fresh.lastAssigned(link: "gas") == 1)
        }
    }
}
