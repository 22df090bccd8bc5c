import HotlineStore

/// A message from a neighbour was refused after part of it had been written, outside a savepoint
/// (`TicketService.atomically`): only rolling back the whole round takes that part back. The work loop does so,
/// drops the links that delivered in the round (their peers send again, and the message is then applied or refused
/// in a savepoint of its own), and runs the round's operator commands again in a round of their own. Not a storage
/// failure: nothing is wrong with the disk.
struct RoundTakenBack: Error, CustomStringConvertible {
    /// The neighbour the message came from.
    let peer: String
    let message: String
    let kind: String
    let origin: String
    /// Why it was refused.
    let rule: String

    var description: String {
        "message \(message) (\(kind) from \(origin), via \(peer)) was refused after part of it was written: \(rule)"
    }
}

/// An operator command that runs without a savepoint (`CommandSpec.decidesBeforeWriting`) was refused after it had
/// written: as for a message, only rolling back the whole round takes that back. The work loop does so (dropping the
/// links that delivered in the round) and runs the round's commands again in a round of their own, each in a
/// savepoint, where this one is refused cleanly. A command of that kind checks everything before it writes, so only
/// a fault after its first write (the storage, a route missing from the topology) ends here.
struct CommandTakenBack: Error, CustomStringConvertible {
    let command: String
    let user: String
    /// Why it was refused.
    let rule: String

    var description: String { "command \(command) of \(user) was refused after part of it was written: \(rule)" }
}

/// An error that a message's handling passes up to the work loop instead of refusing the message: the round cannot
/// be kept. Storage errors (the loop reports a storage failure) and `RoundTakenBack`. Every place that turns other
/// errors into a refusal lets these through.
protocol FailsTheRound: Error {}
extension StoreError: FailsTheRound {}
extension RoundTakenBack: FailsTheRound {}
extension CommandTakenBack: FailsTheRound {}
