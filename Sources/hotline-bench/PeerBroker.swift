import Foundation
import Glibc

/// What one durable hop through a real broker costs, to compare our own store-and-forward with.
struct PeerResult {
    let broker: String
    let durability: String
    let messages: Int
    let payloadBytes: Int
    /// Messages per second whose persistence the broker confirmed (Basic.Ack to the publisher).
    let publishConfirmedPerSecond: Double
    /// Messages per second delivered to and acked by the consumer, first publish to last ack.
    let deliveredPerSecond: Double
    /// Seconds from launching the broker to its first successful AMQP handshake.
    let startSeconds: Double
}

/// The "peer" scenario: a publisher and a consumer on separate connections and threads pass
/// persistent messages through a durable queue of a private RabbitMQ node.
enum PeerBenchmark {
    /// Consumer prefetch: enough unacked deliveries in flight that the consumer never waits
    /// for the broker between our batched acks. The publish window is 256 too: RabbitMQ delivered as many a second
    /// with windows of 128 to 1,024 and fewer with 2,048 (twenty-eighth session, `deploy/bench/JOURNAL.md`), so the
    /// broker runs at its best while the hop runs at a node's own window.
    static let prefetch = 256

    /// A private RabbitMQ node, started once and measured a batch at a time (so that a full run can take its
    /// batches in turn with the hop's and the limit's: `Scenarios.transfers`).
    final class Lane: BenchLane {
        private let node: RabbitMQNode
        private let messages: Int, payload: [UInt8], window: Int
        private let log: (String) -> Void
        private(set) var confirmed: [Double] = []
        private(set) var delivered: [Double] = []

        init(messages: Int, payload: [UInt8], window: Int, log: @escaping (String) -> Void) throws {
            guard messages > 0, window > 0 else {
                throw PeerBrokerError.invalidArgument("messages \(messages) and window \(window) must both be positive")
            }
            _ = try RabbitMQNode.ensureInstalled(log: log)
            node = try RabbitMQNode(timeout: 60, log: log)
            self.messages = messages
            self.payload = payload
            self.window = window
            self.log = log
        }

        /// One measured batch; returns the rate delivered to and acked by the consumer.
        @discardableResult
        func batch() throws -> Double {
            let index = delivered.count + 1
            Quiet.settle()
            // A queue of its own per batch, deleted afterwards: no batch sees another's backlog.
            let rates = try measureHop(port: node.port, queue: "hotline-bench-peer-\(index)",
                                       messages: messages, payload: payload, window: window)
            log(String(format: "peer run %d: %.0f msg/s confirmed to the publisher, %.0f msg/s delivered and acked",
                       index, rates.confirmed, rates.delivered))
            confirmed.append(rates.confirmed)
            delivered.append(rates.delivered)
            return rates.delivered
        }

        var result: PeerResult {
            PeerResult(broker: node.brokerName,
                       durability: "durable queue, persistent messages (delivery-mode 2), publisher confirms, manual consumer acks (prefetch \(prefetch)), publish window \(window)",
                       messages: messages, payloadBytes: payload.count,
                       publishConfirmedPerSecond: Stats.median(confirmed), deliveredPerSecond: Stats.median(delivered),
                       startSeconds: node.startSeconds)
        }

        func close() { node.stop(log: log) }
    }

    /// One measured hop: the consumer runs on its own thread, the publisher on the caller's.
    static func measureHop(port: UInt16, queue: String, messages: Int, payload: [UInt8], window: Int) throws -> (confirmed: Double, delivered: Double) {
        let state = HopState()
        let consumer = Thread {
            do { try consume(port: port, queue: queue, messages: messages, payloadBytes: payload.count, state: state) } catch { state.fail(error) }
            state.consumerReady.signal()  // also on failure, so the publisher does not wait in vain
            state.consumerDone.signal()
        }
        consumer.start()
        var publishError: Error?
        do {
            try publish(port: port, queue: queue, messages: messages, payload: payload, window: window, state: state)
        } catch {
            state.fail(error)
            publishError = error
        }
        state.consumerDone.wait()
        if let error = state.firstError ?? publishError { throw error }
        let times = state.times
        return (Double(messages) / (times.lastConfirm - times.firstPublish),
                Double(messages) / (times.lastAck - times.firstPublish))
    }

    /// Publishes with confirms, keeping at most `window` messages unconfirmed and sending each
    /// window top-up in as few writes as possible.
    static func publish(port: UInt16, queue: String, messages: Int, payload: [UInt8], window: Int, state: HopState) throws {
        let connection = try AMQPConnection(port: port, user: "guest", password: "guest", timeout: 30)
        state.register(connection.fd)
        defer { state.unregister(connection.fd) }
        try connection.openChannel(1)
        try connection.declareDurableQueue(channel: 1, name: queue)
        try connection.confirmSelect(channel: 1)
        guard state.consumerReady.wait(timeout: .now() + 60) == .success else {
            throw AMQPError.protocolViolation("consumer did not start within 60 s")
        }
        if let error = state.firstError { throw error }
        var confirms = ConfirmTracker(messages: messages)
        var published = 0
        state.setFirstPublish(peerMonotonicSeconds())
        while confirms.count < messages {
            while published < messages && published - confirms.count < window {
                connection.enqueuePublish(channel: 1, routingKey: queue, body: payload)
                published += 1
                if connection.outbox.bytes.count >= 256 * 1024 { try connection.flush() }
            }
            try connection.flush()
            repeat {
                var method = try connection.readMethod()
                if method.is(60, 80) {
                    try confirms.ack(tag: try method.args.u64(), multiple: try method.args.u8() & 1 == 1, published: published)
                } else if method.is(60, 120) {
                    throw AMQPError.nacked(deliveryTag: try method.args.u64())
                } else {
                    throw AMQPError.protocolViolation("publisher got unexpected method \(method.classID).\(method.methodID)")
                }
            } while connection.hasBufferedFrame
        }
        state.setLastConfirm(peerMonotonicSeconds())
        try connection.closeChannel(1)
        try connection.closeConnection()
    }

