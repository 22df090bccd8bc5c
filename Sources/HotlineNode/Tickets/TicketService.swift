import Foundation
import HotlineCore
import HotlineNet
import HotlineStore
import HotlineWire

/// The node's business half: operator commands become lifecycle events, events become messages to the nodes
/// that must know, and messages from neighbours are routed on or applied. Runs only on the work loop thread,
/// inside the loop's transaction; every message it enqueues is therefore atomic with the change that caused it.
final class TicketService {
    let context: NodeContext
    let repository: TicketRepository
    /// Links whose outbox received rows in this round: the loop offers them after the commit.
    var outboxTouched: Set<String> = []
    private var lastRetentionSweep: Timestamp?
    private var lastAlertScan: Timestamp?
    /// Set when the lifecycle refused an event from another node during `handleIncoming`.
    var refusal: String?
    /// Work that may only happen once this round's transaction has committed (e.g. dropping an old data key).
    var afterCommit: [() -> Void] = []
    /// The last storage error, while the database keeps failing (shown by `status`).
    var storageFailure: String?
    /// When the node's certificate chain expires (`CertificateWatch`), for `status`; nil without TLS.
    var certificateExpiry: TLSContext.Expiry?
    /// The revocation list the node checks its neighbours against (`crl.pem`), for `status`; nil without one.
    var revocationList: TLSContext.RevocationList?
    /// The data directory's disk at the last minute's look (`DiskWatch`), for `status`.
    var diskSpace: DiskSpace?
    /// The work loop's rounds so far, for `status` (set by the daemon after each round).
    var rounds: RoundWatch.Summary?
    private var commands: [String: CommandHandler] = [:]
    /// Assignment bodies already decoded by the connection threads (nil outside a running daemon).
    var predecoded: PredecodedBodies?
    /// False once a round found no `Sweep` under way, until one starts: the loop does not look for them every round.
    var sweepsMayRun = true
    /// Computes the minute's early warnings beside the loop (`AlertScanner`, set by a running city); nil: the loop
    /// computes them itself (tests, the simulation).
    var alertScanner: AlertScanner?
    /// A scan handed to `alertScanner` whose warnings have not come back yet.
    var alertScanInFlight = false
    /// Whether every command runs in a savepoint of its own (`execute`): in the round that runs a taken-back
    /// round's commands again.
    var commandSavepoints = false
    /// Neighbours whose next messages are each applied in a savepoint, and how many more (`atomically`).
    var savepointMessages: [String: Int] = [:]
    /// Tests only: runs after a message for this node was applied, or one passing through observed, before its
    /// changes are kept; may refuse it.
    var afterApply: ((DataMessage) throws -> Void)?
    /// Runs after the commit of a round that installed the centre's revocation list (`pki.crl`): the daemon reloads
    /// its TLS, as on SIGHUP.
    var revocationListInstalled: (() -> Void)?

    init(context: NodeContext) {
        self.context = context
        // Sized by how many tickets are in work at once: the most at the city, which sees every one; fewest at a unit.
        let generation = switch context.role { case .city: 1024; case .county: 512; case .unit: 256 }
        self.repository = TicketRepository(db: context.db, sealer: context.keyring, callerTagger: context.callerTagger,
                                           cacheGeneration: generation)
        for handler in OperatorCommands.handlers(for: context.role) { commands[handler.spec.name] = handler }
    }

    var rules: Rules { Rules(profile: context.profile, deadlines: context.deadlines) }
    var actor: Actor { Actor(node: context.nodeId, role: context.role.coreRole) }

    // MARK: - Operators

