import Foundation
@preconcurrency import Glibc

/// Ctrl-C or SIGTERM in the middle of a run: the nodes, the storage-off receiver and RabbitMQ the bench started are
/// stopped and its working folder removed, before it exits. Before, they outlived it (a county station went on
/// running after the bench was stopped in its catch-up) and held their ports and the machine's CPU.
enum Interrupt {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cleanups: [Int: () -> Void] = [:]
    nonisolated(unsafe) private static var next = 0
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Registers what stops one thing the bench started; the token takes it off again (`done`) once it stopped.
    @discardableResult
    static func onInterrupt(_ cleanup: @escaping () -> Void) -> Int {
        lock.withLock {
            next += 1
            cleanups[next] = cleanup
            return next
        }
    }

    static func done(_ token: Int) { _ = lock.withLock { cleanups.removeValue(forKey: token) } }

    /// Handles SIGINT and SIGTERM on a queue of their own: runs the cleanups (newest first), then `last`, and exits
    /// with 128 + the signal, as a shell expects of a process stopped by one.
    static func install(last: @escaping () -> Void) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: DispatchQueue(label: "hotline-bench-signal"))
            source.setEventHandler {
                FileHandle.standardError.write(Data("hotline-bench: interrupted; stopping what it started\n".utf8))
                let all = lock.withLock { cleanups.sorted { $0.key > $1.key }.map(\.value) }
                for cleanup in all { cleanup() }
                last()
                exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}
