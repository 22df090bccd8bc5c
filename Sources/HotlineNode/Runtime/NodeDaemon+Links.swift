import Foundation
import HotlineCore
import HotlineNet
import HotlineStore
import HotlineWire

/// The link half of the work loop: connections come and go, the pure `LinkSession` decides, this file performs.
extension NodeDaemon {
    func connected(_ c: LinkTransport, dialledPeer: String?, now: RoundTime) throws {
        guard let peer = dialledPeer else {
            // Accepted: the link is known once the peer's hello names it (and its certificate agrees).
            unidentified[ObjectIdentifier(c)] = PendingConnection(connection: c, maxFrame: context.config.maxFrameBytes,
                                                                  since: now.mono)
            return
        }
        try open(peer: peer, on: c, now: now, buffered: [])
    }

    func received(_ c: LinkTransport, _ bytes: [UInt8], now: RoundTime) throws {
        if let driver = linkOrder.first(where: { $0.owns(c) }) {
            try perform(driver.run(clock: now.at) { $0.receive(bytes: bytes, now: now.mono) }, on: driver, now: now)
            return
        }
        let key = ObjectIdentifier(c)
        guard var pending = unidentified[key] else { return }
        pending.buffer.append(contentsOf: bytes)
        pending.decoder.append(bytes)
        unidentified[key] = pending
        let first: [UInt8]
        do {
            guard let frame = try pending.decoder.nextFrame() else { return }
            first = frame
        } catch let error {
            return refuse(c, code: error.code, "\(error)")
        }
        let message: WireMessage
        do { message = try WireMessage.decode(first, knownKinds: AppMessageKind.all) } catch let error {
            return refuse(c, code: error.code, "\(error)")
        }
        guard case .hello(let hello) = message else {
            return refuse(c, code: .dataBeforeHello, "the first frame on a link must be hello, got \(message.type)")
        }
        let peer = hello.node
        guard context.topology.node(peer) != nil else {
            return refuse(c, code: .unknownNode, "node \(peer) is not in this network's topology")
        }
        guard context.topology.parent(of: peer)?.id == context.nodeId else {
            return refuse(c, code: .notAuthorized, "node \(peer) is not a child of \(context.nodeId) in the topology")
        }
        if let identity = c.peerIdentity, !identity.names(contain: peer) {
            return refuse(c, code: .notAuthorized,
                          "the certificate names \(identity.names.joined(separator: ",")), but the hello says \(peer)")
        }
        unidentified[key] = nil
        try open(peer: peer, on: c, now: now, buffered: pending.buffer)
    }

    func closed(_ c: LinkTransport, reason: String?) {
        unidentified[ObjectIdentifier(c)] = nil
        var owned = false
        for driver in linkOrder where driver.owns(c) {
            owned = true
            driver.detach(reason: reason)
            log.warn("link-down", ["peer": driver.peer, "reason": reason ?? "closed"])
        }
        // A connection refused in its TLS handshake never reached a link: say whom and why here, where the refusal
        // was decided (a revoked, expired or foreign certificate), once a minute for each address at most.
        if !owned, let reason, reason.hasPrefix("TLS handshake failed") {
            let host = String(c.remoteAddress.split(separator: ":").dropLast().joined(separator: ":"))
            let now = monotonic()
            if refusalLogged[host].map({ now - $0 >= 60_000 }) ?? true {
                // Hosts whose minute has passed need no entry: many addresses must not grow it for ever.
                if refusalLogged.count >= 1_000 { refusalLogged = refusalLogged.filter { now - $0.value < 60_000 } }
                refusalLogged[host] = now
                log.warn("link-refused", ["remote": c.remoteAddress, "code": "tls-handshake",
                                          "detail": "\(reason) (a revoked, expired or foreign certificate, or not TLS)"])
            }
        }
    }

