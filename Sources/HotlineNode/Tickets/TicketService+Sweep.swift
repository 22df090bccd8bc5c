import Foundation
import HotlineCore
import HotlineStore

/// Work over every ticket, or every ticket changed since a day — the centre's `resync` of a restored node, a node's
/// answer to the restored centre's `ticket.recall`, the centre's finish of its own recovery, `rotate-key` — done a
/// slice per round of the work loop, not in the round that asked for it. On the bench's city of a million tickets
/// `resync` of a month held the centre's loop for 11–12 s in one round, and meanwhile no operator was answered and
/// no link served (a quarter's would outlast the links' dead-after time and drop every one). Where a sweep stands is
/// kept in `meta` (`sweep.<job>.<node>`), written in the transaction that sends each slice's messages, so a node
/// that stops goes on where it was when it starts again.
struct Sweep: Codable {
    enum Job: String, Codable {
        /// `hotline-city resync`: the centre's copy of each ticket that concerns the restored node.
        case resync
        /// A county station or unit answering `ticket.recall`: its copy of each ticket, then `done`.
        case recall
        /// The restored centre, once every recall has closed: its decisions since the day to each node working on a ticket.
        case recovery
        /// `rotate-key`: every stored document, then every queued message, re-encrypted under the new data key; the
        /// older keys leave the key file once all is. (Done in one round, it held a million-ticket city's loop for
        /// 145 s at 8 GB of memory, and the operator's command gave up waiting after 120 s.)
        case reseal
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
    /// The last row when the sweep began (set by `startSweep`): a ticket taken in later travels the usual way.
    var until: Int64 = 0
    /// Tickets changed since the day, visited so far.
    var visited = 0
    /// Tickets sent (resync, recall), nodes told (recovery) or documents re-encrypted (reseal) so far.
    var sent = 0
    /// Tickets that could not be handled and were skipped (each logged).
    var skipped: Int?
    /// reseal: the last queued message re-encrypted (the outbox's key), once the tickets are done.
    var link: String?
    var seq: Int64?
    /// reseal: queued messages re-encrypted so far.
    var queued: Int?

    /// What `status` says of it.
    var summary: String {
        let tail = "\(progress)% of the tickets\(skipped.map { ", \($0) skipped" } ?? "")"
        switch job {
        case .resync: return "resync of \(node) since \(since) under way: \(visited) ticket(s) changed since looked at, \(sent) sent, \(tail)"
        case .recall: return "answer to \(node)'s recall since \(since) under way: \(sent) copies sent, \(tail)"
        case .recovery: return "recovery since \(since) under way: \(visited) ticket(s) looked at, \(sent) node(s) told, \(tail)"
        case .reseal: return "re-encryption under the new data key under way: \(sent) document(s), \(queued ?? 0) queued message(s), \(tail)"
        }
    }

    /// How far through the record, in percent (rows, not tickets: most rows before a recent day do not match).
    var progress: Int { until > 0 ? Int(min(after, until) * 100 / until) : 100 }

    var key: String { "sweep.\(job.rawValue).\(node)" }

    /// Rows looked at in one round, and tickets loaded and sent: about 25 ms of the loop (a resync sent 37,679
    /// tickets in 7.6 s on the bench's scale database).
    static let rowsPerRound: Int64 = 4_096
    static let ticketsPerRound = 128
    /// Queued messages re-encrypted in one round (reseal).
    static let queuedPerRound = 1_024
}

extension TicketService {
    /// Starts `sweep` (replacing one of the same job for the same node, which starts over); the loop goes on with it
    /// from its next round.
    func startSweep(_ sweep: Sweep) throws {
        var s = sweep
        s.until = try repository.lastRow()
        try store(s)
        sweepsMayRun = true
    }

    private func store(_ s: Sweep) throws {
        try context.db.setMeta(s.key, String(decoding: try JSONEncoder().encode(s), as: UTF8.self))
    }

    /// The sweeps under way, for `status` and for the loop.
    func sweeps() throws -> [Sweep] {
        try context.db.query("SELECT value FROM meta WHERE key >= 'sweep.' AND key < 'sweep/' ORDER BY key").compactMap { row in
            row.string(0).flatMap { try? JSONDecoder().decode(Sweep.self, from: Data($0.utf8)) }
        }
    }

    /// A round's share of each sweep under way; called in every round's transaction. Returns whether a sweep is still under
    /// way, so the loop comes back at once instead of sleeping till its next tick.
    func continueSweeps(now: Timestamp) throws -> Bool {
        guard sweepsMayRun else { return false }
        let running = try sweeps()
        guard !running.isEmpty else {
            sweepsMayRun = false
            return false
        }
        for var s in running {
            // A round's share: slices until it is used up or the sweep is done, so a small record is done in the
            // round that started it, as it was before sweeps.
            var rows = Sweep.rowsPerRound, tickets = Sweep.ticketsPerRound, queued = Sweep.queuedPerRound
            var done = false
            while !done {
                if s.job == .reseal, s.after >= s.until {
                    guard queued > 0 else { break }
                    done = try resealQueued(&s, limit: queued)
                    queued = 0
                } else {
                    guard rows > 0, tickets > 0 else { break }
                    let used = try ticketSlice(&s, rows: rows, tickets: tickets, now: now)
                    (rows, tickets) = (rows - used.rows, tickets - used.tickets)
                    done = s.job != .reseal && s.after >= s.until
                }
            }
            if done {
                try context.db.removeMeta(s.key)
                try finish(s, now: now)
            } else {
                try store(s)
            }
        }
        return true
    }

