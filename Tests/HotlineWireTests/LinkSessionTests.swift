import Testing
@testable import HotlineWire

private func config(_ node: String, expecting peer: String?, window: Int = 256) -> LinkConfig {
    LinkConfig(localNode: node, expectedPeer: peer, connectionID: "\(node)-c", knownKinds: testKinds, window: window)
}

private func frame(_ message: WireMessage) -> [UInt8] { message.encodeFrame() }

private func hello(_ node: String, lastReceived: UInt64 = 0, versions: [Int] = [1], clock: Int64? = nil) -> [UInt8] {
    frame(.hello(Hello(id: "\(node)-h", node: node, versions: versions, lastReceived: lastReceived, clock: clock)))
}

func data(_ seq: UInt64, from origin: String = "b") -> DataMessage {
    DataMessage(id: "\(origin)-\(seq)", seq: seq, origin: origin, dest: "a", kind: "ticket.event",
                body: Array("{\"n\":\(seq)}".utf8))
}

/// The messages inside the `.send` actions, decoded.
private func sent(_ actions: [LinkAction]) -> [WireMessage] {
    actions.compactMap { action -> WireMessage? in
        guard case let .send(bytes) = action else { return nil }
        var decoder = FrameDecoder()
        decoder.append(bytes)
        guard let payload = try? decoder.nextFrame() else { return nil }
        return try? WireMessage.decode(payload, knownKinds: testKinds)
    }
}

private func errorCode(_ actions: [LinkAction]) -> String? {
    for case let .error(e) in sent(actions) where e.fatal == true { return e.code }
    return nil
}

private func closed(_ actions: [LinkAction]) -> Bool {
    actions.contains { if case .close = $0 { true } else { false } }
}

/// A dialling session that has exchanged hellos with peer "b".
private func establishedSession(window: Int = 256, lastReceived: UInt64 = 0, lastAssigned: UInt64 = 0,
                                peerLastReceived: UInt64 = 0) -> LinkSession {
    var s = LinkSession(config: config("a", expecting: "b", window: window), lastReceived: lastReceived,
                        lastAssigned: lastAssigned)
    _ = s.start(now: 0)
    _ = s.receive(bytes: hello("b", lastReceived: peerLastReceived), now: 1)
    return s
}

@Test func startSendsHelloWithTheDurableLastReceived() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 41, lastAssigned: 0)
    let actions = s.start(now: 1000)
    #expect(sent(actions) == [.hello(Hello(id: "a-c-1", node: "a", versions: [1], lastReceived: 41, clock: 1000))])
    #expect(s.phase == .awaitingHello)
}

@Test func peerHelloResumesAfterItsLastReceivedAndAcknowledgesEverythingBefore() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 90)
    _ = s.start(now: 0)
    let actions = s.receive(bytes: hello("b", lastReceived: 70, clock: 5000), now: 1)
    #expect(actions.contains(.peerClock(5000)))
    #expect(actions.contains(.acknowledged(upTo: 70)))
    #expect(actions.last == .wantOutbound(after: 70, limit: 256))
    #expect(s.phase == .established && s.negotiatedVersion == 1)
}

@Test func listenerHoldsFramesUntilTheApplicationApprovesThePeer() {
    var s = LinkSession(config: config("a", expecting: nil), lastReceived: 0, lastAssigned: 0)
    _ = s.start(now: 0)
    let first = s.receive(bytes: hello("b") + frame(.data(data(1))), now: 1)
    #expect(first.contains { if case .established(let peer, 1) = $0 { peer.node == "b" } else { false } })
    #expect(!first.contains { if case .deliver = $0 { true } else { false } })
    #expect(s.phase == .awaitingApproval)
    let second = s.approve(now: 2)
    #expect(second.contains(.deliver([data(1)])))
    #expect(s.phase == .established)
}

@Test func rejectedPeerGetsAnErrorFrameAndTheLinkCloses() {
    var s = LinkSession(config: config("a", expecting: nil), lastReceived: 0, lastAssigned: 0)
    _ = s.start(now: 0)
    _ = s.receive(bytes: hello("intruder"), now: 1)
    let actions = s.reject(code: .unknownNode, message: "intruder is not in the topology", now: 2)
    #expect(errorCode(actions) == "unknown-node")
    #expect(closed(actions) && s.phase == .closed)
}