    /// A connection is checked once, at its handshake: with a new revocation list every link connects again, so that
    /// a neighbour whose certificate it revokes is refused now, not at its next reconnection.
    func reconnectAll(checkedAgainst list: TLSContext.RevocationList?) {
        log.warn("revocation-list-changed", ["file": list?.file ?? "none",
                                             "detail": "every link reconnects and is checked against it; queued messages wait in the outbox"])
        for driver in linkOrder { driver.connection?.close() }
    }

    /// An accepted connection whose peer has not said hello within `deadAfter` is closed (protocols/README.md §7:
    /// AWAIT_HELLO, handshake timeout): a silent client must not hold a connection, and its thread, for ever.
    func expireUnidentified(now: RoundTime) {
        let limit = Int64(context.config.deadAfterSeconds) * 1000
        for (key, pending) in unidentified where now.mono - pending.since >= limit {
            unidentified[key] = nil
            log.warn("link-handshake-timeout", ["remote": pending.connection.remoteAddress,
                                                "detail": "no hello within \(context.config.deadAfterSeconds) s; closed"])
            pending.connection.close()
        }
    }

    func tick(_ driver: LinkDriver, now: RoundTime) throws {
        guard driver.session != nil else { return }
        try perform(driver.run(clock: now.at) { $0.tick(now: now.mono) }, on: driver, now: now)
    }

    /// After the commit: acknowledge what it made durable and offer what it queued.
    func acknowledgeAndSend(_ driver: LinkDriver, now: RoundTime) {
        do {
            if let upTo = driver.deliveredUpTo {
                driver.deliveredUpTo = nil
                try perform(driver.run(clock: now.at) { $0.committed(upTo: upTo, now: now.mono) }, on: driver, now: now)
            }
            if service.outboxTouched.contains(driver.peer) {
                try perform(driver.run(clock: now.at) { $0.outboxAppended(now: now.mono) }, on: driver, now: now)
            }
        } catch {
            log.error("link-outbox-read-failed", ["peer": driver.peer, "error": "\(error)"])
            driver.detach(reason: "outbox read failed")
        }
        driver.flush()
    }

    // MARK: - Private

    private func open(peer: String, on c: LinkTransport, now: RoundTime, buffered: [UInt8]) throws {
        guard let driver = links[peer] else {
            c.close()
            return
        }
        if driver.connection != nil {
            log.warn("link-replaced", ["peer": peer, "detail": "a new connection from the peer replaces the old one"])
            driver.detach(reason: "replaced")
        }
        let config = LinkConfig(localNode: context.nodeId, expectedPeer: peer, connectionID: RandomID.uuid(),
                                knownKinds: AppMessageKind.all, role: context.role.rawValue,
                                window: context.config.window,
                                heartbeatInterval: Int64(context.config.heartbeatSeconds) * 1000,
                                deadAfter: Int64(context.config.deadAfterSeconds) * 1000,
                                maxFrame: context.config.maxFrameBytes, profile: context.profileStamp)
        driver.restored = try context.db.meta(NodeRestore.marker(peer)) != nil
        let reseatAbove = try context.db.meta(NodeRestore.numberingMarker(peer)).flatMap(UInt64.init)
        var session = LinkSession(config: config, lastReceived: try context.links.lastReceived(link: peer),
                                  lastAssigned: try context.links.lastAssigned(link: peer), restored: driver.restored,
                                  reseatAbove: reseatAbove)
        // The session cuts the connection's bytes from the first (an accepted connection's hello is replayed) into
        // the frames its connection thread numbered.
        let places = FrameOrdinals(stream: FramePlace.stream(of: c))
        session.preparsed = { [bodies] frame in bodies.takeFrame(frame, at: places.take()) }
        driver.attach(connection: c, session: session)
        try perform(driver.run(clock: now.at) { $0.start(now: now.mono) }, on: driver, now: now)
        if !buffered.isEmpty {
            try perform(driver.run(clock: now.at) { $0.receive(bytes: buffered, now: now.mono) }, on: driver, now: now)
        }
    }

