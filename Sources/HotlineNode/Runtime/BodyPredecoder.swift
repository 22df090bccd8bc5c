import Foundation
import HotlineWire

/// An assignment decoded on a connection thread: its body and, written there too, the ticket's stored documents.
/// A class, not a struct: it passes from the shelf to the bodies set aside to the service, and each copy of a
/// struct retained every field of the ticket, its events and its documents (a quarter of the unit loop's retains
/// in a catch-up, perf). Immutable, so sharing it across threads is safe.
final class PreparedAssign: @unchecked Sendable {
    let body: AssignBody
    /// The ticket's documents, cut from its frame (`TicketDocuments(slicing:_:eventCount:)`) or written
    /// (`TicketDocuments(body.ticket)`); nil when neither could be (the loop then writes them itself).
    let documents: TicketDocuments?

    init(body: AssignBody, documents: TicketDocuments?) {
        self.body = body
        self.documents = documents
    }
}

/// Ticket bodies (and the frames they came in) decoded on a connection's own thread, ahead of the work loop.
///
/// Reading a `ticket.assign` body (a whole ticket, about 2 KB of JSON) is half of the work loop's time in a durable
/// hop, and the loop is the one thread a node's writes pass through; the connection thread is idle while the loop
/// waits for its fsync. So each connection frames what it receives a second time, parses the assignment frames and
/// their bodies and leaves them here, keyed by where the frame stands in its connection's stream (`FramePlace`) and
/// its exact bytes; the loop's link session, which cuts the same stream into the same frames, takes the parsed
/// message for the frame at that place if its bytes are equal instead of parsing it again, and parses it itself when
/// there is none (a miss changes nothing but the time). Nothing here decides anything: the loop still checks and
/// applies every frame itself. (Keyed by the bytes alone, each frame was hashed whole twice, on the connection
/// thread and on the loop: 4.6 % of the unit loop's instructions in a durable hop.)
///
/// The decoded body goes with its frame: when the session takes the frame, the body is set aside under the
/// identity of the body's bytes (the array the message carries), and the service asking for the body of that
/// message finds it there without comparing or hashing 2 KB again (keying bodies by their bytes as well was 5 % of
/// a unit's loop). A message the service never applies (a duplicate, a refused one) leaves its body set aside
/// until at most `setAsideLimit` are, when they are all dropped.
///
/// The connection thread also makes the documents the loop will store for an assigned ticket (`TicketDocuments`:
/// a third of a unit's loop in a durable hop was writing them), seals them and works out the ticket's row; the
/// loop stores them.
final class PredecodedBodies: @unchecked Sendable {
    // `lock` guards the shelf and what waits to be freed on a connection thread: the loop and the connection
    // threads share it. `loopLock` guards what only the loop uses (the bodies set aside, documents gathered for
    // retiring), so the loop's own steps never wait for a connection thread: in a catch-up the loop slept on the
    // shared lock about 1,500 times a second (a scheduler trace, `perf record -e sched:sched_switch`).
    private let lock = NSLock()
    private let loopLock = NSLock()
    /// Parsed frames, and the decoded body of each.
    private var frames = Shelf<(message: WireMessage, body: PreparedAssign)>()
    /// Bodies of frames the session has taken, by the address of their bytes' storage, with those bytes: holding
    /// the array keeps its storage (and so the address) from being reused while it is here, and arrays are
    /// values, so the same storage means the same bytes.
    private var setAside: [UInt: (bytes: [UInt8], body: PreparedAssign)] = [:]
    /// At most this many frames and this many bytes of them (with their documents): a peer sending frames the loop
    /// refuses (never taken) cannot make the node hold more.
    private let capacity: Int
    private let byteBudget: Int
    static let largestBody = 256 << 10
    static let largestFrame = largestBody + 1024
    static let setAsideLimit = 256

    /// Seals the documents ahead (`TicketDocuments.prepare`); nil: the loop seals them.
    let keyring: DataKeyring?
    /// Tags the callers ahead; nil where the node keeps no caller keys (`NodeContext.callerTagger`).
    let callerTagger: CallerTagger?
    /// What the loop is done with, made on a connection thread: freed by the next `put` there (under `lock`).
    /// Freeing memory another thread allocated takes that thread's malloc arena lock; the loop waited on it ~1,700
    /// times a second in a durable hop (a scheduler trace) and freeing was an eighth of its time.
    private var retired = Retired()
    /// When a connection last put a frame (its `now`): with none for `idleAfter` ms, the loop frees what waits.
    private var lastPut: Int64 = 0
    static let idleAfter: Int64 = 1000
    /// At most this many frames, and this many documents, wait in `retired` (more: freed where they are).
    static let retiredLimit = 512
    /// At most this many items (tickets, messages) of other values wait there.
    static let retiredOtherBudget = 2048
    /// Documents the loop has stored, handed to the shared list `retireBatch` at a time (under `loopLock`).
    private var retiring: [TicketDocuments] = []
    static let retireBatch = 64