@Test func unexpectedPeerIsRefusedAsUnknownNode() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 0)
    _ = s.start(now: 0)
    #expect(errorCode(s.receive(bytes: hello("c"), now: 1)) == "unknown-node")
}

@Test func noCommonVersionIsRefusedNamingBothSides() throws {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 0)
    _ = s.start(now: 0)
    let actions = s.receive(bytes: hello("b", versions: [2, 3]), now: 1)
    guard case let .error(e)? = sent(actions).first else {
        Issue.record("no error frame")
        return
    }
    #expect(e.code == "version-unsupported" && e.fatal == true)
    #expect(e.message.contains("[2, 3]") && e.message.contains("[1]"))
    #expect(closed(actions))
}

@Test func dataBeforeHelloIsRefused() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 0)
    _ = s.start(now: 0)
    #expect(errorCode(s.receive(bytes: frame(.data(data(1))), now: 1)) == "data-before-hello")
}

@Test func peerClaimingMoreThanWasEverSentIsRefused() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 5)
    _ = s.start(now: 0)
    #expect(errorCode(s.receive(bytes: hello("b", lastReceived: 6), now: 1)) == "seq-from-future")
}

@Test func inOrderDataIsDeliveredInOneBatchAndAckedOnlyAfterCommit() {
    var s = establishedSession()
    let actions = s.receive(bytes: (1...3).flatMap { frame(.data(data($0))) }, now: 2)
    #expect(actions == [.deliver([data(1), data(2), data(3)])])
    let ack = s.committed(upTo: 3, now: 3)
    #expect(sent(ack) == [.ack(Ack(id: "a-c-2", upTo: 3))])
}

@Test func duplicatesAreNotDeliveredAgainButReacknowledged() {
    var s = establishedSession(lastReceived: 4)
    let actions = s.receive(bytes: frame(.data(data(3))) + frame(.data(data(4))) + frame(.data(data(5))), now: 2)
    #expect(actions.contains(.deliver([data(5)])))
    #expect(sent(actions).contains { if case .ack(let a) = $0 { a.upTo == 4 } else { false } })
    let again = s.receive(bytes: frame(.data(data(5))), now: 3)
    #expect(!again.contains { if case .deliver = $0 { true } else { false } })
}

@Test func aGapInSequenceIsRefusedAsFromTheFuture() {
    var s = establishedSession(lastReceived: 4)
    let actions = s.receive(bytes: frame(.data(data(5))) + frame(.data(data(7))), now: 2)
    #expect(actions.first == .deliver([data(5)]))
    #expect(errorCode(actions) == "seq-from-future")
    #expect(s.phase == .closed)
}

@Test func windowBoundsFramesInFlightAndAcksReleaseMore() {
    var s = establishedSession(window: 4, lastAssigned: 10)
    let first = s.offer((1...10).map { data($0, from: "a") }, now: 2)
    #expect(sent(first).count == 4 && s.lastSent == 4)
    let afterAck = s.receive(bytes: frame(.ack(Ack(id: "x", upTo: 2))), now: 3)
    #expect(afterAck.first == .acknowledged(upTo: 2))
    #expect(sent(afterAck).count == 2 && s.lastSent == 6)
}

@Test func wantOutboundResumesAfterAShortBatchOnlyWhenTheOutboxGrows() {
    var s = establishedSession(window: 4, lastAssigned: 1)
    let offered = s.offer([data(1, from: "a")], now: 2)
    #expect(!offered.contains { if case .wantOutbound = $0 { true } else { false } })
    #expect(s.outboxAppended(now: 3) == [.wantOutbound(after: 1, limit: 3)])
}

@Test func ackBeyondWhatWasSentIsAProtocolViolation() {
    var s = establishedSession()
    #expect(errorCode(s.receive(bytes: frame(.ack(Ack(id: "x", upTo: 1))), now: 2)) == "protocol-violation")
}

@Test func secondHelloIsAProtocolViolation() {
    var s = establishedSession()
    #expect(errorCode(s.receive(bytes: hello("b"), now: 2)) == "protocol-violation")
}

@Test func outboxMissingARowClosesTheLinkInsteadOfSkippingIt() {
    var s = establishedSession(lastAssigned: 9, peerLastReceived: 2)
    let actions = s.offer([data(4, from: "a")], now: 2)
    #expect(errorCode(actions) == "internal")
}

