import HotlineCore

/// Answers the operator commands that only read (`CommandSpec.readsOnly`: `report`, `figures`) on the admin
/// socket's own thread, from a snapshot on a second, read-only connection. A month's bulletin of a large city reads
/// for tens of seconds; on the work loop that held every link and every other operator as long.
final class SnapshotCommands: Sendable {
    let context: NodeContext
    let names: Set<String>

    init(context: NodeContext) {
        self.context = context
        names = Set(OperatorCommands.handlers(for: context.role).filter(\.spec.readsOnly).map(\.spec.name))
    }

    /// The answer to a read-only command; nil for any other command (the work loop answers those).
    func answer(_ request: AdminRequest) -> AdminResponse? {
        guard let name = request.argv.first, names.contains(name) else { return nil }
        let reader: NodeContext
        do { reader = try context.snapshotReader() } catch {
            return .failure("cannot open a read-only view of the database for \(name): \(error)")
        }
        return TicketService(context: reader).execute(request, now: context.clock.now, links: { [] })
    }
}
