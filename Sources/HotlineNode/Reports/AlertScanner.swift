import Foundation
import HotlineCore

/// The minute's early-warning scan of a running city, beside the work loop: it reads a year's tickets' plain
/// columns on a read-only connection of its own and computes the warnings on its own thread, then hands them to
/// the loop, which stores those not raised before (`TicketService.alertsComputed`). On the bench's city of
/// 1,000,000 tickets the scan was a round of 216–472 ms every minute in which no link was served and no operator
/// answered. The snapshot is as of the scan's start; a ticket committed meanwhile is counted by the next minute's.
final class AlertScanner: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let context: NodeContext
    private let queue = DispatchQueue(label: "hotline-alerts")
    private let deliver: @Sendable (Result<[Alert], Failure>, Timestamp) -> Void

    /// `deliver` is called on the scanner's thread with the warnings due at the scan's time, or why there are none.
    init(context: NodeContext, deliver: @escaping @Sendable (Result<[Alert], Failure>, Timestamp) -> Void) {
        self.context = context
        self.deliver = deliver
    }

    func scan(at now: Timestamp) {
        queue.async { [context, deliver] in
            let result: Result<[Alert], Failure>
            do {
                let reader = try context.snapshotReader()
                let repository = TicketRepository(db: reader.db, sealer: reader.keyring, callerTagger: context.callerTagger,
                                                  cacheGeneration: 16)
                result = .success(try AlertLog(db: reader.db).compute(repository: repository, rules: Rules(profile: reader.profile, deadlines: context.deadlines), now: now))
            } catch {
                result = .failure(Failure(description: "\(error)"))
            }
            deliver(result, now)
        }
    }
}