@Test func quietLinkSendsHeartbeatsAndSilentPeerIsDeclaredDead() {
    var s = establishedSession()
    #expect(sent(s.tick(now: 4_000)).isEmpty)
    #expect(sent(s.tick(now: 5_001)) == [.heartbeat(Heartbeat(id: "a-c-2", clock: 5_001))])
    _ = s.receive(bytes: frame(.heartbeat(Heartbeat(id: "p", clock: 77))), now: 6_000)
    #expect(!closed(s.tick(now: 20_000)))
    #expect(s.tick(now: 21_000) == [.close(reason: .peerSilent(silentFor: 15_000))])
}

@Test func unfinishedHandshakeTimesOutEvenWithHeartbeats() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 0)
    _ = s.start(now: 0)
    _ = s.receive(bytes: frame(.heartbeat(Heartbeat(id: "p"))), now: 14_000)
    #expect(s.tick(now: 15_000) == [.close(reason: .handshakeTimeout(waited: 15_000))])
}

@Test func peerFatalErrorClosesTheLink() {
    var s = establishedSession()
    let actions = s.receive(bytes: frame(.error(ErrorMessage(id: "e", code: "internal", message: "bye", fatal: true))), now: 2)
    #expect(actions == [.close(reason: .peerError(code: "internal", message: "bye"))])
}

/// Every bad frame but an unknown kind, which is a sound frame in sequence (see
/// `aKindOutsideTheRegistryIsDeliveredInSequenceNotAFatalError`).
@Test(arguments: GoldenVector.all().filter { $0.error != nil && $0.error != "unknown-kind" })
func everyBadFrameGetsItsErrorCodeThenClose(vector: GoldenVector) {
    var s = establishedSession()
    let actions = s.receive(bytes: vector.frame, now: 2)
    #expect(errorCode(actions) == vector.error)
    #expect(closed(actions) && s.phase == .closed)
    #expect(s.receive(bytes: hello("b"), now: 3).isEmpty)
}

@Test func rowsAppendedWhileARequestIsUnansweredAreAskedForNext() {
    var s = establishedSession(window: 4, lastAssigned: 2)
    _ = s.outboxAppended(now: 2)
    let answer = s.offer([data(1, from: "a")], now: 3)
    #expect(answer.last == .wantOutbound(after: 1, limit: 3))
}

@Test func bytesReceivedBeforeStartAreProcessedByStart() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 0)
    #expect(s.receive(bytes: hello("b") + frame(.data(data(1))), now: 0).isEmpty)
    let actions = s.start(now: 1)
    #expect(actions.contains(.deliver([data(1)])))
    #expect(s.phase == .established)
}

@Test func refusedApplicationMessageIsReportedWithANonFatalErrorAndTheLinkStaysUp() {
    var s = establishedSession()
    let actions = s.report(code: .notAuthorized, message: "a unit may not close a ticket", now: 5)
    let errors = sent(actions).compactMap { message -> ErrorMessage? in
        if case let .error(e) = message { return e }
        return nil
    }
    #expect(errors.count == 1 && errors[0].code == "not-authorized" && errors[0].fatal == false)
    #expect(!closed(actions) && s.phase == .established)
    // The peer logs it and carries on.
    var peer = establishedSession()
    let received = peer.receive(bytes: frame(.error(errors[0])), now: 6)
    #expect(!closed(received) && peer.phase == .established)
    // Before the link is established there is nothing to report to.
    var fresh = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 0)
    #expect(fresh.report(code: .notAuthorized, message: "x", now: 0).isEmpty)
}

/// A frame parsed ahead by another thread is taken as it is (the hook is asked with the exact frame bytes); a
/// frame it does not know is parsed by the session, and the session's own checks apply to both.
@Test func aPreparsedFrameIsTakenByItsExactBytesAndOthersAreParsedHere() {
    var s = establishedSession()
    let first = frame(.data(data(1))), second = frame(.data(data(2)))
    // Frame bytes without the 4-byte length prefix, as the session's framing hands them over.
    let asked = Box<[[UInt8]]>([])
    s.preparsed = { bytes in
        asked.value.append(bytes)
        return bytes == Array(first.dropFirst(4)) ? .data(data(1)) : nil
    }
    let actions = s.receive(bytes: first + second, now: 2)
    #expect(actions.contains(.deliver([data(1), data(2)])))
    #expect(asked.value == [Array(first.dropFirst(4)), Array(second.dropFirst(4))])
    // A preparsed message out of order is still refused by the session's sequence check.
    s.preparsed = { _ in .data(data(5)) }
    #expect(errorCode(s.receive(bytes: frame(.data(data(3))), now: 3)) != nil)
}

