/// Re-dial delays for a child whose parent link is down: exponential from `initial`, doubled each attempt up to
/// `cap`, with "equal jitter" (half fixed, half random) so that many children cut off at once do not all
/// re-dial in the same instant. Pure: the caller supplies the random number, so tests are deterministic.
public struct Backoff: Sendable, Equatable {
    public var initialMilliseconds: Int64
    public var capMilliseconds: Int64

    public init(initialMilliseconds: Int64 = 200, capMilliseconds: Int64 = 30_000) {
        self.initialMilliseconds = max(1, initialMilliseconds)
        self.capMilliseconds = max(self.initialMilliseconds, capMilliseconds)
    }

    /// The un-jittered delay of `attempt` (0 = first retry): initial × 2^attempt, at most cap.
    public func ceiling(attempt: Int) -> Int64 {
        var delay = initialMilliseconds
        var step = 0
        while step < max(0, attempt) && delay < capMilliseconds {
            delay *= 2
            step += 1
        }
        return min(delay, capMilliseconds)
    }

    /// Delay before retry number `attempt`, in milliseconds, within [ceiling/2, ceiling].
    /// - Parameter random: a number in 0..<1 (values outside are clamped).
    public func delay(attempt: Int, random: Double) -> Int64 {
        let top = ceiling(attempt: attempt)
        let half = top / 2
        let unit = min(max(random, 0), 1)
        return half + Int64((Double(top - half) * unit).rounded(.down))
    }
}