    init(capacity: Int = 1024, byteBudget: Int = 8 << 20, keyring: DataKeyring? = nil, callerTagger: CallerTagger? = nil) {
        self.capacity = capacity
        self.byteBudget = byteBudget
        self.keyring = keyring
        self.callerTagger = callerTagger
    }

    /// Frames waiting for the session.
    var count: Int { lock.withLock { frames.entries.count } }
    /// Sweeps for stale frames so far.
    var sweeps: Int { lock.withLock { frames.sweeps } }
    /// Bodies of taken frames waiting for the service.
    var setAsideCount: Int { loopLock.withLock { setAside.count } }

    /// A parsed assignment frame, its decoded body and its documents, as `put` takes them.
    struct Parsed {
        let frame: [UInt8]
        let place: FramePlace
        let message: WireMessage
        let body: AssignBody
        let documents: TicketDocuments?
    }

    /// Leaves a parsed assignment frame and its decoded body. When full (the loop far behind, as in a catch-up),
    /// frames older than 30 s are dropped (ones the loop never asked for: duplicates, refused messages); if that
    /// frees too little, this one is not kept.
    func put(frame: [UInt8], at place: FramePlace, _ message: WireMessage, body: AssignBody,
             documents: TicketDocuments? = nil, now: Int64) {
        put([Parsed(frame: frame, place: place, message: message, body: body, documents: documents)], now: now)
    }

    /// `put` for the frames of one read, under one lock.
    func put(_ parsed: [Parsed], now: Int64) {
        let entries: [(key: PlacedFrame, value: (WireMessage, PreparedAssign), weight: Int)] = parsed.compactMap { p in
            guard p.frame.count <= Self.largestFrame, case .data(let m) = p.message, !m.body.isEmpty else { return nil }
            // The documents are about as large as the body: the byte budget counts them.
            let weight = p.frame.count + m.body.count + (p.documents?.byteCount ?? 0)
            return (PlacedFrame(p.place, p.frame), (p.message, PreparedAssign(body: p.body, documents: p.documents)), weight)
        }
        // Taken out under the lock, freed after it, on this thread.
        let done = lock.withLock {
            for e in entries {
                frames.put(e.key, e.value, weight: e.weight, now: now, capacity: capacity, byteBudget: byteBudget)
            }
            lastPut = max(lastPut, now)
            return retired.takeAll()
        }
        _ = done
    }

    /// Documents the loop has stored: freed on a connection thread (see `retired`), handed over a batch at a time.
    func retire(_ documents: consuming TicketDocuments?) {
        guard let documents = consume documents else { return }
        let batch: [TicketDocuments]? = loopLock.withLock {
            retiring.append(documents)
            guard retiring.count >= Self.retireBatch else { return nil }
            defer { retiring = [] }
            return retiring
        }
        guard let batch else { return }
        let overflow: [TicketDocuments] = lock.withLock {
            defer { retired.documents.append(contentsOf: batch) }
            guard retired.documents.count >= Self.retiredLimit else { return [] }
            defer { retired.documents = [] }
            return retired.documents
        }
        _ = overflow   // freed here, after the lock
    }

    /// Anything else the loop lets go of that a connection thread allocated (`weight`: how many tickets or messages
    /// it holds): freed by the next `put`. Past `retiredOtherBudget`, what waits is freed here, outside the lock.
    func retire(other: Any, weight: Int) {
        let overflow: [Any] = lock.withLock {
            defer {
                retired.other.append(other)
                retired.otherWeight += weight
            }
            guard retired.otherWeight + weight > Self.retiredOtherBudget else { return [] }
            defer { retired.other = []; retired.otherWeight = 0 }
            return retired.other
        }
        _ = overflow   // freed here, after the lock
    }

    /// Called by the loop each round: when no connection has put a frame for `idleAfter` ms, what waits for one is
    /// freed here (outside the lock), instead of staying in memory until the next assignment arrives.
    func freeRetiredIfIdle(now: Int64) {
        let idle: Retired? = lock.withLock {
            guard now - lastPut >= Self.idleAfter, retired.count > 0 else { return nil }
            return retired.takeAll()
        }
        _ = idle
    }