private final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

// MARK: - Resuming after a restore (protocols/README.md §4)

private func restoredHello(_ node: String, lastReceived: UInt64) -> [UInt8] {
    frame(.hello(Hello(id: "\(node)-h", node: node, versions: [1], lastReceived: lastReceived, restored: true)))
}

@Test func aRestoredSideSaysSoInItsHelloAndOnlyThen() {
    var restored = LinkSession(config: config("a", expecting: "b"), lastReceived: 3, lastAssigned: 0, restored: true)
    var plain = LinkSession(config: config("a", expecting: "b"), lastReceived: 3, lastAssigned: 0)
    guard case .hello(let said)? = sent(restored.start(now: 0)).first, case .hello(let other)? = sent(plain.start(now: 0)).first else {
        Issue.record("no hello sent")
        return
    }
    #expect(said.restored == true)
    #expect(other.restored == nil)
    // The member survives the wire both ways.
    let decoded = try? WireMessage.decode(Array(WireMessage.hello(said).encodeFrame().dropFirst(4)), knownKinds: testKinds)
    #expect(decoded == .hello(said))
}

@Test func aRestoredSideContinuesItsNumberingAfterWhatThePeerAlreadyHolds() {
    // The backup had assigned up to 5; the lost database went on to 9, which the peer holds.
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 5, restored: true, reseatAbove: 5)
    _ = s.start(now: 0)
    let actions = s.receive(bytes: hello("b", lastReceived: 9), now: 1)
    #expect(errorCode(actions) == nil)
    #expect(actions.contains(.reseated(above: 5, upTo: 9)))
    #expect(actions.contains(.acknowledged(upTo: 9)))
    #expect(actions.last == .wantOutbound(after: 9, limit: 256))
    #expect(s.phase == .established)
    // New rows (numbered from 10 by the application) go out as usual.
    #expect(sent(s.offer([data(10, from: "a")], now: 2)).count == 1)
}

@Test func rowsQueuedSinceTheRestoreAreMovedPastWhatThePeerHoldsEvenWithinTheCounter() {
    // The backup ended at 3; since the restore, rows 4-6 were queued for the peer, which holds 1-5 from the lost
    // database: 4 and 5 would be taken for the ones it has. The peer's claim is within the counter (6), and still
    // the rows must move: 4-6 become 6-8.
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 6, restored: true, reseatAbove: 3)
    _ = s.start(now: 0)
    let actions = s.receive(bytes: hello("b", lastReceived: 5), now: 1)
    #expect(errorCode(actions) == nil)
    #expect(actions.first { if case .reseated = $0 { true } else { false } } == .reseated(above: 3, upTo: 5))
    #expect(actions.last == .wantOutbound(after: 5, limit: 256))
    #expect(sent(s.offer((6...8).map { data($0, from: "a") }, now: 2)).count == 3)
}

@Test func aPeerThatHoldsNothingNewLeavesTheNumberingAsItIs() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 6, restored: true, reseatAbove: 3)
    _ = s.start(now: 0)
    let actions = s.receive(bytes: hello("b", lastReceived: 2), now: 1)
    #expect(actions.contains(.reseated(above: 3, upTo: 3)), "no shift, and the application forgets the mark")
    #expect(actions.last == .wantOutbound(after: 2, limit: 256))
}

@Test func aRestoredSideAcceptsOneGapAtThePeersFirstMessageOnly() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 4, lastAssigned: 0, restored: true)
    _ = s.start(now: 0)
    _ = s.receive(bytes: hello("b"), now: 1)
    // Seqs 5-7 reached the lost database; the peer's outbox holds 8 onwards.
    let first = s.receive(bytes: frame(.data(data(8))) + frame(.data(data(9))), now: 2)
    #expect(first.first == .gapAccepted(from: 5, to: 7))
    #expect(first.contains(.deliver([data(8), data(9)])))
    #expect(sent(s.committed(upTo: 9, now: 3)) == [.ack(Ack(id: "a-c-2", upTo: 9))])
    // A later gap is the fault it always was.
    #expect(errorCode(s.receive(bytes: frame(.data(data(11))), now: 4)) == "seq-from-future")
}

