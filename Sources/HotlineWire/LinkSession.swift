/// One side of one link connection as a pure state machine (sans-I/O): every input returns the actions to
/// perform, in order. It never touches sockets, disks or clocks; `now` (ms) comes in with each input.
///
/// Exactly-once rests on two durable facts the application owns: the sender's outbox (rows deleted only after
/// `.acknowledged`) and the receiver's lastReceived (written in the same transaction that applies `.deliver`).
/// A session is built from them, and after `.close` it is dead; a reconnect builds a new one.
public struct LinkSession: Sendable {
    public enum Phase: Equatable, Sendable {
        /// Built; `start` not called yet.
        case created
        /// Our hello is sent; the peer's is awaited.
        case awaitingHello
        /// The peer's hello is in; the application must `approve` or `reject` it.
        case awaitingApproval
        case established
        case closed
    }

    public let config: LinkConfig
    public private(set) var phase: Phase = .created
    public private(set) var peer: Hello?
    public private(set) var negotiatedVersion: Int?

    /// Inbound: the highest seq the application has durably committed.
    public private(set) var lastCommitted: UInt64
    /// Inbound: the highest seq handed out in `.deliver` (committed or not).
    public private(set) var lastDelivered: UInt64
    /// Outbound: the highest seq the peer has acknowledged (or implied by its hello).
    public private(set) var ackedUpTo: UInt64 = 0
    /// Outbound: the highest seq written to the connection.
    public private(set) var lastSent: UInt64 = 0
    /// The sender's business clock (ms) advertised in hello and heartbeats, when it differs from the `now` that
    /// drives the link's timers: a node on a manual clock runs its timers on the machine's monotonic clock but
    /// tells its children the manual time, which they follow.
    public var advertisedClock: Int64?

    private var lastAssigned: UInt64
    /// This side's database on this link is a restored backup: see `init`.
    private let restored: Bool
    private let reseatAbove: UInt64?
    /// Whether data has been delivered or offered in this session (a restore's gap can only be at the first).
    private var deliveredAny = false
    private var offeredAny = false
    /// A restored side's reseat, worked out from the peer's hello and applied once the peer is approved.
    private var reseat: (above: UInt64, upTo: UInt64)?
    private var decoder: FrameDecoder
    /// What `WireMessage.decode(frame, knownKinds: config.knownKinds)` already gave for exactly these frame bytes,
    /// if another thread decoded them ahead (a node's connection threads do, for ticket assignments); nil: decode
    /// here. It must only ever answer with that decode's result: the session's checks all come after it.
    public var preparsed: (@Sendable ([UInt8]) -> WireMessage?)?
    private var queue: [DataMessage] = []
    private var lastQueued: UInt64 = 0
    private var requestedLimit: Int?
    private var outboxMayHaveMore = true
    /// Set when rows are appended while a `.wantOutbound` is unanswered: the answer may predate them, so a short
    /// answer must not be taken to mean the outbox is drained.
    private var appendedDuringRequest = false
    private var startedAt: Int64 = 0
    private var lastHeardAt: Int64 = 0
    private var lastSentAt: Int64 = 0
    private var controlCounter: UInt64 = 0
    private var out: [LinkAction] = []
    private var batch: [DataMessage] = []
    private var reackNeeded = false

    /// - Parameters:
    ///   - lastReceived: the durable inbound seq of this link, read from the store.
    ///   - lastAssigned: the highest outbound seq ever assigned on this link (the outbox counter); a peer that
    ///     claims to have received more is refused, since resuming would silently skip new messages.
    ///   - restored: this side's database was restored from a backup and has not received data from the peer
    ///     since. The hello says so (the peer then skips the rows it no longer holds), and the peer's first data may
    ///     skip seqs the lost database had received (`.gapAccepted`).
    ///   - reseatAbove: on a restored side whose numbering the peer has not yet confirmed, the outbox counter when
    ///     the backup was put back. The lost database may have numbered messages past it that the peer holds, and
    ///     rows queued since the restore may reuse those numbers: the peer's hello tells, and `.reseated` moves them
    ///     after what it holds. Without these, a peer claiming more than `lastAssigned` is refused
    ///     (`seq-from-future`), as it means a replaced database.
    public init(config: LinkConfig, lastReceived: UInt64, lastAssigned: UInt64, restored: Bool = false,
                reseatAbove: UInt64? = nil) {
        self.config = config
        self.lastCommitted = lastReceived
        self.lastDelivered = lastReceived
        self.lastAssigned = lastAssigned
        self.restored = restored
        self.reseatAbove = reseatAbove.map { min($0, lastAssigned) }
        self.decoder = FrameDecoder(maxFrame: config.maxFrame)
    }