    var retiredCount: Int { lock.withLock { retired.count } + loopLock.withLock { retiring.count } }

    /// The message parsed from exactly these frame bytes at this place, if a connection left one; it is removed,
    /// and its body set aside for `take`.
    func takeFrame(_ frame: [UInt8], at place: FramePlace) -> WireMessage? {
        let key = PlacedFrame(place, frame)
        let found: (WireMessage, PreparedAssign)? = lock.withLock {
            guard let (bytes, hit) = frames.take(key) else { return nil }
            if retired.frames.count >= Self.retiredLimit { retired.frames.removeAll() }
            retired.frames.append(bytes)
            return hit
        }
        guard let (message, body) = found else { return nil }
        if case .data(let m) = message {
            loopLock.withLock {
                if setAside.count >= Self.setAsideLimit { setAside.removeAll(keepingCapacity: true) }
                setAside[Self.address(m.body)] = (m.body, body)
            }
        }
        return message
    }

    /// The body decoded with the frame this body came in (`body` is that message's `body`, or a copy sharing its
    /// storage); it is removed. Nil for any other array, even one with the same bytes: the caller decodes those.
    func take(_ body: [UInt8]) -> PreparedAssign? {
        loopLock.withLock {
            let key = Self.address(body)
            guard let kept = setAside.removeValue(forKey: key) else { return nil }
            guard kept.bytes.count == body.count else {
                setAside[key] = kept
                return nil
            }
            return kept.body
        }
    }

    private static func address(_ bytes: [UInt8]) -> UInt {
        bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    /// What waits in `retired`: frame bytes the session took, documents the loop stored, and other values the loop
    /// let go of — the generations of tickets its cache drops (`TicketCache.retire`) and the messages it applied:
    /// freeing those on the loop took the connection thread's arena lock for every string and array (in a catch-up,
    /// 3,000 waits a second, most of all the loop's sleeps). `otherWeight`: how many tickets or messages they hold.
    private struct Retired {
        var frames: [[UInt8]] = []
        var documents: [TicketDocuments] = []
        var other: [Any] = []
        var otherWeight = 0
        var count: Int { frames.count + documents.count + other.count }
        /// Everything, leaving this empty: the caller frees it after the lock.
        mutating func takeAll() -> Retired {
            defer { self = Retired() }
            return self
        }
    }

    /// Values keyed by the frame they were decoded from, bounded in count and bytes (`weight`: the key's bytes and
    /// what the value holds).
    private struct Shelf<Value> {
        var entries: [PlacedFrame: (value: Value, at: Int64, weight: Int)] = [:]
        var heldBytes = 0
        /// No entry here was put before this: a full shelf has nothing stale to drop until it is 30 s old. (Taking
        /// an entry leaves it as it is, so it may be older than the oldest entry; the next sweep sets it again.)
        private(set) var oldest: Int64?
        /// Sweeps of the whole shelf so far (for tests: a full shelf must not sweep on every put).
        private(set) var sweeps = 0
        static var staleAfter: Int64 { 30_000 }

        /// When full, stale entries are dropped, if there can be any; a shelf still full keeps no more. A catch-up
        /// keeps the shelf full, and sweeping every entry on each put there was three quarters of a unit's
        /// connection thread with a 4,096 window (perf, hotline-bench catchup).
        mutating func put(_ key: PlacedFrame, _ value: Value, weight: Int, now: Int64, capacity: Int, byteBudget: Int) {
            if entries.count >= capacity || heldBytes + weight > byteBudget {
                if let oldest, now - oldest >= Self.staleAfter {
                    sweeps += 1
                    entries = entries.filter { now - $0.value.at < Self.staleAfter }
                    heldBytes = entries.values.reduce(0) { $0 + $1.weight }
                    self.oldest = entries.values.lazy.map(\.at).min()
                }
                guard entries.count < capacity, heldBytes + weight <= byteBudget else { return }
            }
            let old = entries.updateValue((value, now, weight), forKey: key)
            heldBytes += weight - (old?.weight ?? 0)
            oldest = min(oldest ?? now, now)
        }

        /// The value and the bytes it was kept under (the caller decides where they are freed).
        mutating func take(_ key: PlacedFrame) -> ([UInt8], Value)? {
            guard let index = entries.index(forKey: key) else { return nil }
            let (key, hit) = entries.remove(at: index)
            heldBytes -= hit.weight
            return (key.bytes, hit.value)
        }
    }
}

/// Where a frame stands: the connection it came on (the identity of the connection object, the same on the
/// connection's thread and the loop) and its number among the frames cut from that connection's bytes, from 0.
struct FramePlace: Hashable, Sendable {
    let stream: UInt
    let ordinal: Int