    /// Consumes with manual acks. Acks go out as one `multiple` ack whenever the receive buffer
    /// runs dry (we would block anyway) or a quarter of the prefetch is unacked.
    static func consume(port: UInt16, queue: String, messages: Int, payloadBytes: Int, state: HopState) throws {
        let connection = try AMQPConnection(port: port, user: "guest", password: "guest", timeout: 30)
        state.register(connection.fd)
        defer { state.unregister(connection.fd) }
        try connection.openChannel(1)
        try connection.declareDurableQueue(channel: 1, name: queue)
        try connection.qos(channel: 1, prefetch: UInt16(prefetch))
        try connection.consume(channel: 1, queue: queue, tag: "hotline-bench")
        state.consumerReady.signal()
        var delivered = 0, unacked = 0
        var currentTag: UInt64 = 0, lastCompleteTag: UInt64 = 0
        var bodyRemaining = -1  // -1: waiting for a Deliver; otherwise bytes still due
        while delivered < messages {
            if unacked > 0 && (unacked >= prefetch / 4 || !connection.hasBufferedFrame) {
                connection.enqueueAck(channel: 1, deliveryTag: lastCompleteTag, multiple: true)
                try connection.flush()
                unacked = 0
            }
            let frame = try connection.readFrame()
            switch frame.type {
            case 1:
                var method = try connection.method(from: frame)
                guard method.is(60, 60), bodyRemaining == -1 else {
                    throw AMQPError.protocolViolation("consumer got method \(method.classID).\(method.methodID) where a Basic.Deliver was due")
                }
                _ = try method.args.shortString()
                currentTag = try method.args.u64()
                bodyRemaining = -2  // header due
            case 2:
                var header = AMQPReader(frame.payload)
                _ = try header.u16(); _ = try header.u16()
                let size = try header.u64()
                guard bodyRemaining == -2, size == UInt64(payloadBytes) else {
                    throw AMQPError.protocolViolation("unexpected content header (body \(size) bytes, expected \(payloadBytes))")
                }
                bodyRemaining = Int(size)
            case 3:
                guard bodyRemaining >= frame.payload.count else { throw AMQPError.protocolViolation("unexpected body frame") }
                bodyRemaining -= frame.payload.count
            case 8:
                continue
            default:
                throw AMQPError.protocolViolation("unknown frame type \(frame.type)")
            }
            if bodyRemaining == 0 {
                bodyRemaining = -1
                delivered += 1
                unacked += 1
                lastCompleteTag = currentTag
            }
        }
        connection.enqueueAck(channel: 1, deliveryTag: lastCompleteTag, multiple: true)
        try connection.flush()
        state.setLastAck(peerMonotonicSeconds())
        // Same channel, so the broker has applied our acks before it deletes the queue.
        try connection.deleteQueue(channel: 1, name: queue)
        try connection.closeChannel(1)
        try connection.closeConnection()
    }
}

/// Which published messages the broker has confirmed, for single and `multiple` acks alike.
struct ConfirmTracker {
    private var confirmed: [Bool]
    /// Every tag up to here is confirmed, so a `multiple` ack only walks new tags.
    private var lowWater: UInt64 = 0
    private(set) var count = 0

    init(messages: Int) { confirmed = Array(repeating: false, count: messages + 1) }

    mutating func ack(tag: UInt64, multiple: Bool, published: Int) throws {
        guard tag >= 1, tag <= UInt64(published) else {
            throw AMQPError.protocolViolation("broker confirmed delivery tag \(tag) but only \(published) were published")
        }
        let first = multiple ? lowWater + 1 : tag
        if first <= tag {
            for t in first...tag where !confirmed[Int(t)] {
                confirmed[Int(t)] = true
                count += 1
            }
        }
        while Int(lowWater) + 1 < confirmed.count && confirmed[Int(lowWater) + 1] { lowWater += 1 }
    }
}

/// What the publisher and consumer threads share during one hop: the first error (which also
/// shuts both sockets so the other thread stops waiting), readiness and timestamps.
final class HopState: @unchecked Sendable {
    private let lock = NSLock()
    private var error: Error?
    private var sockets: [Int32] = []
    private var firstPublish = 0.0, lastConfirm = 0.0, lastAck = 0.0
    let consumerReady = DispatchSemaphore(value: 0)
    let consumerDone = DispatchSemaphore(value: 0)

    var firstError: Error? { lock.withLock { error } }
    var times: (firstPublish: Double, lastConfirm: Double, lastAck: Double) { lock.withLock { (firstPublish, lastConfirm, lastAck) } }

    func register(_ fd: Int32) {
        lock.withLock {
            sockets.append(fd)
            if error != nil { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Called before the connection closes its socket, so `fail` never shuts a reused descriptor.
    func unregister(_ fd: Int32) { lock.withLock { sockets.removeAll { $0 == fd } } }

    func fail(_ failure: Error) {
        lock.withLock {
            if error == nil { error = failure }
            for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    func setFirstPublish(_ t: Double) { lock.withLock { firstPublish = t } }
    func setLastConfirm(_ t: Double) { lock.withLock { lastConfirm = t } }
    func setLastAck(_ t: Double) { lock.withLock { lastAck = t } }
}