@Test func aSideNotRestoredStillRefusesBothGaps() {
    // The same inputs without the marks: a replaced database must not pass unnoticed.
    var ahead = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 5)
    _ = ahead.start(now: 0)
    #expect(errorCode(ahead.receive(bytes: hello("b", lastReceived: 9), now: 1)) == "seq-from-future")
    var behind = establishedSession(lastReceived: 4)
    #expect(errorCode(behind.receive(bytes: frame(.data(data(8))), now: 2)) == "seq-from-future")
    // Restored, with the numbering already settled by an earlier hello: a peer claiming more is refused again.
    var settled = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 5, restored: true)
    _ = settled.start(now: 0)
    #expect(errorCode(settled.receive(bytes: hello("b", lastReceived: 9), now: 1)) == "seq-from-future")
}

@Test func aPeerThatSaysItWasRestoredIsSentWhatIsLeftAfterTheRowsItLost() {
    // The peer's restored database received up to 2; this outbox was acknowledged (and emptied) up to 6.
    var s = LinkSession(config: config("a", expecting: "b", window: 4), lastReceived: 0, lastAssigned: 9)
    _ = s.start(now: 0)
    _ = s.receive(bytes: restoredHello("b", lastReceived: 2), now: 1)
    let actions = s.offer((7...9).map { data($0, from: "a") }, now: 2)
    #expect(errorCode(actions) == nil)
    #expect(actions.first == .gapSkipped(from: 3, to: 6))
    #expect(sent(actions).map { if case .data(let d) = $0 { d.seq } else { 0 } } == [UInt64(7), 8, 9])
    // The window counts from the skip: the peer's acks of 7-9 are in range and free it.
    #expect(s.receive(bytes: frame(.ack(Ack(id: "x", upTo: 9))), now: 3).contains(.acknowledged(upTo: 9)))
}

@Test func aPeerThatSaysItWasRestoredStillCannotSkipAHoleInsideTheOutbox() {
    var s = LinkSession(config: config("a", expecting: "b"), lastReceived: 0, lastAssigned: 9)
    _ = s.start(now: 0)
    _ = s.receive(bytes: restoredHello("b", lastReceived: 2), now: 1)
    #expect(errorCode(s.offer([data(3, from: "a"), data(5, from: "a")], now: 2)) == "internal")
}

@Test func aListenerRaisesItsCounterOnlyForAPeerItApproves() {
    var s = LinkSession(config: config("a", expecting: nil), lastReceived: 0, lastAssigned: 5, restored: true, reseatAbove: 5)
    _ = s.start(now: 0)
    let first = s.receive(bytes: hello("b", lastReceived: 9), now: 1)
    #expect(!first.contains(.reseated(above: 5, upTo: 9)), "nothing is moved before the application has checked the peer")
    #expect(!s.reject(code: .unknownNode, message: "not on this link", now: 2).contains(.reseated(above: 5, upTo: 9)))
    var approved = LinkSession(config: config("a", expecting: nil), lastReceived: 0, lastAssigned: 5, restored: true, reseatAbove: 5)
    _ = approved.start(now: 0)
    _ = approved.receive(bytes: hello("b", lastReceived: 9), now: 1)
    #expect(approved.approve(now: 2).contains(.reseated(above: 5, upTo: 9)))
}

/// protocols/README.md §6, §7: a data kind the receiver's registry lacks (one a later release added) is delivered in
/// sequence for the application to refuse and acknowledge; the link is not dropped.
@Test func aKindOutsideTheRegistryIsDeliveredInSequenceNotAFatalError() throws {
    // The golden vector's frame (seq 1, kind weather.report), then a message the registry knows.
    let vector = try #require(GoldenVector.all().first { $0.name == "bad-unknown-kind" })
    var s = establishedSession()
    let actions = s.receive(bytes: vector.frame + frame(.data(data(2))), now: 2)
    #expect(errorCode(actions) == nil && !closed(actions), "\(actions)")
    let delivered = actions.compactMap { if case let .deliver(messages) = $0 { messages } else { nil } }.flatMap { $0 }
    #expect(delivered.map(\.kind) == ["weather.report", "ticket.event"] && delivered.map(\.seq) == [1, 2])
    #expect(s.phase == .established)
}