    static func stream(of connection: AnyObject) -> UInt { UInt(bitPattern: ObjectIdentifier(connection)) }
}

/// A frame as a shelf's key: hashed by its place (two words), equal only with the same place and the same bytes.
/// Two connections whose objects had the same address one after the other can give two frames the same place;
/// the bytes tell them apart, and equal bytes are the same message anyway.
struct PlacedFrame: Hashable {
    let place: FramePlace
    let bytes: [UInt8]
    init(_ place: FramePlace, _ bytes: [UInt8]) {
        self.place = place
        self.bytes = bytes
    }

    func hash(into hasher: inout Hasher) { hasher.combine(place) }

    static func == (a: PlacedFrame, b: PlacedFrame) -> Bool {
        a.place == b.place && a.bytes.count == b.bytes.count && a.bytes.withUnsafeBytes { x in
            b.bytes.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }
}

/// The places of the frames a link session cuts from one connection, counted on the loop as `BodyPredecoder`
/// counts them on the connection's thread. Used by one session only, on the loop thread.
final class FrameOrdinals: @unchecked Sendable {
    let stream: UInt
    private var next = 0
    init(stream: UInt) { self.stream = stream }

    func take() -> FramePlace {
        defer { next += 1 }
        return FramePlace(stream: stream, ordinal: next)
    }
}

/// One connection's second framing of its bytes (on the connection thread), feeding `PredecodedBodies`. It gives
/// up on the first framing error and leaves a frame it cannot read to the work loop, which parses the same bytes and
/// reports what is wrong.
final class BodyPredecoder: @unchecked Sendable {
    // Used only on its connection's thread.
    private var frames = FrameDecoder()
    /// The number of the next frame cut (every frame counts, parsed or not: the loop counts them all).
    private var ordinal = 0
    private var broken = false
    private let bodies: PredecodedBodies

    init(bodies: PredecodedBodies) { self.bodies = bodies }

    /// A read from the connection `stream` (`FramePlace.stream(of:)`; one predecoder serves one connection).
    func feed(_ bytes: [UInt8], stream: UInt, now: Int64) {
        guard !broken else { return }
        frames.append(bytes)
        // The frames of this read go to the shelf together, under one lock (the loop sees these bytes only after).
        var parsed: [PredecodedBodies.Parsed] = []
        defer { if !parsed.isEmpty { bodies.put(parsed, now: now) } }
        do {
            while let frame = try frames.nextFrame() {
                let place = FramePlace(stream: stream, ordinal: ordinal)
                ordinal += 1
                // Only frames that say they carry an assignment are parsed (a byte search, no JSON).
                guard frame.count <= PredecodedBodies.largestFrame, Self.mentionsAssign(frame) else { continue }
                // One pass for the envelope and the body; nil for anything the loop must look at itself.
                guard let (message, body, layout) = WireMessage.decode(frame, knownKinds: AppMessageKind.all, dataBody: AssignBody.self),
                      case .data(let m) = message, m.kind == AppMessageKind.ticketAssign.rawValue else { continue }
                var documents = TicketDocuments(slicing: frame, layout, eventCount: body.ticket.events.count)
                    ?? (try? TicketDocuments(body.ticket))
                if let keyring = bodies.keyring { try? documents?.prepare(body.ticket, keyring: keyring, callerTagger: bodies.callerTagger) }
                parsed.append(.init(frame: frame, place: place, message: message, body: body, documents: documents))
            }
        } catch {
            broken = true
        }
    }

    private static let marker = Array("\"ticket.assign\"".utf8)

    static func mentionsAssign(_ frame: [UInt8]) -> Bool {
        let m = marker
        guard frame.count >= m.count else { return false }
        // The envelope's "kind" comes before the body in frames this network writes; look in the first 512 bytes.
        let end = min(frame.count, 512) - m.count
        guard end >= 0 else { return false }
        var i = 0
        while i <= end {
            if frame[i] == m[0] {
                var j = 1
                while j < m.count && frame[i + j] == m[j] { j += 1 }
                if j == m.count { return true }
            }
            i += 1
        }
        return false
    }
}