    /// The connection is up: send our hello (both sides do this at once).
    public mutating func start(now: Int64) -> [LinkAction] {
        guard phase == .created else { return [] }
        phase = .awaitingHello
        startedAt = now
        lastHeardAt = now
        let hello = Hello(id: nextControlID(), node: config.localNode, versions: config.versions,
                          lastReceived: lastCommitted, clock: advertisedClock ?? now, role: config.role,
                          restored: restored || reseatAbove != nil ? true : nil, profile: config.profile)
        send(.hello(hello), now: now)
        // Bytes that arrived before start (an eager peer) are processed now rather than at the next read.
        processFrames(now: now)
        return takeActions()
    }

    /// Bytes read from the connection, in any split, as the connection handed them over: the decoder cuts whole
    /// frames out of the array without copying it first.
    public mutating func receive(bytes: [UInt8], now: Int64) -> [LinkAction] {
        guard phase != .closed else { return [] }
        lastHeardAt = now
        decoder.append(bytes)
        processFrames(now: now)
        return takeActions()
    }

    /// The application accepts the peer named in `.established` (listener side only).
    public mutating func approve(now: Int64) -> [LinkAction] {
        guard phase == .awaitingApproval else { return [] }
        becomeEstablished(now: now)
        processFrames(now: now)
        return takeActions()
    }

    /// The application refuses the peer (`.unknownNode`, `.notAuthorized`): an error frame, then close.
    public mutating func reject(code: WireErrorCode, message: String, now: Int64) -> [LinkAction] {
        guard phase == .awaitingApproval else { return [] }
        fail(code, message, now: now)
        return takeActions()
    }

    /// Outbox rows answering `.wantOutbound`, in seq order. Rows already offered are skipped; a row that does
    /// not follow the previous one means the outbox lost data the peer never acknowledged, and closes the link.
    public mutating func offer(_ messages: [DataMessage], now: Int64) -> [LinkAction] {
        guard phase == .established else {
            outboxMayHaveMore = true
            return []
        }
        if let limit = requestedLimit, messages.count < limit, !appendedDuringRequest { outboxMayHaveMore = false }
        requestedLimit = nil
        for message in messages where message.seq > lastQueued {
            if message.seq > lastQueued + 1, !offeredAny, peer?.restored == true {
                // The peer lost what it had acknowledged up to here; those rows are gone from the outbox too.
                out.append(.gapSkipped(from: lastQueued + 1, to: message.seq - 1))
                lastQueued = message.seq - 1
                lastSent = max(lastSent, lastQueued)
                ackedUpTo = max(ackedUpTo, lastQueued)
            }
            offeredAny = true
            guard message.seq == lastQueued + 1 else {
                fail(.internalError, "the sender's outbox has no seq \(lastQueued + 1) (next is \(message.seq)); "
                     + "the link cannot resume without loss (if the peer's database was restored from a backup, "
                     + "run the peer's `restore` command: its links then resume)", now: now)
                return takeActions()
            }
            queue.append(message)
            lastQueued = message.seq
        }
        pump(now: now)
        return takeActions()
    }

    /// The application appended rows to this link's outbox: ask for them when the window allows.
    public mutating func outboxAppended(now: Int64) -> [LinkAction] {
        outboxMayHaveMore = true
        if requestedLimit != nil { appendedDuringRequest = true }
        pump(now: now)
        return takeActions()
    }

    /// The application durably committed inbound data up to `seq`: acknowledge it.
    public mutating func committed(upTo seq: UInt64, now: Int64) -> [LinkAction] {
        guard phase != .closed, seq > lastCommitted else { return [] }
        guard seq <= lastDelivered else {
            return [.log("committed(upTo: \(seq)) ignored: only \(lastDelivered) was delivered on this link")]
        }
        lastCommitted = seq
        send(.ack(Ack(id: nextControlID(), upTo: seq)), now: now)
        return takeActions()
    }

