import HotlineCore

/// Answers the operator commands that only read (`CommandSpec.readsOnly`: `report`, `figures`, `backup`; and
/// `readOnlySubcommands`: the knowledge base's reads) on the admin socket's own thread, from a snapshot on a second,
/// read-only connection. A month's bulletin of a large city reads for tens of seconds; on the work loop that held
/// every link and every other operator as long.
final class SnapshotCommands: Sendable {
    let context: NodeContext
    let specs: [String: CommandSpec]

    init(context: NodeContext) {
        self.context = context
        specs = Dictionary(OperatorCommands.handlers(for: context.role).map { ($0.spec.name, $0.spec) }) { first, _ in first }
    }

    /// The answer to a read-only command; nil for any other command (the work loop answers those, and the errors
    /// of a command line that does not parse).
    func answer(_ request: AdminRequest) -> AdminResponse? {
        guard let name = request.argv.first, let spec = specs[name], spec.readsOnly || !spec.readOnlySubcommands.isEmpty,
              let args = try? ArgumentParser.parse(Array(request.argv.dropFirst()), spec: spec), spec.readsOnly(args) else { return nil }
        let reader: NodeContext
        do { reader = try context.snapshotReader() } catch {
            return .failure("cannot open a read-only view of the database for \(name): \(error)")
        }
        // Read-only commands never decide before writing (they write nothing), so nothing is taken back here.
        do { return try TicketService(context: reader).execute(request, now: context.clock.now, links: { [] }) } catch {
            return .failure("\(error)")
        }
    }
}