    private func refuse(_ c: LinkTransport, code: WireErrorCode, _ message: String) {
        unidentified[ObjectIdentifier(c)] = nil
        log.warn("link-refused", ["remote": c.remoteAddress, "code": code.rawValue, "detail": message])
        let frame = WireMessage.error(ErrorMessage(id: RandomID.uuid(), code: code.rawValue, message: message,
                                                   fatal: true)).encodeFrame()
        _ = c.send(frame)
        c.close()
    }

    /// Carries out a session's actions. Frames are held by the driver until `flush` (after the commit), so nothing
    /// read from an uncommitted transaction ever reaches the wire.
    private func perform(_ actions: [LinkAction], on driver: LinkDriver, now: RoundTime) throws {
        for action in actions {
            switch action {
            case .send(let frame):
                driver.hold(frame)
            case .established(let peer, let version):
                driver.markEstablished(now: now.mono)
                deferredAcks.peerHolds(link: driver.peer, upTo: peer.lastReceived)
                log.info("link-up", ["peer": peer.node, "version": "\(version)",
                                     "peer_received": "\(peer.lastReceived)"])
                if let clock = peer.clock { peerClock(clock, on: driver, now: now) }
                peerProfile(peer.profile, on: driver)
            case .deliver(let messages):
                driver.needsCommit = true
                for message in messages {
                    if let rule = try service.handleIncoming(message, from: driver.peer, now: now.at) {
                        let text = "message \(message.id) (\(message.kind) from \(message.origin)) refused: \(rule)"
                        let code: WireErrorCode = AppMessageKind.all.contains(message.kind) ? .notAuthorized : .unknownKind
                        try perform(driver.run(clock: now.at) { $0.report(code: code, message: text, now: now.mono) },
                                    on: driver, now: now)
                    }
                }
                // Assignments were decoded on the connection thread (`BodyPredecoder`): freed there. (Other messages
                // the loop parsed itself: freeing them there would turn the wait around.)
                if retireDecoded, messages.contains(where: { $0.kind == AppMessageKind.ticketAssign.rawValue }) {
                    bodies.retire(other: messages, weight: messages.count)
                }
                if let last = messages.last {
                    try context.links.recordReceived(link: driver.peer, upTo: last.seq)
                    driver.deliveredUpTo = last.seq
                    if driver.restored {
                        // The link has resumed in both directions: from now on a gap is an error again.
                        try context.db.removeMeta(NodeRestore.marker(driver.peer))
                        driver.restored = false
                        service.logAfterCommit("link-restore-finished", ["peer": driver.peer, "seq": "\(last.seq)"])
                    }
                }
            case .acknowledged(let upTo):
                deferredAcks.add(link: driver.peer, upTo: upTo, now: now.mono)
            case .wantOutbound(let after, let limit):
                let rows = try context.links.pending(link: driver.peer, after: after, limit: limit)
                if !rows.isEmpty { driver.needsCommit = true }
                let messages = rows.map {
                    DataMessage(id: $0.message.id, seq: $0.seq, origin: $0.message.origin, dest: $0.message.dest,
                                kind: $0.message.kind, body: $0.message.body, at: $0.message.at)
                }
                try perform(driver.run(clock: now.at) { $0.offer(messages, now: now.mono) }, on: driver, now: now)
            case .peerClock(let clock):
                peerClock(clock, on: driver, now: now)
            case .close(let reason):
                log.warn("link-closed", ["peer": driver.peer, "reason": reason.description])
                driver.flush()
                driver.detach(reason: reason.description)
            case .log(let text):
                log.info("link", ["peer": driver.peer, "detail": text])
            case .reseated(let above, let upTo):
                let moved = try context.links.renumber(link: driver.peer, above: above, by: upTo - above)
                try context.db.removeMeta(NodeRestore.numberingMarker(driver.peer))
                if upTo > above {
                    log.warn("link-reseated", ["peer": driver.peer, "seq": "\(upTo)", "renumbered": "\(moved)",
                                               "detail": "this node's database is a restored backup; \(driver.peer) already holds its messages up to seq \(upTo) (the backup's ended at \(above)), so the \(moved) queued since continue after it"])
                }
            case .gapAccepted(let from, let to):
                let remedy = context.role == .city
                    ? "hotline-city recover --since DATE-OF-THE-BACKUP (the county stations and units send their copies back)"
                    : "at the centre: hotline-city resync --node \(context.nodeId) --since DATE-OF-THE-BACKUP"
                log.warn("link-gap-accepted", ["peer": driver.peer, "from": "\(from)", "to": "\(to)",
                                               "detail": "messages \(from)-\(to) from \(driver.peer) reached the database that was lost; to bring back the tickets they changed, run \(remedy)"])
            case .gapSkipped(let from, let to):
                log.warn("link-gap-skipped", ["peer": driver.peer, "from": "\(from)", "to": "\(to)",
                                              "detail": "\(driver.peer) was restored from a backup: messages \(from)-\(to), which it had acknowledged before, are no longer here and are not resent"])
            }
        }
    }

