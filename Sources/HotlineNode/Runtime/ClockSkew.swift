import Foundation

/// How far a neighbour's clock is from this node's, as its hello and heartbeats say (they carry the sender's time).
///
/// Every deadline verdict is taken by the node that acts, on its own clock: a unit decides whether its sign-for
/// or reply is on time (`onTime` in the event), and the centre's figures count that verdict. A unit whose clock runs
/// ten minutes slow signs ten minutes late "on time". The nodes cannot correct a clock (that is NTP's work on each
/// server), but they can say when two of them disagree: a `clock-skew` warning when a neighbour's clock is
/// `warnMillis` or more away, `clock-skew-ok` when it is back, and `status` shows the difference meanwhile.
///
/// A sample is the neighbour's time when it wrote the frame minus this node's time when its work loop read it: the
/// transit and any queueing make a neighbour look further behind (never further ahead) than it is, and 30 s is far
/// beyond a loaded round. Only a node on the system clock measures; one on a manual clock (training) follows its
/// parent's on purpose.
struct ClockSkew {
    static let warnMillis: Int64 = 30_000

    /// The last sample (the neighbour's clock minus this node's, ms), nil before the first on this connection.
    private(set) var millis: Int64?
    private(set) var beyond = false

    enum Change: Equatable {
        /// The neighbour's clock has gone `warnMillis` or more away (the sample).
        case beyond(Int64)
        /// It is back within `warnMillis`.
        case within(Int64)
    }

    /// Takes a sample; says when it crosses the bound either way.
    mutating func observe(peerClock: Int64, now: Int64) -> Change? {
        let (skew, overflow) = peerClock.subtractingReportingOverflow(now)
        let sample = overflow ? (peerClock < now ? Int64.min : Int64.max) : skew
        millis = sample
        let away = Self.isFar(sample)
        defer { beyond = away }
        if away && !beyond { return .beyond(sample) }
        if !away && beyond { return .within(sample) }
        return nil
    }

    /// Whether a difference is `warnMillis` or more either way.
    static func isFar(_ millis: Int64) -> Bool { millis.magnitude >= UInt64(warnMillis) }

    /// "2 min 5 s ahead of", "41 s behind": for the log's detail and `status`.
    static func describe(_ millis: Int64) -> String {
        let seconds = millis.magnitude / 1000
        let days = seconds / 86_400, hours = seconds / 3600 % 24, minutes = seconds / 60 % 60, rest = seconds % 60
        var parts: [String] = []
        if days > 0 { parts.append("\(days) d") }
        if hours > 0 { parts.append("\(hours) h") }
        if minutes > 0 && days == 0 { parts.append("\(minutes) min") }
        if (rest > 0 || parts.isEmpty) && days == 0 && hours == 0 { parts.append("\(rest) s") }
        return parts.joined(separator: " ") + (millis < 0 ? " behind" : " ahead of")
    }
}
