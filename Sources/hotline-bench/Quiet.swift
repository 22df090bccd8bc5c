import Foundation

/// Waits, before a measured batch, until this machine's CPUs are mostly idle, so that what ran before it — the
/// broker tidying up after its batch, the unit's last checkpoint, the bench making the next batch's messages — is
/// not counted in it. Matters most when the hop, the broker and the limit take their batches in turn.
enum Quiet {
    nonisolated(unsafe) private static var warned = false

    /// Until a 100 ms sample of `/proc/stat` shows the CPUs busy (user, nice, system, interrupts) less than `busy`
    /// of the time, at most `limit` seconds. Returns the seconds waited.
    @discardableResult
    static func settle(busy: Double = 0.25, limit: Double = 5) -> Double {
        let start = Clock.now()
        guard var before = sample() else { return 0 }
        while Clock.now() - start < limit {
            usleep(100_000)
            guard let now = sample() else { return Clock.now() - start }
            let total = now.total - before.total
            if total > 0, Double(now.busy - before.busy) / Double(total) < busy { return Clock.now() - start }
            before = now
        }
        if !warned {
            warned = true
            Bench.progress("the machine stayed busy (over \(Int(busy * 100)) % of its CPUs) for \(Int(limit)) s before a batch: something else is running, and the figures will show it")
        }
        return Clock.now() - start
    }

    /// The first line of `/proc/stat` in clock ticks: busy (user, nice, system, irq, softirq) and the total with
    /// idle, iowait and steal.
    private static func sample() -> (busy: UInt64, total: UInt64)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let f = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard f.count >= 8 else { return nil }
        let busy = f[0] + f[1] + f[2] + f[5] + f[6]
        return (busy, busy + f[3] + f[4] + f[7])
    }
}
