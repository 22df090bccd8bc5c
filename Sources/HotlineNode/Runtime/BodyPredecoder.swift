import Foundation
import HotlineWire

/// Ticket bodies decoded on a connection's own thread, ahead of the work loop.
///
/// Reading a `ticket.assign` body (a whole ticket, about 2 KB of JSON) is half of the work loop's time in a durable
/// hop, and the loop is the one thread a node's writes pass through; the connection thread is idle while the loop
/// waits for its fsync. So each connection frames what it receives a second time, decodes the assign bodies and
/// leaves them here, keyed by their exact bytes; the loop takes a body whose bytes are equal instead of decoding
/// them again, and decodes them itself when there is none (a miss changes nothing but the time). Nothing here
/// decides anything: the loop still parses, checks and applies every frame itself.
final class PredecodedBodies: @unchecked Sendable {
    // `lock` guards `entries` and `heldBytes`.
    private let lock = NSLock()
    private var entries: [[UInt8]: (body: AssignBody, at: Int64)] = [:]
    private var heldBytes = 0
    /// At most this many bodies and this many bytes of them: a peer sending bodies the loop refuses (never taken)
    /// cannot make the node hold more.
    private let capacity: Int
    private let byteBudget: Int
    static let largestBody = 256 << 10

    init(capacity: Int = 1024, byteBudget: Int = 4 << 20) {
        self.capacity = capacity
        self.byteBudget = byteBudget
    }

    var count: Int { lock.withLock { entries.count } }

    /// Leaves a decoded body. When full (the loop far behind, as in a catch-up), bodies older than 30 s are dropped
    /// (ones the loop never asked for: duplicates, refused messages); if that frees too little, the body is not kept.
    func put(_ bytes: [UInt8], _ body: AssignBody, now: Int64) {
        guard bytes.count <= Self.largestBody else { return }
        lock.withLock {
            if entries.count >= capacity || heldBytes + bytes.count > byteBudget {
                entries = entries.filter { now - $0.value.at < 30_000 }
                heldBytes = entries.keys.reduce(0) { $0 + $1.count }
                guard entries.count < capacity, heldBytes + bytes.count <= byteBudget else { return }
            }
            if entries.updateValue((body, now), forKey: bytes) == nil { heldBytes += bytes.count }
        }
    }

    /// The body decoded from exactly these bytes, if a connection left one; it is removed.
    func take(_ bytes: [UInt8]) -> AssignBody? {
        lock.withLock {
            guard let hit = entries.removeValue(forKey: bytes) else { return nil }
            heldBytes -= bytes.count
            return hit.body
        }
    }
}

/// One connection's second framing of its bytes (on the connection thread), feeding `PredecodedBodies`. It gives
/// up on the first framing or envelope error: the work loop, which parses the same bytes, reports it.
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
                guard frame.count <= PredecodedBodies.largestBody + 1024, Self.mentionsAssign(frame),
                      case .data(let m) = try WireMessage.decode(frame, knownKinds: AppMessageKind.all),
                      m.kind == AppMessageKind.ticketAssign.rawValue,
                      let body = try? JSONStreamDecoder.decode(AssignBody.self, from: m.body) else { continue }
                bodies.put(m.body, body, now: now)
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