    /// Runs one operator command all or nothing: a refused command changes nothing, the round goes on. In a savepoint
    /// of its own, unless it decides before it writes (`CommandSpec.decidesBeforeWriting`) and this round's commands
    /// are not all in savepoints (`commandSavepoints`); such a command refused after it wrote throws
    /// `CommandTakenBack`, the only error this throws: the caller must roll back the whole transaction.
    func execute(_ request: AdminRequest, now: Timestamp, links: @escaping () -> [LinkStatus]) throws(CommandTakenBack) -> AdminResponse {
        guard let name = request.argv.first, let handler = commands[name] else {
            let known = commands.keys.sorted().joined(separator: ", ")
            return .failure("unknown command \(request.argv.first ?? "(none)"); this node knows: \(known)", exitCode: 2)
        }
        let arguments: ParsedArguments
        do { arguments = try ArgumentParser.parse(Array(request.argv.dropFirst()), spec: handler.spec) } catch {
            return .failure("\(error)\nsee: hotline-\(context.role.rawValue) \(name) --help", exitCode: 2)
        }
        do {
            let env = CommandEnvironment(service: self, now: now, user: request.user, linkStatus: links)
            let output = handler.spec.decidesBeforeWriting && !commandSavepoints
                ? try withoutSavepoint(name, user: request.user) { try handler.run(arguments, env) }
                : try savepoint("cmd") { try handler.run(arguments, env) }
            // Logged with the round's other lines once it committed (one write for them all): a line written here
            // named a command whose round could still fail, and cost a write of its own (1.4 % of the lifecycle's
            // work loops, perf).
            logAfterCommit("command", ["cmd": name, "user": request.user])
            return output
        } catch let back as CommandTakenBack {
            throw back
        } catch {
            context.log.warn("command-refused", ["cmd": name, "user": request.user, "error": "\(error)"])
            return .failure("\(error)")
        }
    }

    /// Runs a command that decides before it writes without a savepoint: refused before any row changed
    /// (`totalChanges`), it has nothing to take back and only its log lines go; refused after, it throws
    /// `CommandTakenBack`.
    private func withoutSavepoint<T>(_ command: String, user: String, _ body: () throws -> T) throws -> T {
        let changes = context.db.totalChanges, logged = afterCommit.count
        do {
            return try body()
        } catch {
            guard context.db.totalChanges == changes else {
                throw CommandTakenBack(command: command, user: user, rule: "\(error)")
            }
            afterCommit.removeSubrange(logged...)
            throw error
        }
    }

    /// Adds a command beside the node's own (`OperatorCommands`); what tests use to run a command of their making.
    func add(_ handler: CommandHandler) { commands[handler.spec.name] = handler }

    /// Whether this request's command writes nothing (`CommandSpec.writesNothing`): safe to answer again.
    func writesNothing(_ request: AdminRequest) -> Bool {
        request.argv.first.flatMap { commands[$0] }?.spec.writesNothing ?? false
    }

    // MARK: - Lifecycle

    /// Decides a command for a ticket, applies and stores the events, and sends them where they must go.
    @discardableResult
    func perform(_ command: Command, on ticket: Ticket?, now: Timestamp) throws -> (Ticket, [TicketEvent]) {
        if context.role == .city, let ticket { try refuseBeforeRecover(ticket) }
        let events = try Lifecycle.decide(command, ticket: ticket, actor: actor, now: now, rules: rules,
                                           makeId: { RandomID.timeOrdered().lowercased() })
        var current = ticket
        for event in events { current = try Lifecycle.apply(event, to: current) }
        guard let updated = current else { throw ServiceError.noTicket }
        try repository.save(updated, newEvents: events)
        try raisePrompts(events, ticket: updated, now: now)
        try distribute(events, ticket: updated, previous: ticket, now: now)
        return (updated, events)
    }

    func ticket(_ id: String) throws -> Ticket {
        guard let t = try repository.load(id) else { throw ServiceError.unknownTicket(id) }
        return t
    }

    // MARK: - Messages