    /// The profile a neighbour decides by, from its hello: `profile-mismatch` when it is not this node's (a node of
    /// an older release says none, and is not compared).
    private func peerProfile(_ said: String?, on driver: LinkDriver) {
        // What a peer says is kept and logged: at most the length of an id and a fingerprint.
        guard let theirs = said.map({ String($0.prefix(80)) }) else { return }
        let before = driver.otherProfile
        driver.otherProfile = theirs == context.profileStamp ? nil : theirs
        if let other = driver.otherProfile, other != before {
            log.warn("profile-mismatch", ["peer": driver.peer, "theirs": other, "ours": context.profileStamp,
                                          "detail": ProfileStamp.problem(peer: driver.peer, theirs: other, ours: context.profileStamp)])
        } else if before != nil, driver.otherProfile == nil {
            log.info("profile-match", ["peer": driver.peer, "profile": theirs])
        }
    }

    /// A neighbour's time from its hello or a heartbeat: a node on a manual clock follows its parent's; one on the
    /// system clock says when the neighbour's is far from its own (`ClockSkew`).
    private func peerClock(_ millis: Int64, on driver: LinkDriver, now: RoundTime) {
        guard context.clock.mode == .system else {
            guard driver.peer == context.parentNode?.id, context.clock.follow(millis) else { return }
            try? context.persistClock()
            return
        }
        switch driver.clockSkew.observe(peerClock: millis, now: now.at.millis) {
        case .beyond(let skew):
            log.warn("clock-skew", ["peer": driver.peer, "skew_ms": "\(skew)",
                                    "detail": "\(driver.peer)'s clock is \(ClockSkew.describe(skew)) this node's: deadlines and on-time verdicts are taken on the clock of the node that acts, so synchronise both servers' clocks (NTP: chrony or systemd-timesyncd)"])
        case .within(let skew):
            log.info("clock-skew-ok", ["peer": driver.peer, "skew_ms": "\(skew)"])
        case nil:
            break
        }
    }
}

/// An accepted connection before its hello: the bytes so far and a decoder to find the first frame.
struct PendingConnection {
    let connection: LinkTransport
    var decoder: FrameDecoder
    var buffer: [UInt8] = []
    /// When it was accepted (monotonic milliseconds).
    let since: Int64

    init(connection: LinkTransport, maxFrame: Int, since: Int64) {
        self.connection = connection
        self.decoder = FrameDecoder(maxFrame: maxFrame)
        self.since = since
    }
}

/// The two clocks of one work-loop round: monotonic milliseconds for link timers, and the business clock
/// (system or manual) for tickets and for the clock advertised to children.
struct RoundTime {
    let mono: Int64
    let at: Timestamp
}
