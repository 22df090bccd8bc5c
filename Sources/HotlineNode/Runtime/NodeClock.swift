import Foundation
import HotlineCore

/// The node's notion of "now".
///
/// `system` reads the machine's clock. `manual` (training and tests: `--clock manual`) only moves when an operator
/// says so (`clock --advance`/`--set`) or when the parent's clock, carried on hello and heartbeat frames, is ahead:
/// a whole network on manual clocks therefore follows the city's clock. The manual time is persisted so that a
/// restart resumes at the same instant.
final class NodeClock: @unchecked Sendable {
    enum Mode: String, Sendable { case system, manual }

    let mode: Mode
    // `lock` guards `manualNow`.
    private let lock = NSLock()
    private var manualNow: Int64

    init(mode: Mode, manualStart: Int64) {
        self.mode = mode
        self.manualNow = manualStart
    }

    var now: Timestamp {
        switch mode {
        case .system: return Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000))
        case .manual:
            lock.lock(); defer { lock.unlock() }
            return Timestamp(millis: manualNow)
        }
    }

    /// Sets the manual clock. Refuses to go backwards: deadlines and verdicts already recorded must stay true.
    func set(_ t: Timestamp) throws(ClockError) {
        guard mode == .manual else { throw .notManual }
        lock.lock(); defer { lock.unlock() }
        guard t.millis >= manualNow else { throw .backwards(from: Timestamp(millis: manualNow), to: t) }
        manualNow = t.millis
    }

    /// Follows a parent's clock when it is ahead (manual mode only). Returns true when the clock moved. A time
    /// beyond the years 0000-9999 is ignored: every deadline computed from `now` would overflow.
    @discardableResult
    func follow(_ parentMillis: Int64) -> Bool {
        guard mode == .manual, Timestamp.readable.contains(parentMillis) else { return false }
        lock.lock(); defer { lock.unlock() }
        guard parentMillis > manualNow else { return false }
        manualNow = parentMillis
        return true
    }
}

enum ClockError: Error, CustomStringConvertible {
    case notManual
    case backwards(from: Timestamp, to: Timestamp)

    var description: String {
        switch self {
        case .notManual:
            return "this node runs on the system clock; only a node initialised with `--clock manual` can be moved"
        case .backwards(let from, let to):
            return "the clock cannot go backwards (now \(from.iso8601), asked for \(to.iso8601)): recorded deadlines would become false"
        }
    }
}
