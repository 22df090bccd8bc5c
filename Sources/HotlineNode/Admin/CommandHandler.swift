import Foundation
import HotlineCore

/// One operator command as the daemon runs it: its specification (flags, help, examples) and its body.
struct CommandHandler: Sendable {
    var spec: CommandSpec
    var run: @Sendable (ParsedArguments, CommandEnvironment) throws -> AdminResponse
}

/// What a command body may use: the service (tickets, messages), the instant of this round, the operator.
struct CommandEnvironment {
    let service: TicketService
    let now: Timestamp
    let user: String
    /// The links as `status` shows them; computed only when a command asks (each costs an outbox query).
    let linkStatus: () -> [LinkStatus]

    var links: [LinkStatus] { linkStatus() }

    var context: NodeContext { service.context }

    func ticketArgument(_ args: ParsedArguments) throws -> Ticket {
        guard let id = args.positional(0) else { throw ServiceError.usage("give the ticket id, e.g. JN-20260302-000001") }
        return try service.ticket(id)
    }

    func required(_ args: ParsedArguments, _ name: String, example: String) throws -> String {
        guard let v = args.value(name), !v.isEmpty else { throw ServiceError.usage("\(name) is required, e.g. \(name) \(example)") }
        return v
    }

    /// The usual answer to a lifecycle command: one line for people, the ticket's summary for scripts.
    func done(_ ticket: Ticket, _ events: [TicketEvent]) -> AdminResponse {
        let what = events.map(\.type.rawValue).joined(separator: ", ")
        let holder = TicketPresenter.nodeLabel(ticket.holder, context.topology)
        let now = self.now
        return .success(text: "\(ticket.id): \(what) → \(ticket.status.rawValue) (\(holder))",
                        buildingJSON: { TicketPresenter.summaryJSON(ticket, now: now) })
    }
}

extension CommandEnvironment {
    /// The file of `--check FILE` or `--install FILE` (`topology`, `calendar`): its name as the operator gave it, its
    /// bytes (read and sent by the client: the daemon may not read where the operator keeps it), and whether to
    /// install it; nil when neither flag was given.
    func sentFile(_ args: ParsedArguments, command: String) throws -> (String, Data, Bool)? {
        let check = args.value("--check"), install = args.value("--install")
        guard check == nil || install == nil else { throw ServiceError.usage("give --check FILE or --install FILE, not both") }
        guard let file = check ?? install else { return nil }
        guard let encoded = args.value("--content-base64"), let data = Data(base64Encoded: encoded) else {
            throw ServiceError.usage("the \(command) file was not sent; run: hotline-\(context.role.rawValue) \(command) --check FILE --data DIR")
        }
        return (file, data, install != nil)
    }
}

/// The state of one link, for `status`.
struct LinkStatus: Sendable {
    var peer: String
    var up: Bool
    var pending: Int
    var lastError: String?
    /// The node was restored from a backup and nothing has come in on this link since (`NodeRestore`).
    var restored = false
    /// The neighbour's clock minus this node's (ms) at its last hello or heartbeat on this connection; nil before one.
    var clockSkewMillis: Int64? = nil
    /// The neighbour's profile (id@fingerprint) when its last hello named another than this node's.
    var otherProfile: String? = nil
    /// While down: since when (the node's clock) and for how long (ms).
    var downSince: (at: Timestamp, forMillis: Int64)? = nil
    /// Once `link-stalled` was logged: how long the link has been up without acknowledging what waits (ms).
    var stalledForMillis: Int64? = nil
}

extension ParsedArguments {
    /// The ticket-id positional and a readable note from the common text flags.
    func text(_ names: String...) -> String? {
        for n in names { if let v = value(n), !v.isEmpty { return v } }
        return nil
    }
}
