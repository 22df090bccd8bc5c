import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Free and total bytes of the file system that holds a path (`statvfs`: what an unprivileged process may use).
struct DiskSpace: Equatable, Sendable {
    var available: UInt64
    var total: UInt64

    static func of(_ path: String) -> DiskSpace? {
        var s = statvfs()
        guard statvfs(path, &s) == 0 else { return nil }
        let block = UInt64(s.f_frsize)
        return DiskSpace(available: UInt64(s.f_bavail) &* block, total: UInt64(s.f_blocks) &* block)
    }

    /// "12.3 GB", for operators.
    static func text(_ bytes: UInt64) -> String {
        let gb = Double(bytes) / 1e9
        return gb >= 1 ? String(format: "%.1f GB", gb) : String(format: "%.0f MB", Double(bytes) / 1e6)
    }

    var percentFree: Int { total == 0 ? 0 : Int(available * 100 / total) }
}

/// Warns before the data directory's disk is full. A full disk does not lose data — the round fails, nothing is
/// acknowledged, and the node takes up again once a write succeeds (`StorageHealth`) — but every link and every
/// operator waits meanwhile, so the node says it beforehand: `disk-low` when less than `lowBytes` or `lowShare` of
/// the file system is free, again every hour while it stays so, and `disk-ok` once there is a fifth more than that
/// again (so that a disk hovering at the line does not write a line a minute).
struct DiskWatch {
    static let lowBytes: UInt64 = 1 << 30
    /// One twentieth: 5 %.
    static let lowShare: UInt64 = 20
    static let checkEveryMillis: Int64 = 60_000
    static let repeatEveryMillis: Int64 = 3_600_000

    private(set) var low = false
    private var lastCheck: Int64?
    private var lastWarning: Int64?

    enum Notice: Equatable {
        case low(DiskSpace)
        case ok(DiskSpace)
    }

    /// Under the line; `recovering`: under the line plus a fifth, the way back.
    static func isLow(_ s: DiskSpace, recovering: Bool = false) -> Bool {
        let (num, den): (UInt64, UInt64) = recovering ? (6, 5) : (1, 1)
        return s.available &* den < lowBytes &* num || s.available &* den &* lowShare < s.total &* num
    }

    /// Whether a minute has passed since the last look (`now`: a monotonic clock, ms).
    mutating func due(now: Int64) -> Bool {
        if let last = lastCheck, now - last < Self.checkEveryMillis { return false }
        lastCheck = now
        return true
    }

    /// What to log about this sample, if anything.
    mutating func observe(_ space: DiskSpace, now: Int64) -> Notice? {
        if low {
            if !Self.isLow(space, recovering: true) {
                low = false
                lastWarning = nil
                return .ok(space)
            }
            if let last = lastWarning, now - last < Self.repeatEveryMillis { return nil }
            lastWarning = now
            return .low(space)
        }
        guard Self.isLow(space) else { return nil }
        low = true
        lastWarning = now
        return .low(space)
    }

    static func log(_ notice: Notice, path: String, to log: Log) {
        switch notice {
        case .low(let s):
            log.warn("disk-low", ["path": path, "available_bytes": "\(s.available)", "total_bytes": "\(s.total)",
                                  "detail": "\(DiskSpace.text(s.available)) free of \(DiskSpace.text(s.total)) (\(s.percentFree) %): once it is full no round of the work loop can commit — nothing is acknowledged and commands that write fail (nothing stored is lost) — until space is freed. Free space on it or grow it"])
        case .ok(let s):
            log.info("disk-ok", ["path": path, "available_bytes": "\(s.available)", "total_bytes": "\(s.total)"])
        }
    }
}