    /// Enqueues an application message for `dest`, to the neighbour that is the next hop towards it.
    func send(_ kind: AppMessageKind, body: [UInt8], to dest: String, now: Timestamp,
              id: String = RandomID.uuid(), origin: String? = nil) throws {
        guard let hop = context.topology.nextHop(from: context.nodeId, to: dest) else {
            throw ServiceError.noRoute(dest)
        }
        let message = OutboxMessage(id: id, origin: origin ?? context.nodeId, dest: dest, kind: kind.rawValue,
                                    at: now.millis, body: body)
        if let refusal = oversize(message) { throw refusal }
        _ = try context.links.enqueue(link: hop, message: message)
        outboxTouched.insert(hop)
    }

    /// The refusal of a message whose frame can be over the links' frame limit (`maxFrameBytes`, the same on every
    /// node): the next hop would close the link on it at every offer, and it would hold up everything queued behind
    /// it, so it is refused before it is stored.
    func oversize(_ m: OutboxMessage) -> ServiceError? {
        let bytes = DataMessage.payloadBound(id: m.id, origin: m.origin, dest: m.dest, kind: m.kind, bodyBytes: m.body.count)
        let limit = context.config.maxFrameBytes
        return bytes > limit ? .tooLarge(kind: m.kind, dest: m.dest, bytes: bytes, limit: limit) : nil
    }

    /// A data message from a neighbour, inside the loop's transaction. Routed on when it is for another node (and
    /// observed on the way when it concerns a ticket this node keeps), applied when it is for this node.
    /// Returns the rule that refused the message, if one did (the link reports it to the peer).
    @discardableResult
    func handleIncoming(_ m: DataMessage, from peer: String, now: Timestamp) throws -> String? {
        refusal = nil
        if let refusal = authorize(m, from: peer) {
            context.log.warn("message-refused", ["from": peer, "origin": m.origin, "kind": m.kind, "id": m.id,
                                                 "rule": refusal])
            if m.origin != context.nodeId, context.topology.node(m.origin) != nil {
                try sendNotice(to: m.origin, about: m, text: refusal, now: now)
            }
            return refusal
        }
        if m.dest != context.nodeId {
            guard let hop = context.topology.nextHop(from: context.nodeId, to: m.dest) else {
                context.log.warn("message-unroutable", ["dest": m.dest, "id": m.id])
                return "no route from \(context.nodeId) to \(m.dest)"
            }
            let forward = OutboxMessage(id: m.id, origin: m.origin, dest: m.dest, kind: m.kind, at: m.at ?? now.millis,
                                        body: m.body)
            if let refusal = oversize(forward) {
                let rule = refusal.description
                context.log.warn("message-refused", ["from": peer, "origin": m.origin, "kind": m.kind, "id": m.id, "rule": rule])
                if context.topology.node(m.origin) != nil { try sendNotice(to: m.origin, about: m, text: rule, now: now) }
                return rule
            }
            _ = try context.links.enqueue(link: hop, message: forward)
            outboxTouched.insert(hop)
            try observe(m, from: peer, now: now)
            return nil
        }
        do {
            try atomically("msg", m, from: peer) {
                try apply(m, now: now)
                try afterApply?(m)
            }
        } catch let error as any FailsTheRound {
            throw error
        } catch {
            // Refused or unreadable: nothing of it is stored; the origin is told why (durably, as a notice), and
            // the message is still acknowledged so that it is not resent for ever.
            context.log.warn("message-refused", ["from": peer, "origin": m.origin, "kind": m.kind, "id": m.id,
                                                 "rule": "\(error)"])
            if m.kind != AppMessageKind.notice.rawValue, m.origin != context.nodeId {
                try sendNotice(to: m.origin, about: m, text: "\(error)", now: now)
            }
            return "\(error)"
        }
        return refusal
    }

    /// A message's origin must be the neighbour it came from or a node below it; from the parent, anything above
    /// or beside us (the city relays). Returns the rule broken, or nil.
    private func authorize(_ m: DataMessage, from peer: String) -> String? {
        let topology = context.topology
        guard topology.node(m.origin) != nil else { return "origin \(m.origin) is not in the topology" }
        guard topology.node(m.dest) != nil else { return "destination \(m.dest) is not in the topology" }
        if peer == context.parentID {
            if topology.isInSubtree(m.origin, of: context.nodeId) {
                return "a message from the parent cannot originate at \(m.origin), below this node"
            }
        } else if !topology.isInSubtree(m.origin, of: peer) {
            return "\(peer) may only relay messages from itself or nodes below it, not from \(m.origin)"
        }
        return nil
    }

