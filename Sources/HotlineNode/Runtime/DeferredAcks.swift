/// Outbox rows a neighbour has acknowledged whose deletion waits for the next round that writes anyway, or a second
/// at most. A round that only took an acknowledgement wrote the outbox's pages to the write-ahead log and waited for
/// an fsync just to delete rows: at a unit, most rounds in the lifecycle scenario (4.9 commits a ticket).
///
/// Losing this at a crash is harmless: a link resumes after the neighbour's own last received seq, so acknowledged
/// rows are never sent again, and the next acknowledgement (cumulative) deletes them. Keeping it is not always
/// right: a neighbour whose database was restored from a backup has lost what it acknowledged, and says so in its
/// hello (`peerHolds`). Used on the work loop only.
struct DeferredAcks {
    /// Per link, every seq up to this one is acknowledged.
    private(set) var upTo: [String: UInt64] = [:]
    /// Monotonic milliseconds of the oldest acknowledgement not yet applied.
    private var since: Int64?
    static let maxDelayMilliseconds: Int64 = 1_000

    mutating func add(link: String, upTo seq: UInt64, now: Int64) {
        upTo[link] = max(upTo[link] ?? 0, seq)
        if since == nil { since = now }
    }

    /// The neighbour's hello says it holds the link's messages up to `seq` and no more. An acknowledgement beyond
    /// that came from a database it has since lost (restored from a backup): the rows it covered are still here, the
    /// link sends them again, and only the restored database's own acknowledgement may delete them. Deleting them on
    /// the lost one's word left a hole the link could not resume across once the restored side had taken the first
    /// of them (seed 5,687 of the restore simulation with 5 tickets: "the sender's outbox has no seq 4").
    mutating func peerHolds(link: String, upTo seq: UInt64) {
        guard let acknowledged = upTo[link], acknowledged > seq else { return }
        upTo[link] = seq == 0 ? nil : seq
        if upTo.isEmpty { since = nil }
    }

    /// Whether to delete now: the round writes anyway (the rows' pages join its commit), or the oldest
    /// acknowledgement has waited long enough.
    func due(now: Int64, roundWrites: Bool) -> Bool {
        guard let since, !upTo.isEmpty else { return false }
        return roundWrites || now - since >= Self.maxDelayMilliseconds
    }

    /// `applied` (what `upTo` was when the rows were deleted) is committed: forget it, keeping any later ones.
    mutating func committed(_ applied: [String: UInt64]) {
        for (link, seq) in applied where upTo[link] == seq { upTo[link] = nil }
        if upTo.isEmpty { since = nil }
    }
}
