import Foundation
import HotlineNet

/// The single thread that owns a node's database and protocol state.
///
/// Connection threads, the admin socket and timers only *post* inputs here; the loop takes everything that has
/// arrived, processes it inside one transaction and commits once (group commit: many frames, one fsync), then runs
/// the after-commit actions (transport acks, sending newly queued messages, answering operators). Acks therefore
/// always follow the commit that made the acknowledged data durable.
final class WorkLoop<Input: Sendable>: @unchecked Sendable {
    // `condition` guards `pending`, `stopping` and `wakeAt`; everything else is touched only by the loop thread.
    private let condition = NSCondition()
    private var pending: [Input] = []
    private var stopping = false
    private var thread: Thread?
    private let name: String

    init(name: String) { self.name = name }

    /// Starts the loop. `drain` receives every input posted since the last round (possibly none, on a timer tick)
    /// and returns how long the loop may sleep before the next tick, in seconds.
    func start(drain: @escaping @Sendable ([Input]) -> TimeInterval, finish: @escaping @Sendable () -> Void) {
        thread = NamedThread.start(name, stackSize: 4 << 20) { [self] in
            var sleep: TimeInterval = 0
            while true {
                condition.lock()
                if pending.isEmpty && !stopping && sleep > 0 {
                    _ = condition.wait(until: Date().addingTimeInterval(sleep))
                }
                let batch = pending
                pending.removeAll(keepingCapacity: true)
                let stop = stopping
                condition.unlock()
                sleep = drain(batch)
                if stop { break }
            }
            finish()
        }
    }

    func post(_ input: Input) {
        condition.lock()
        pending.append(input)
        condition.signal()
        condition.unlock()
    }

    /// Asks the loop to process what is pending, then stop (SIGTERM: finish the transaction, close links).
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }
}
