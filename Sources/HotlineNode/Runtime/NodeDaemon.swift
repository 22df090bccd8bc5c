import Foundation
import HotlineCore
import HotlineNet
import HotlineStore
import HotlineWire

/// A running node: its links, its database and the ticket service, all driven by one work loop.
///
/// Threads: one per connection (HotlineNet), one accept thread per listener, one dial thread (children), the
/// admin socket's threads, and the work loop, which alone writes the database and touches the link sessions and
/// tickets. Read-only commands that may read a lot (`report`, `figures`) run on their admin thread over a read-only
/// connection of their own (`SnapshotCommands`); the city's minute scan for early warnings reads and computes on a
/// thread and connection of its own (`AlertScanner`).
public final class NodeDaemon: @unchecked Sendable {
    // Everything below is owned by the work loop thread, except `loop`, `log` and the immutable configuration.
    let context: NodeContext
    let log: Log
    private let loop = WorkLoop<NodeInput>(name: "work-loop")
    var links: [String: LinkDriver] = [:]
    /// The same drivers in the topology's order of neighbours: rounds walk them in this order, not the dictionary's
    /// (Swift seeds its hashing per process, so a dictionary's order differs from run to run, and with it the order
    /// of a round's frames: the deterministic simulation replays a seed only if nothing depends on it).
    private(set) var linkOrder: [LinkDriver] = []
    /// Acknowledged outbox rows not deleted yet (see `DeferredAcks`).
    var deferredAcks = DeferredAcks()
    /// Inputs a failed round never reached (connections, bytes, closings, the alert scan's result): the next round
    /// takes them first. Its commands are answered by the failed round itself, or run again (`takeBack`).
    private var carried: [NodeInput] = []
    /// Accepted connections whose peer has not yet said hello: bytes are held until the hello names the link.
    var unidentified: [ObjectIdentifier: PendingConnection] = [:]
    /// When a refused handshake from each remote host was last logged (`link-refused`, monotonic ms).
    var refusalLogged: [String: Int64] = [:]
    private var listener: TCPListener?
    private var dialer: ParentDialer?
    private var admin: UnixSocketServer?
    private var tls: TLSContext?
    let service: TicketService
    private let storageHealth = StorageHealth()
    /// Assignment bodies the connection threads decoded ahead of the loop (`BodyPredecoder`).
    let bodies: PredecodedBodies
    /// Hand what the connection threads decoded back to them to free (`PredecodedBodies.retire`): at counties and units.
    let retireDecoded: Bool
    private let finished = DispatchSemaphore(value: 0)
    /// Milliseconds for link timers: the machine's monotonic clock; the simulation's own time in the simulation.
    var monotonic: () -> Int64 = { Net.monotonicMilliseconds() }
    /// Milliseconds (fractional) for timing rounds (`RoundWatch`); frozen in the simulation, where no round is slow.
    var roundClock: () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }
    private var roundWatch: RoundWatch
    /// The deterministic simulation's crash point: called inside each round's transaction, just before the commit;
    /// throwing there is a power loss before the commit. Nil outside the simulation.
    var beforeCommit: (() throws -> Void)?

    public init(context: NodeContext) throws {
        self.context = context
        self.log = context.log
        self.service = TicketService(context: context)
        roundWatch = RoundWatch(slowMilliseconds: context.config.slowRoundMilliseconds)
        bodies = PredecodedBodies(keyring: context.keyring, callerTagger: context.callerTagger)
        service.predecoded = bodies
        // Counties and units cache tickets and apply messages their connections decoded (assignments); the city
        // decodes its own.
        retireDecoded = context.role != .city
        if retireDecoded { service.repository.cache.retire = { [bodies] in bodies.retire(other: $0, weight: $1) } }
        try service.repository.fillOverdueColumn()
        if let filled = try service.repository.fillFigureColumns() {
            log.info("figure-columns-filled", ["tickets": "\(filled.tickets)", "events": "\(filled.events)",
                                               "detail": "once after an upgrade: figures read these columns from now on"])
        }
        if let filled = try service.repository.fillAlertColumns(), filled > 0 {
            log.info("alert-columns-filled", ["tickets": "\(filled)", "detail": context.role == .city
                ? "after an upgrade or a new caller-tag key: the early warnings read these columns"
                : "once after an upgrade: caller keys are kept at the centre only, and emptied here"])
        }
        for peer in context.neighbours where links[peer] == nil {
            let driver = LinkDriver(peer: peer)
            links[peer] = driver
            linkOrder.append(driver)
        }
    }

    /// Starts listening, dialling and serving operators; returns once everything is up.
    public func start() throws {
        Net.ignoreSigpipe()
        tls = try context.makeTLS()
        if tls == nil {
            log.warn("PLAINTEXT-LINKS", ["detail": "--insecure: links to this node are NOT encrypted or authenticated",
                                         "allowed": "only because every address in the topology is loopback",
                                         "action": "issue certificates with deploy/pki/make-pki.sh and re-run init with --tls-dir"])
        }
        let post: @Sendable (NodeInput) -> Void = { [loop] in loop.post($0) }
        if let endpoint = context.selfNode.listen, !context.topology.children(of: context.nodeId).isEmpty {
            let l = TCPListener(host: endpoint.host, port: endpoint.port, tls: tls,
                                maxConnections: Self.maxConnections(children: context.topology.children(of: context.nodeId).count),
                                log: { [log] in log.warn("listener", ["detail": $0]) },
                                delegateFactory: { [bodies] _ in LinkConnectionDelegate(dialledPeer: nil, post: post, bodies: bodies) })
            try l.start()
            listener = l
            log.info("listening", ["addr": "\(endpoint.host):\(l.boundPort)", "tls": tls == nil ? "off" : "on"])
        }
        if let parent = context.parentNode,
           let endpoint = context.config.parentAddress.flatMap(Endpoint.init(parsing:)) ?? parent.listen {
            let d = ParentDialer(parent: parent.id, endpoint: endpoint, log: log,
                                 capSeconds: context.config.redialCapSeconds, tls: { [weak self] in self?.currentTLS() },
                                 post: post, bodies: bodies)
            dialer = d
            d.start()
        }
        service.revocationListInstalled = { [weak self] in self?.reloadTLS() }
        if context.role == .city {
            service.alertScanner = AlertScanner(context: context) { result, at in post(.alertScan(result, at: at)) }
        }
        let snapshot = SnapshotCommands(context: context)
        let server = UnixSocketServer(path: context.adminSocketPath, mode: 0o660, group: context.config.adminGroup) {
            [loop] request, peer in
            AdminEndpoint.handle(request: request, peer: peer, loop: loop, snapshot: snapshot)
        }
        try server.start()
        admin = server
        loop.start(drain: { [self] batch in drain(batch) }, finish: { [self] in shutdownLinks() })
        log.info("ready", ["node": context.nodeId, "role": context.role.rawValue,
                           "profile": context.profile.id, "clock": context.clock.mode.rawValue])
    }

    /// How many connections the listener keeps open at once: each child has one, briefly two while it re-dials a
    /// link whose loss this side has not noticed yet, and some may be mid-handshake; beyond this a connection is
    /// refused at once (`TCPListener`), so a flood of connections cannot exhaust the node's threads.
    static func maxConnections(children: Int) -> Int { max(64, 8 * children) }

    /// SIGTERM/SIGINT: finish the transaction in progress, close links, stop.
    public func stop() {
        admin?.stop()
        dialer?.stop()
        loop.stop()
    }

    public func waitUntilStopped() { finished.wait() }

    public func reloadTLS() { loop.post(.reloadTLS) }

    private let tlsLock = NSLock()
    /// Looked at by the work loop once a minute (`watchHealth`): the certificate chain's end (said at most once a
    /// day), the disk's free space, the holiday calendar's years (`CalendarWatch`).
    var certificateWatch = CertificateWatch()
    var diskWatch = DiskWatch()
    var calendarWatch = CalendarWatch()
    /// Reads the free space of the data directory's file system (tests give a disk of their own).
    var diskSpace: (String) -> DiskSpace? = DiskSpace.of
    func currentTLS() -> TLSContext? { tlsLock.withLock { tls } }

    // MARK: - The loop

    /// One round: what a failed round left unprocessed (`carried`), then every input posted since, in one
    /// transaction; then the actions that must follow the commit.
    func drain(_ posted: [NodeInput]) -> TimeInterval {
        guard !carried.isEmpty else { return round(posted) }
        let batch = carried + posted
        carried = []
        return round(batch)
    }

    private func round(_ batch: [NodeInput]) -> TimeInterval {
        let now = RoundTime(mono: monotonic(), at: context.clock.now)
        var replies: [(reply: @Sendable (AdminResponse) -> Void, response: AdminResponse, request: AdminRequest)] = []
        let changesBefore = context.db.totalChanges
        var acksApplied: [String: UInt64] = [:]
        let started = roundClock(), cpuStarted = RoundWatch.threadCPUMilliseconds()
        var workDone = started, committed: Double?, timers = 0.0
        var sweeping = false
        /// The commands (and the alert scan's result) of a round taken back, run again in a round of their own.
        var again: [NodeInput] = []
        /// The input being processed when the round failed (-1: none yet; the ones after it were never reached);
        /// `batch.count` once all were.
        var reached = -1
        do {
            try context.db.transaction {
                for (i, input) in batch.enumerated() {
                    reached = i
                    switch input {
                    case .connected(let c, let dialled): try connected(c, dialledPeer: dialled, now: now)
                    case .received(let c, let bytes, _): try received(c, bytes, now: now)
                    case .closed(let c, let reason): closed(c, reason: reason)
                    case .reloadTLS: reload()
                    case .alertScan(let result, let at): try service.alertsComputed(result, at: at)
                    case .admin(let request, let reply):
                        replies.append((reply, try service.execute(request, now: now.at, links: linkStatus), request))
                    }
                }
                reached = batch.count
                let timersStarted = roundClock()
                if retireDecoded { bodies.freeRetiredIfIdle(now: now.mono) }
                try service.runTimers(now: now.at)
                watchHealth(now: now)
                sweeping = try service.continueSweeps(now: now.at)
                timers = roundClock() - timersStarted
                for driver in linkOrder {
                    try tick(driver, now: now)
                    watchOutage(driver, now: now)
                    watchQueue(driver, now: now)
                }
                expireUnidentified(now: now)
                if deferredAcks.due(now: now.mono, roundWrites: context.db.totalChanges > changesBefore) {
                    acksApplied = deferredAcks.upTo
                    for (link, seq) in acksApplied { try context.links.acknowledge(link: link, upTo: seq) }
                }
                try beforeCommit?()
                workDone = roundClock()
            }
            committed = roundClock()
            deferredAcks.committed(acksApplied)
            // Only a round that wrote proves storage works again (a round of `status` alone commits nothing).
            if context.db.totalChanges > changesBefore {
                storageHealth.succeeded(log: log)
                service.storageFailure = nil
            }
        } catch let back as RoundTakenBack {
            // Not the disk: a message refused after part of it was written. Nothing of the round is stored; the
            // links whose sessions moved on in it are dropped (their peers send again) and its operator commands
            // run again below, in a round of their own.
            log.warn("round-taken-back", ["peer": back.peer, "origin": back.origin, "kind": back.kind, "id": back.message,
                                          "rule": back.rule, "effect": "the round was rolled back; \(back.peer) sends its messages again and the next \(service.savepointMessagesAfterTakeBack) are applied one savepoint each"])
            again = takeBack(batch, reached: reached)
            replies.removeAll()
        } catch let back as CommandTakenBack {
            // A command refused after it wrote without a savepoint: the same, and its commands run again each in a
            // savepoint of its own (below), where this one is refused cleanly.
            log.warn("round-taken-back", ["command": back.command, "user": back.user, "rule": back.rule,
                                          "effect": "the round was rolled back; its links' peers send their messages again and its commands run again, each in a savepoint"])
            again = takeBack(batch, reached: reached)
            replies.removeAll()
        } catch {
            // Nothing of this round is durable: drop the connections whose sessions moved on in it
            // (`LinkDriver.needsCommit`: their peers resend), tell the operators, and try again on the next round.
            storageHealth.failed(error, log: log)
            service.storageFailure = "\(error)"
            service.afterCommit.removeAll()
            dropLinks(of: batch, reached: reached, reason: "storage failure")
            // Every command of the round is answered, those the round never reached too (an operator's command
            // must not wait for ever because a message before it in the round failed).
            replies = batch.compactMap { input in
                guard case .admin(let request, let reply) = input else { return nil }
                return (reply, answerAgain(request, now: now) ?? .failure("storage failure, nothing was changed: \(error)"), request)
            }
            carried += Self.unreached(batch, after: reached) { if case .admin = $0 { false } else { true } }
        }
        // Processed, or dropped with the round (their connections were detached): the peers may send more. What
        // is carried to the next round still counts.
        for (i, input) in batch.enumerated() where i <= reached {
            if case .received(_, let bytes, let backlog?) = input { backlog.done(bytes.count) }
        }
        log.batched { for action in service.afterCommit { action() } }
        service.afterCommit.removeAll()
        for driver in linkOrder { acknowledgeAndSend(driver, now: now) }
        service.outboxTouched.removeAll()
        for r in replies { r.reply(r.response) }
        if let committed {
            let finished = roundClock()
            watch(batch, work: workDone - started, commit: committed - workDone, after: finished - committed, ended: finished,
                  cpu: RoundWatch.threadCPUMilliseconds() - cpuStarted, timers: timers, now: now)
        }
        // It holds no link input and its commands run in savepoints, so it cannot be taken back again.
        if !again.isEmpty {
            service.commandSavepoints = true
            defer { service.commandSavepoints = false }
            return round(again)
        }
        // A sweep under way goes on at once, and so does what a failed round left once it got past an input (each
        // such round takes one input off; one that failed before its first, at `BEGIN`, waits for the next tick or
        // input rather than spin); inputs that arrived meanwhile share the next round with them.
        return (sweeping && committed != nil) || (!carried.isEmpty && reached >= 0) ? 0 : 0.2
    }

    /// After a round was rolled back for a refusal it could not take back alone (`RoundTakenBack`,
    /// `CommandTakenBack`): its log lines go, the links that delivered in it are dropped (their peers send again),
    /// and its operator commands and alert scan are what runs again, in a round of their own.
    private func takeBack(_ batch: [NodeInput], reached: Int) -> [NodeInput] {
        service.afterCommit.removeAll()
        dropLinks(of: batch, reached: reached, reason: "round taken back")
        carried += Self.unreached(batch, after: reached) { !Self.runsAgain($0) }
        return batch.filter(Self.runsAgain)
    }

    /// What runs again in a round of its own after a round was taken back: its commands and alert scan.
    private static func runsAgain(_ input: NodeInput) -> Bool {
        if case .admin = input { true } else if case .alertScan = input { true } else { false }
    }

    /// The inputs of a failed round after the one it failed at, those of them that `keep` selects: carried to the
    /// next round (the connections they came from, the bytes they brought, the alert scan's result), in order.
    private static func unreached(_ batch: [NodeInput], after reached: Int, _ keep: (NodeInput) -> Bool) -> [NodeInput] {
        reached + 1 < batch.count ? batch[(reached + 1)...].filter(keep) : []
    }

    /// After a failed round: the links whose sessions moved on in it (`LinkDriver.needsCommit`: their peers send
    /// again from what is stored), and the connection the round was opening or reading when it failed (where in its
    /// bytes it stopped is lost with the round; its peer connects again).
    private func dropLinks(of batch: [NodeInput], reached: Int, reason: String) {
        for driver in linkOrder where driver.needsCommit { driver.detach(reason: reason) }
        guard batch.indices.contains(reached) else { return }
        let c: LinkTransport
        switch batch[reached] {
        case .received(let connection, _, _), .connected(let connection, _): c = connection
        default: return
        }
        if let driver = linkOrder.first(where: { $0.owns(c) }) {
            driver.detach(reason: reason)
        } else {
            unidentified[ObjectIdentifier(c)] = nil
            c.close()
        }
    }

    /// Times the round that committed (a failed one is reported by `StorageHealth`); see `RoundWatch`.
    private func watch(_ batch: [NodeInput], work: Double, commit: Double, after: Double, ended: Double, cpu: Double,
                       timers: Double, now: RoundTime) {
        var round = RoundWatch.Round(work: work, commit: commit, after: after, cpu: cpu, timers: timers)
        round.ended = ended
        if round.total >= Double(roundWatch.slowMilliseconds) {
            for input in batch {
                switch input {
                case .received: round.messages += 1
                case .admin: round.commands += 1
                default: round.other += 1
                }
            }
        }
        if let fields = roundWatch.record(round, at: now.at) { log.warn("slow-round", fields) }
        service.rounds = roundWatch.summary
    }

    /// After a round failed to commit, a command that writes nothing is run again in a transaction of its own, so
    /// `status` still answers (with the storage failure) while data keeps arriving; nil for any other command.
    private func answerAgain(_ request: AdminRequest, now: RoundTime) -> AdminResponse? {
        guard service.writesNothing(request) else { return nil }
        return try? context.db.transaction { try service.execute(request, now: now.at, links: linkStatus) }
    }

    private func shutdownLinks() {
        for driver in linkOrder {
            _ = driver.run(clock: context.clock.now) { $0.close() }
            driver.detach(reason: "shutdown")
        }
        for (_, entry) in unidentified { entry.connection.close() }
        listener?.stop()
        let applied = deferredAcks.upTo
        if !applied.isEmpty {
            do {
                try context.db.transaction { () throws -> Void in
                    for (link, seq) in applied { try context.links.acknowledge(link: link, upTo: seq) }
                }
                deferredAcks.committed(applied)
            } catch {
                log.warn("acknowledged-rows-kept", ["error": "\(error)", "effect": "deleted at the next acknowledgement"])
            }
        }
        checkpointForShutdown()
        log.info("stopped", ["node": context.nodeId])
        finished.signal()
    }

    /// Moves the write-ahead log into the database and empties it. A log left with frames means, at the next start,
    /// that the node did not stop cleanly, and the whole file is checked first (2.5 minutes on a 5 GB city database).
    func checkpointForShutdown() {
        do { try context.db.checkpoint() } catch {
            log.warn("checkpoint-failed", ["error": "\(error)",
                                           "effect": "the next start checks the whole database before serving"])
        }
    }

    /// Messages queued for `peer` and not yet acknowledged (rows acknowledged but not yet deleted do not count).
    func pendingCount(_ peer: String) -> Int? {
        try? context.links.pendingCount(link: peer, acknowledged: deferredAcks.upTo[peer] ?? 0)
    }

    /// Each link as operators see it in `status`.
    func linkStatus() -> [LinkStatus] {
        links.values.sorted { $0.peer < $1.peer }.map { d in
            LinkStatus(peer: d.peer, up: d.isEstablished, pending: pendingCount(d.peer) ?? -1,
                       lastError: d.lastError, restored: (try? context.db.meta(NodeRestore.marker(d.peer))) != nil,
                       clockSkewMillis: d.isEstablished ? d.clockSkew.millis : nil, otherProfile: d.otherProfile,
                       downSince: d.isEstablished ? nil : d.downSince.map { ($0.at, monotonic() - $0.mono) },
                       stalledForMillis: d.lastStallWarning == nil ? nil : d.stalledUpMillis)
        }
    }

    private func reload() {
        do {
            let fresh = try context.makeTLS()
            let before = currentTLS()?.revocationList  // the loop is the one thread that replaces it
            tlsLock.withLock { tls = fresh }
            if let fresh { listener?.updateTLS(fresh) }
            log.info("tls-reloaded", ["cert": context.config.tlsCert,
                                      "not_after": fresh?.expiry.map { Timestamp(millis: $0.millis).iso8601 } ?? "",
                                      "revocation_list": fresh?.revocationList.map { "\($0.file) (\($0.lists))" } ?? "none"])
            if let fresh, fresh.revocationList != before { reconnectAll(checkedAgainst: fresh.revocationList) }
            certificateWatch = CertificateWatch()
            watchCertificate()  // say at once whether the new chain is close to its end too
            distributeRevocationList(now: RoundTime(mono: monotonic(), at: context.clock.now))
        } catch {
            log.error("tls-reload-failed", ["error": "\(error)", "action": "the old certificate stays in use"])
        }
    }
}