    /// Runs `body` in a savepoint: all of it or, when it throws, none of it (the error is rethrown). Log lines
    /// it left for after the commit go with it.
    func savepoint<T>(_ name: String, _ body: () throws -> T) throws -> T {
        let logged = afterCommit.count
        try context.db.execute(sql: "SAVEPOINT \(name)")
        do {
            let result = try body()
            try context.db.execute(sql: "RELEASE \(name)")
            return result
        } catch {
            try? context.db.execute(sql: "ROLLBACK TO \(name)")
            try? context.db.execute(sql: "RELEASE \(name)")
            afterCommit.removeSubrange(logged...)
            throw error
        }
    }

    /// Applies message `m` from neighbour `peer` all or nothing, without a savepoint when it can.
    ///
    /// A savepoint per message cost a fifth of a unit's work loop in a durable hop (callgrind: SQLite copies every
    /// page the message changes into its statement journal, in 1 KB pieces it allocates, and frees them at the
    /// release), and almost every message is either applied or refused before it writes anything. So `body` runs
    /// without one, and a refusal that comes after none of the connection's rows changed (`totalChanges`) has
    /// nothing to take back. A refusal after a write does: the message cannot be taken back alone, so the round
    /// is (`RoundTakenBack`: the loop rolls it back and drops the links that delivered in it, whose peers send
    /// again), and `peer`'s next `savepointMessagesAfterTakeBack` messages each get a savepoint, so the message
    /// that did it is refused cleanly when it comes again (a peer resends at most a window).
    func atomically(_ name: String, _ m: DataMessage, from peer: String, _ body: () throws -> Void) throws {
        if let left = savepointMessages[peer] {
            savepointMessages[peer] = left > 1 ? left - 1 : nil
            return try savepoint(name, body)
        }
        let changes = context.db.totalChanges, logged = afterCommit.count
        do {
            try body()
        } catch let error as any FailsTheRound {
            throw error
        } catch {
            guard context.db.totalChanges == changes else {
                savepointMessages[peer] = savepointMessagesAfterTakeBack
                throw RoundTakenBack(peer: peer, message: m.id, kind: m.kind, origin: m.origin, rule: "\(error)")
            }
            afterCommit.removeSubrange(logged...)
            throw error
        }
    }

    /// How many of a peer's messages get a savepoint each after one of its messages took a round back: twice the
    /// most a peer resends after reconnecting (its window), and at least 10,000.
    var savepointMessagesAfterTakeBack: Int { max(10_000, 2 * context.config.window) }

    /// Periodic work of the loop. Counties and units erase the personal fields of tickets finished more than
    /// `retentionDays` ago (the city keeps them: it is the archive), a batch at a time.
    func runTimers(now: Timestamp) throws {
        guard context.role != .city else { return try scanAlerts(now: now) }
        if let last = lastRetentionSweep, now.millis - last.millis < 60_000, now >= last { return }
        lastRetentionSweep = now
        let cutoff = now.adding(millis: -Int64(context.config.retentionDays) * 86_400_000)
        for id in try repository.erasable(before: cutoff, limit: 200) {
            guard let ticket = try repository.load(id) else { continue }
            try repository.storeErased(Privacy.erased(ticket))
            logAfterCommit("personal-data-erased", ["ticket": id, "retention_days": "\(context.config.retentionDays)"])
        }
    }
}

