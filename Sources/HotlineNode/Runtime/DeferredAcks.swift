/// Outbox rows a neighbour has acknowledged whose deletion waits for the next round that writes anyway, or a second
/// at most. A round that only took an acknowledgement wrote the outbox's pages to the write-ahead log and waited for
/// an fsync just to delete rows: at a unit, most rounds in the lifecycle scenario (4.9 commits a ticket).
///
/// Losing this at a crash is harmless: a link resumes after the neighbour's own last received seq, so acknowledged
/// rows are never sent again, and the next acknowledgement (cumulative) deletes them. Used on the work loop only.
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