    /// Timers: a heartbeat when we have been quiet, a close when the peer has been or when the hello exchange
    /// has not finished within `deadAfter` (heartbeats alone must not keep a half-open handshake alive).
    public mutating func tick(now: Int64) -> [LinkAction] {
        guard phase != .closed, phase != .created else { return [] }
        if phase != .established && now - startedAt >= config.deadAfter {
            phase = .closed
            return [.close(reason: .handshakeTimeout(waited: now - startedAt))]
        }
        let silent = now - lastHeardAt
        if silent >= config.deadAfter {
            phase = .closed
            return [.close(reason: .peerSilent(silentFor: silent))]
        }
        if now - lastSentAt >= config.heartbeatInterval {
            send(.heartbeat(Heartbeat(id: nextControlID(), clock: advertisedClock ?? now)), now: now)
        }
        return takeActions()
    }

    /// Tells the peer, with a non-fatal error frame, that the application refused something it sent (a data
    /// message that broke a rule). The link stays up; the refused message is still acknowledged once committed.
    public mutating func report(code: WireErrorCode, message: String, now: Int64) -> [LinkAction] {
        guard phase == .established else { return [] }
        send(.error(ErrorMessage(id: nextControlID(), code: code.rawValue, message: message, fatal: false)), now: now)
        return takeActions()
    }

    /// The application closes the link (shutdown, topology change).
    public mutating func close() -> [LinkAction] {
        guard phase != .closed else { return [] }
        phase = .closed
        return [.close(reason: .local)]
    }

    // MARK: - Inbound frames

    private mutating func processFrames(now: Int64) {
        while phase == .awaitingHello || phase == .established {
            let message: WireMessage
            do {
                guard let frame = try decoder.nextFrame() else { break }
                if let ready = preparsed?(frame) {
                    message = ready
                } else {
                    do {
                        message = try WireMessage.decode(frame, knownKinds: config.knownKinds)
                    } catch .unknownKind {
                        // A kind of a later release (protocols/README.md §6, §7): well-framed and in sequence, so
                        // it is delivered for the application to refuse — acknowledged, answered with a non-fatal
                        // unknown-kind — instead of dropping a link that would be offered the same message again.
                        message = try WireMessage.decode(frame, knownKinds: nil)
                    }
                }
            } catch {
                fail(error.code, error.description, now: now)
                return
            }
            handle(message, now: now)
        }
        flushInbound(now: now)
    }

    private mutating func handle(_ message: WireMessage, now: Int64) {
        switch message {
        case let .hello(hello): handleHello(hello, now: now)
        case let .data(data): handleData(data, now: now)
        case let .ack(ack): handleAck(ack, now: now)
        case let .heartbeat(heartbeat):
            if let clock = heartbeat.clock { out.append(.peerClock(clock)) }
        case let .error(error):
            if error.fatal == true {
                flushInbound(now: now)
                phase = .closed
                out.append(.close(reason: .peerError(code: error.code, message: error.message)))
            } else {
                out.append(.log("peer reported \(error.code): \(error.message)"))
            }
        }
    }

    private mutating func handleHello(_ hello: Hello, now: Int64) {
        guard phase == .awaitingHello else {
            fail(.protocolViolation, "a second hello arrived on an established link", now: now)
            return
        }
        guard let version = Set(config.versions).intersection(hello.versions).max() else {
            fail(.versionUnsupported, "no common protocol version: peer \(hello.node) speaks \(hello.versions), "
                 + "\(config.localNode) speaks \(config.versions); upgrade the older node", now: now)
            return
        }
        if let expected = config.expectedPeer, expected != hello.node {
            fail(.unknownNode, "expected node \(expected) on this link but \(hello.node) answered; "
                 + "check the topology file on both nodes", now: now)
            return
        }
        if let above = reseatAbove {
            // What the peer holds beyond `above` came from the lost database; ours is numbered from `above` on.
            reseat = (above, max(above, hello.lastReceived))   // applied once the peer is approved
        } else if hello.lastReceived > lastAssigned {
            fail(.seqFromFuture, "peer says it received seq \(hello.lastReceived) but \(config.localNode) has "
                 + "only assigned up to \(lastAssigned) on this link; one of the two databases was replaced "
                 + "(after restoring a backup, use the node's `restore` command: it lets the links resume)", now: now)
            return
        }
        peer = hello
        negotiatedVersion = version
        out.append(.established(peer: hello, version: version))
        if let clock = hello.clock { out.append(.peerClock(clock)) }
        if config.expectedPeer == nil {
            phase = .awaitingApproval
        } else {
            becomeEstablished(now: now)
        }
    }