    /// Up to `tickets` tickets among the next `rows` rows; returns how many rows it went past and tickets it visited.
    private func ticketSlice(_ s: inout Sweep, rows: Int64, tickets: Int, now: Timestamp) throws -> (rows: Int64, tickets: Int) {
        let start = s.after, upTo = min(s.after + rows, s.until)
        // rotate-key re-encrypts every ticket; the others look at those changed since the day.
        let day = s.job == .reseal ? nil : LocalDate(iso: s.since) ?? ChinaTime.date(of: now)
        let found = try repository.rows(after: s.after, upTo: upTo, changedSince: day, limit: tickets)
        for row in found {
            if let sent = try visit(row.id, for: s, now: now) { s.sent += sent } else { s.skipped = (s.skipped ?? 0) + 1 }
            s.visited += 1
        }
        s.after = found.count == tickets ? found[found.count - 1].rowid : upTo
        return (s.after - start, found.count)
    }

    /// rotate-key's second part, once every ticket is done: the messages queued for the neighbours. Returns whether
    /// none is left.
    private func resealQueued(_ s: inout Sweep, limit: Int) throws -> Bool {
        do {
            let slice = try context.links.reseal(after: s.link ?? "", s.seq ?? -1, limit: limit)
            s.queued = (s.queued ?? 0) + slice.count
            guard slice.count == limit, let last = slice.last else { return true }
            (s.link, s.seq) = (last.link, last.seq)
            return false
        } catch {
            if error.isSQLite { throw error }
            context.log.warn("sweep-queued-skipped", ["job": s.job.rawValue, "after": "\(s.link ?? "")/\(s.seq ?? 0)", "rule": "\(error)"])
            s.skipped = (s.skipped ?? 0) + 1
            return true
        }
    }

    /// One ticket of a slice; returns how much it sent, or nil when it was skipped. A ticket that cannot be handled
    /// (too large for a frame, a stored copy that does not read back) is skipped with a warning and the sweep goes
    /// on: failing the round would fail every round after it on the same ticket. Only SQLite failing (a full disk,
    /// an I/O error) fails the round, which runs again.
    private func visit(_ id: String, for s: Sweep, now: Timestamp) throws -> Int? {
        var sent = 0
        do {
            try savepoint("sweep") {
                switch s.job {
                case .reseal: sent = try repository.reseal(ticket: id)
                case .resync, .recall, .recovery:
                    guard let ticket = try repository.load(id) else { return }
                    switch s.job {
                    case .resync: sent = try resyncOne(ticket, to: s.node, since: s.since, now: now)
                    case .recall: sent = try copyOne(ticket, recall: s.recall ?? "", to: s.node, now: now)
                    default: sent = try recoverOne(ticket, since: s.since, now: now)
                    }
                }
            }
        } catch let error as StoreError where error.isSQLite {
            throw error
        } catch {
            context.log.warn("sweep-ticket-skipped", ["job": s.job.rawValue, "node": s.node, "ticket": id, "rule": "\(error)"])
            return nil
        }
        return sent
    }

    private func finish(_ s: Sweep, now: Timestamp) throws {
        switch s.job {
        case .resync: try resyncDone(s, now: now)
        case .recall: try recallDone(s, now: now)
        case .recovery:
            logAfterCommit("recovery-done", ["since": s.since, "tickets": "\(s.visited)", "nodes-told": "\(s.sent)"])
        case .reseal: resealDone(s)
        }
    }
}

extension TicketService {
    /// After the last slice of `rotate-key` has committed, the older keys leave the key file — unless something
    /// could not be re-encrypted, which would still need them.
    func resealDone(_ s: Sweep) {
        let ring = context.keyring, log = context.log
        afterCommit.append {
            if let skipped = s.skipped {
                log.error("data-key-rotation-incomplete", ["key": ring.current, "documents": "\(s.sent)", "skipped": "\(skipped)",
                                                           "effect": "the older keys stay in the key file: what was skipped still needs them",
                                                           "action": "see the sweep-ticket-skipped lines above, then run rotate-key again"])
                return
            }
            ring.dropOldKeys()
            do { try ring.save() } catch {
                log.error("key-file-not-rewritten", ["error": "\(error)", "effect": "the old key stays in the file until the next rotate-key"])
            }
            log.info("data-key-rotated", ["key": ring.current, "documents": "\(s.sent)", "queued": "\(s.queued ?? 0)"])
        }
    }
}
