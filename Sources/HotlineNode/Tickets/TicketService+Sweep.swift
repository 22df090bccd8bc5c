import Foundation
import HotlineCore
import HotlineStore
import HotlineWire

/// Work over every ticket changed since a day — the centre's `resync` of a restored node, a node's answer to the
/// restored centre's `ticket.recall`, the centre's finish of its own recovery — done a slice per round of the work
/// loop, not in the round that asked for it. On a city of a million tickets a month's changes are some 88,000
/// tickets: done in one round, `resync` held the centre's loop for 10 s (the bench's scale database), and meanwhile
/// no operator was answered and no link served; a quarter's would outlast the links' dead-after time and drop
/// every one. Where a sweep stands is kept in `meta` (`sweep.<job>.<node>`), written in the transaction that sends
/// each slice's messages, so a node that stops goes on where it was when it starts again.
struct Sweep: Codable, Equatable {
    enum Job: String, Codable, CaseIterable {
        /// `hotline-city resync`: the centre's copy of each ticket that concerns the restored node.
        case resync
        /// A county station or unit answering `ticket.recall`: its copy of each ticket, then `done`.
        case recall
        /// The restored centre, once every recall has closed: its decisions since the day to each node working on a ticket.
        case recovery
    }

    var job: Job
    /// resync: the restored node; recall: the node that asked (the centre); recovery: the centre itself.
    var node: String
    /// The day: tickets changed on or after its start are visited.
    var since: String
    /// recall: the recall's message id, which each copy names.
    var recall: String?
    /// Tickets are visited in the order of their rows; those up to `after` are done.
    var after: Int64 = 0
    /// The last row when the sweep began: a ticket taken in later travels the usual way.
    var until: Int64
    /// Tickets changed since the day, visited so far.
    var visited = 0
    /// Tickets sent (resync, recall) or nodes told (recovery) so far.
    var sent = 0

    /// How far through the record, in percent (rows, not tickets: most rows before a recent day do not match).
    var progress: Int { until > 0 ? Int(min(after, until) * 100 / until) : 100 }

    var key: String { Self.key(job, node) }
    static func key(_ job: Job, _ node: String) -> String { "sweep.\(job.rawValue).\(node)" }

    /// Rows looked at in one round, and tickets loaded and sent: about 40 ms of the loop (a ticket sent costs
    /// about 0.3 ms on the bench's scale database).
    static let rowsPerRound: Int64 = 4_096
    static let ticketsPerRound = 128
}

extension TicketService {
    /// Starts `sweep` (replacing one of the same job for the same node, which starts over); the loop goes on with it
    /// from its next round.
    func startSweep(_ sweep: Sweep) throws {
        var s = sweep
        s.until = try repository.lastRow()
        try context.db.setMeta(s.key, String(decoding: try JSONEncoder().encode(s), as: UTF8.self))
        sweepsMayRun = true
    }

    /// The sweeps under way, for `status` and for the loop.
    func sweeps() throws -> [Sweep] {
        try context.db.query("SELECT value FROM meta WHERE key >= 'sweep.' AND key < 'sweep/' ORDER BY key").compactMap { row in
            row.string(0).flatMap { try? JSONDecoder().decode(Sweep.self, from: Data($0.utf8)) }
        }
    }

    /// One slice of each sweep under way; called in every round's transaction. Returns whether a sweep is still under
    /// way, so the loop comes back at once instead of sleeping till its next tick.
    func continueSweeps(now: Timestamp) throws -> Bool {
        guard sweepsMayRun else { return false }
        let running = try sweeps()
        guard !running.isEmpty else {
            sweepsMayRun = false
            return false
        }
        for var s in running {
            let upTo = min(s.after + Sweep.rowsPerRound, s.until)
            let day = LocalDate(iso: s.since) ?? ChinaTime.date(of: now)
            let rows = try repository.changed(since: day, after: s.after, upTo: upTo, limit: Sweep.ticketsPerRound)
            for row in rows {
                s.sent += try visit(row.id, for: s, now: now)
                s.visited += 1
            }
            s.after = rows.count == Sweep.ticketsPerRound ? rows[rows.count - 1].rowid : upTo
            if s.after >= s.until {
                try context.db.removeMeta(s.key)
                try finish(s, now: now)
            } else {
                try context.db.setMeta(s.key, String(decoding: try JSONEncoder().encode(s), as: UTF8.self))
            }
        }
        return true
    }

    /// One ticket of a slice; returns how many it sent. A ticket that cannot be sent (too large for a frame, a stored
    /// copy that does not read back) is skipped with a warning and the sweep goes on: failing the round would fail
    /// every round after it on the same ticket. Only SQLite failing (a full disk, an I/O error) fails the round,
    /// which runs again.
    private func visit(_ id: String, for s: Sweep, now: Timestamp) throws -> Int {
        var sent = 0
        do {
            try savepoint("sweep") {
                guard let ticket = try repository.load(id) else { return }
                switch s.job {
                case .resync: sent = try resyncOne(ticket, to: s.node, since: s.since, now: now)
                case .recall: sent = try copyOne(ticket, recall: s.recall ?? "", to: s.node, now: now)
                case .recovery: sent = try recoverOne(ticket, since: s.since, now: now)
                }
            }
        } catch let error as StoreError where error.isSQLite {
            throw error
        } catch {
            context.log.warn("sweep-ticket-skipped", ["job": s.job.rawValue, "node": s.node, "ticket": id, "rule": "\(error)"])
            return 0
        }
        return sent
    }

    private func finish(_ s: Sweep, now: Timestamp) throws {
        switch s.job {
        case .resync: try resyncDone(s, now: now)
        case .recall: try recallDone(s, now: now)
        case .recovery:
            logAfterCommit("recovery-done", ["since": s.since, "tickets": "\(s.visited)", "nodes-told": "\(s.sent)"])
        }
    }
}
