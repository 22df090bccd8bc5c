import Foundation

/// Whether the node's last transaction committed. While storage fails (disk full, read-only database) the node
/// acknowledges nothing, says why once in its log and to operators (`status`), and retries on every round.
final class StorageHealth: @unchecked Sendable {
    // `lock` guards `failure`; read by the admin thread through `status`.
    private let lock = NSLock()
    private var failure: String?

    var currentFailure: String? { lock.withLock { failure } }

    func failed(_ error: Error, log: Log) {
        let text = "\(error)"
        let changed: Bool = lock.withLock {
            defer { failure = text }
            return failure != text
        }
        if changed {
            log.error("storage-failed", ["error": text, "effect": "nothing is acknowledged until a write succeeds"])
        }
    }

    func succeeded(log: Log) {
        let was: String? = lock.withLock {
            defer { failure = nil }
            return failure
        }
        if was != nil { log.info("storage-recovered", ["detail": "writes succeed again; acknowledging resumes"]) }
    }
}