extension TicketService {
    /// The tickets of an alert as its log line names them: the first `alertTicketsLogged`, then "…". A spike of a
    /// day's calls about a burst main is thousands of tickets, and one line of them was a hundred kilobytes in the
    /// journal; `hotline-city alerts` lists them all.
    static func loggedTickets(_ tickets: [String]) -> String {
        tickets.prefix(alertTicketsLogged).joined(separator: ",") + (tickets.count > alertTicketsLogged ? ",…" : "")
    }

    static let alertTicketsLogged = 20

    /// The city looks for early warnings once a minute of its clock (and at once when the manual clock jumps);
    /// each new one is logged after the round commits, so a logged warning is always a stored one. In a running city
    /// the minute's scan reads and computes beside the loop (`AlertScanner`: a fifth to half a second on a year of
    /// a city, every minute, that held every link and operator) and the loop stores what comes back
    /// (`alertsComputed`); `force` (the `alerts` command, which lists what it finds) computes here and now.
    func scanAlerts(now: Timestamp, force: Bool = false) throws {
        if !force, let last = lastAlertScan, now.millis - last.millis < 60_000, now >= last { return }
        lastAlertScan = now
        try scanKnowledge(now: now)
        if !force, let scanner = alertScanner {
            // One at a time: a scan slower than a minute is not queued behind itself.
            guard !alertScanInFlight else { return }
            alertScanInFlight = true
            scanner.scan(at: now)
            return
        }
        try raise(AlertLog(db: context.db).compute(repository: repository, rules: rules, now: now), at: now)
    }

    /// The warnings `alertScanner` computed at `now` (or why it could not): stored, and logged after the commit.
    func alertsComputed(_ result: Result<[Alert], AlertScanner.Failure>, at now: Timestamp) throws {
        alertScanInFlight = false
        switch result {
        case .success(let alerts): try raise(alerts, at: now)
        case .failure(let failure):
            context.log.warn("alert-scan-failed", ["error": failure.description, "effect": "the next minute's scan tries again"])
        }
    }

    /// The centre's supervision prompts raised by a ticket's new events (`Alerts.afterEvents`).
    func raisePrompts(_ events: [TicketEvent], ticket: Ticket, now: Timestamp) throws {
        guard context.role == .city else { return }
        let prompts = Alerts.afterEvents(events, ticket: ticket, profile: context.profile)
        if !prompts.isEmpty { try raise(prompts, at: now) }
    }

    /// Stores the warnings not raised before (each once, by key) and logs those after the commit.
    private func raise(_ alerts: [Alert], at now: Timestamp) throws {
        let raised = try AlertLog(db: context.db).store(alerts, at: now)
        guard !raised.isEmpty else { return }
        let log = context.log
        afterCommit.append {
            for a in raised {
                log.warn("alert", ["kind": a.kind.rawValue, "subject": a.subject, "count": "\(a.tickets.count)",
                                   "tickets": Self.loggedTickets(a.tickets), "message": a.message, "basis": a.basis])
            }
        }
    }
}

enum ServiceError: Error, CustomStringConvertible {
    case noTicket
    case unknownTicket(String)
    case noRoute(String)
    case badBody(kind: String, detail: String)
    case refused(String)
    case usage(String)
    /// A message for `dest` over the links' frame limit: nothing of the step is stored.
    case tooLarge(kind: String, dest: String, bytes: Int, limit: Int)

    var description: String {
        switch self {
        case .noTicket: return "the command produced no ticket"
        case .unknownTicket(let id): return "no ticket \(id) at this node; check the id with `list`"
        case .noRoute(let dest): return "no route to \(dest) in the topology"
        case .badBody(let kind, let detail): return "a \(kind) message has an invalid body: \(detail)"
        case .refused(let rule): return "refused: \(rule)"
        case .usage(let text): return text
        case .tooLarge(let kind, let dest, let bytes, let limit):
            return "the \(kind) message for \(dest) would take up to \(bytes) bytes, over the links' limit of \(limit); nothing was "
                + "stored. A ticket's messages carry its whole history: raise maxFrameBytes in node.json on every node and restart them"
        }
    }
}