    private mutating func becomeEstablished(now: Int64) {
        phase = .established
        let resumeAfter = peer?.lastReceived ?? 0
        if let r = reseat {
            out.append(.reseated(above: r.above, upTo: r.upTo))
            lastAssigned += r.upTo - r.above
            reseat = nil
        }
        // The peer holds everything up to its lastReceived: older outbox rows are implicitly acknowledged.
        ackedUpTo = resumeAfter
        lastSent = resumeAfter
        lastQueued = resumeAfter
        if resumeAfter > 0 { out.append(.acknowledged(upTo: resumeAfter)) }
        pump(now: now)
    }

    private mutating func handleData(_ data: DataMessage, now: Int64) {
        guard phase == .established else {
            fail(.dataBeforeHello, "data seq \(data.seq) arrived before the hello exchange finished", now: now)
            return
        }
        if data.seq > lastDelivered + 1, restored, !deliveredAny {
            out.append(.gapAccepted(from: lastDelivered + 1, to: data.seq - 1))
            lastDelivered = data.seq - 1
        }
        if data.seq > lastDelivered { deliveredAny = true }
        if data.seq <= lastDelivered {
            reackNeeded = true
        } else if data.seq == lastDelivered + 1 {
            batch.append(data)
            lastDelivered = data.seq
        } else {
            fail(.seqFromFuture, "expected data seq \(lastDelivered + 1) but got \(data.seq); "
                 + "reconnect and resume from lastReceived \(lastCommitted)", now: now)
        }
    }

    private mutating func handleAck(_ ack: Ack, now: Int64) {
        guard phase == .established else {
            fail(.dataBeforeHello, "ack arrived before the hello exchange finished", now: now)
            return
        }
        guard ack.upTo <= lastSent else {
            fail(.protocolViolation, "ack up to \(ack.upTo) but only seq \(lastSent) was sent", now: now)
            return
        }
        guard ack.upTo > ackedUpTo else { return }
        ackedUpTo = ack.upTo
        out.append(.acknowledged(upTo: ack.upTo))
        pump(now: now)
    }

    /// Hands out the in-order batch, and re-acknowledges once per input when duplicates came in, so a peer
    /// that lost our ack stops resending.
    private mutating func flushInbound(now: Int64) {
        if !batch.isEmpty {
            out.append(.deliver(batch))
            batch.removeAll(keepingCapacity: true)
        }
        if reackNeeded && phase == .established {
            reackNeeded = false
            send(.ack(Ack(id: nextControlID(), upTo: lastCommitted)), now: now)
        }
    }

    // MARK: - Outbound

    private mutating func pump(now: Int64) {
        guard phase == .established else { return }
        var sent = 0
        while sent < queue.count, lastSent - ackedUpTo < UInt64(config.window) {
            send(.data(queue[sent]), now: now)
            lastSent = queue[sent].seq
            sent += 1
        }
        queue.removeFirst(sent)
        let room = config.window - Int(lastSent - ackedUpTo)
        // Ask for a batch only when a worthwhile part of the window is free, so the outbox is read in chunks.
        if queue.isEmpty, requestedLimit == nil, outboxMayHaveMore, room >= max(1, config.window / 4) {
            requestedLimit = room
            appendedDuringRequest = false
            out.append(.wantOutbound(after: lastQueued, limit: room))
        }
    }

    private mutating func send(_ message: WireMessage, now: Int64) {
        out.append(.send(message.encodeFrame()))
        lastSentAt = now
    }

    private mutating func fail(_ code: WireErrorCode, _ message: String, now: Int64) {
        flushInbound(now: now)
        let error = ErrorMessage(id: nextControlID(), code: code.rawValue, message: message, fatal: true)
        send(.error(error), now: now)
        phase = .closed
        out.append(.close(reason: .localError(code: code, message: message)))
    }

    private mutating func nextControlID() -> String {
        controlCounter += 1
        return "\(config.connectionID)-\(controlCounter)"
    }

    private mutating func takeActions() -> [LinkAction] {
        defer { out.removeAll(keepingCapacity: true) }
        return out
    }
}
