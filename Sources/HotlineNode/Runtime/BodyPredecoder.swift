import Foundation
import HotlineWire

/// An assignment decoded on a connection thread: its body and, written there too, the ticket's stored documents.
struct PreparedAssign {
    let body: AssignBody
    /// `TicketDocuments(body.ticket)`, or nil when they could not be written (the loop then writes them itself).
    let documents: TicketDocuments?
}

/// Ticket bodies (and the frames they came in) decoded on a connection's own thread, ahead of the work loop.
///
/// Reading a `ticket.assign` body (a whole ticket, about 2 KB of JSON) is half of the work loop's time in a durable
/// hop, and the loop is the one thread a node's writes pass through; the connection thread is idle while the loop
/// waits for its fsync. So each connection frames what it receives a second time, decodes the assign bodies and
/// leaves them here, keyed by their exact bytes; the loop takes a body whose bytes are equal instead of decoding
/// them again, and decodes them itself when there is none (a miss changes nothing but the time); its link session
/// likewise takes a parsed frame for exactly the same frame bytes. Nothing here decides anything: the loop still
/// checks and applies every frame itself.
///
/// The connection thread also writes the documents the loop will store for an assigned ticket (`TicketDocuments`:
/// a third of a unit's loop in a durable hop was writing them); the loop seals and stores them.
final class PredecodedBodies: @unchecked Sendable {
    // `lock` guards both shelves.
    private let lock = NSLock()
    private var bodies = Shelf<PreparedAssign>()
    /// The whole frames those bodies came in, parsed: the loop's link session takes the message instead of
    /// parsing the frame again (that parse was a sixth of a unit's loop in a durable hop).
    private var frames = Shelf<WireMessage>()
    /// At most this many bodies (and as many frames) and this many bytes of each: a peer sending bodies the loop
    /// refuses (never taken) cannot make the node hold more.
    private let capacity: Int
    private let byteBudget: Int
    static let largestBody = 256 << 10
    static let largestFrame = largestBody + 1024

    init(capacity: Int = 1024, byteBudget: Int = 4 << 20) {
        self.capacity = capacity
        self.byteBudget = byteBudget
    }

    var count: Int { lock.withLock { bodies.entries.count } }
    var frameCount: Int { lock.withLock { frames.entries.count } }

    /// Leaves a decoded body. When full (the loop far behind, as in a catch-up), bodies older than 30 s are dropped
    /// (ones the loop never asked for: duplicates, refused messages); if that frees too little, the body is not kept.
    func put(_ bytes: [UInt8], _ body: AssignBody, documents: TicketDocuments? = nil, now: Int64) {
        guard bytes.count <= Self.largestBody else { return }
        let prepared = PreparedAssign(body: body, documents: documents)
        // The documents are about as large as the body: the byte budget counts them.
        let weight = bytes.count + (documents?.byteCount ?? 0)
        lock.withLock { bodies.put(bytes, prepared, weight: weight, now: now, capacity: capacity, byteBudget: byteBudget) }
    }

    /// The body decoded from exactly these bytes, if a connection left one; it is removed.
    func take(_ bytes: [UInt8]) -> PreparedAssign? {
        lock.withLock { bodies.take(bytes) }
    }

    /// Leaves a parsed frame, on the same terms as a body.
    func putFrame(_ frame: [UInt8], _ message: WireMessage, now: Int64) {
        guard frame.count <= Self.largestFrame else { return }
        lock.withLock { frames.put(frame, message, weight: frame.count, now: now, capacity: capacity, byteBudget: byteBudget) }
    }

    /// The message parsed from exactly these frame bytes, if a connection left one; it is removed.
    func takeFrame(_ frame: [UInt8]) -> WireMessage? {
        lock.withLock { frames.take(frame) }
    }

    /// Values keyed by the exact bytes they were decoded from, bounded in count and bytes (`weight`: the key's
    /// bytes and what the value holds).
    private struct Shelf<Value> {
        var entries: [BodyBytes: (value: Value, at: Int64, weight: Int)] = [:]
        var heldBytes = 0

        mutating func put(_ bytes: [UInt8], _ value: Value, weight: Int, now: Int64, capacity: Int, byteBudget: Int) {
            if entries.count >= capacity || heldBytes + weight > byteBudget {
                entries = entries.filter { now - $0.value.at < 30_000 }
                heldBytes = entries.values.reduce(0) { $0 + $1.weight }
                guard entries.count < capacity, heldBytes + weight <= byteBudget else { return }
            }
            let old = entries.updateValue((value, now, weight), forKey: BodyBytes(bytes))
            heldBytes += weight - (old?.weight ?? 0)
        }

        mutating func take(_ bytes: [UInt8]) -> Value? {
            guard let hit = entries.removeValue(forKey: BodyBytes(bytes)) else { return nil }
            heldBytes -= hit.weight
            return hit.value
        }
    }
}

/// Bytes (a body or a whole frame) as a dictionary key. `[UInt8]`'s own hashing feeds the hasher a byte at a time
/// (a seventh of a unit's work loop in a durable hop); SipHash over the whole buffer was still 5 % of it, for four
/// lookups a message. So the hasher gets one 64-bit digest over 8-byte words: each step xors the word in,
/// multiplies by an odd constant and folds the high half down (every step a bijection, so two buffers that differ
/// in one word always differ; the fold carries a change in a word's high bytes into the low bits, which a
/// multiply alone never does). A multiply and a shift a word. Equality is still the whole bytes; a peer that crafted
/// colliding bodies would only slow lookups in a shelf of at most `capacity`.
struct BodyBytes: Hashable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) { hasher.combine(Self.digest(bytes)) }

    static func digest(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
                let m = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
                return m ^ (m >> 32)
            }
            var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(raw.count)
            var i = 0
            while i + 8 <= raw.count {
                h = mix(h, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i += 8
            }
            while i < raw.count {
                h = mix(h, UInt64(raw[i]))
                i += 1
            }
            return h
        }
    }

    static func == (a: BodyBytes, b: BodyBytes) -> Bool {
        a.bytes.count == b.bytes.count && a.bytes.withUnsafeBytes { x in
            b.bytes.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }
}

/// One connection's second framing of its bytes (on the connection thread), feeding `PredecodedBodies`. It gives
/// up on the first framing error and leaves a frame it cannot read to the work loop, which parses the same bytes and
/// reports what is wrong.
final class BodyPredecoder: @unchecked Sendable {
    // Used only on its connection's thread.
    private var frames = FrameDecoder()
    private var broken = false
    private let bodies: PredecodedBodies

    init(bodies: PredecodedBodies) { self.bodies = bodies }

    func feed(_ bytes: [UInt8], now: Int64) {
        guard !broken else { return }
        frames.append(bytes)
        do {
            while let frame = try frames.nextFrame() {
                // Only frames that say they carry an assignment are parsed (a byte search, no JSON).
                guard frame.count <= PredecodedBodies.largestFrame, Self.mentionsAssign(frame) else { continue }
                // One pass for the envelope and the body; nil for anything the loop must look at itself.
                guard let (message, body) = WireMessage.decode(frame, knownKinds: AppMessageKind.all, dataBody: AssignBody.self),
                      case .data(let m) = message, m.kind == AppMessageKind.ticketAssign.rawValue else { continue }
                bodies.put(m.body, body, documents: try? TicketDocuments(body.ticket), now: now)
                bodies.putFrame(frame, message, now: now)
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
