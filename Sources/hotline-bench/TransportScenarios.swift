import Foundation
import HotlineCore
import HotlineNet
import HotlineNode
import HotlineWire

/// One side of the hop's comparison (the hop, the peer broker, the storage-off limit), set up once and measured a
/// batch at a time so that the three can take turns (`Scenarios.transfers`).
protocol BenchLane: AnyObject {
    /// One measured batch: messages a second.
    @discardableResult
    func batch() throws -> Double
    func close()
}

/// Scenarios 1 (one durable hop), 4 (catch-up) and the storage-off limit: the bench plays the city's end of the
/// link with an in-memory outbox of real `ticket.assign` messages; the node at the other end is a real process
/// that commits each batch before it acknowledges (or, for the limit, the bench's own receiver that only frames,
/// decodes and acknowledges).
struct TransportScenarios {
    let settings: Bench.Settings

    var count: Int { settings.quick ? 2_000 : 20_000 }
    var runs: Int { settings.quick ? 1 : 5 }
    static let water = Area(district: "东城区", street: "第1街道")

    /// Data frames the bench's city end sends before it waits for an acknowledgement: a node's own default
    /// (`node.json` `window`), as a centre would send them. The bench had 256 until the twenty-eighth session, the
    /// wire library's default: the unit then committed rounds of at most 256 messages, and 43 % of its work loop was
    /// committing against 30 % with 2,048 (README "Performance").
    static let window = NodeConfig(nodeId: "b-city", role: .city).window

    /// The bench listening as `b-city` on the network's city port, with b-city's certificate.
    static func cityEnd(_ net: BenchNetwork) throws -> (BenchLink, TCPListener) {
        let link = BenchLink(.init(localNode: "b-city", expectedPeer: nil, window: window))
        let tls = try net.tlsDir("b-city").map { try TLSContext(directory: $0) }
        let listener = TCPListener(host: "127.0.0.1", port: net.cityPort, tls: tls, delegateFactory: { _ in link })
        try listener.start()
        return (link, listener)
    }

    /// The bench's city end of one hop, connected to its receiver and warmed up, measured a batch at a time: the hop's
    /// own (a real `hotline-unit`) or the storage-off limit's (the bench's receiver in a second process). A full run
    /// measures the hop, the peer broker and the limit side by side, a batch of each in turn (`Scenarios`), so that
    /// their ratios compare the same minutes of a machine whose speed moves by tens of percent.
    final class Lane: BenchLane {
        let net: BenchNetwork
        let link: BenchLink
        private let listener: TCPListener
        private let count: Int
        private var first: Int
        private var stops: [() -> Void] = []
        /// Each batch's rate (messages acknowledged a second), and the batches' seconds in all.
        private(set) var rates: [Double] = []
        private(set) var seconds = 0.0
        /// The hop's unit, its CPU at start, and its work loop after the warm-up; nil for the limit.
        private(set) var unit: NodeProcess?
        private var unitCPU = 0.0
        private var unitThreads: [String: Double] = [:]
        /// The limit's receiver process and its CPU at start; 0 for the hop.
        private var receiverPID: Int32 = 0
        private var receiverCPU = 0.0
        private var loadBefore: BenchNetwork.LoopLoad?

        fileprivate init(net: BenchNetwork, count: Int) throws {
            self.net = net
            self.count = count
            first = 1
            (link, listener) = try TransportScenarios.cityEnd(net)
        }

        fileprivate func startUnit() throws {
            try net.initialize("b-direct")
            let unit = try net.start("b-direct")
            self.unit = unit
            unitCPU = unit.cpuSeconds()
            unitThreads = unit.cpuSecondsByThread()
        }

        fileprivate func onClose(_ stop: @escaping () -> Void) { stops.append(stop) }

        /// Waits for the receiver, then a short warm-up, so that a batch does not pay for the first page-ins and the
        /// first growth of the log.
        fileprivate func warmUp() throws {
            guard link.waitEstablished(timeout: 30) else { throw BenchError.failed("the receiver did not connect within 30 s") }
            let warm = min(500, count)
            link.enqueue(try Payload.assignments(count: warm, lead: "b-direct", area: TransportScenarios.water, topic: "供水", first: first))
            first += warm
            guard link.waitAcknowledged(UInt64(warm), timeout: 60) else { throw BenchError.failed("warm-up not acknowledged") }
            loadBefore = try unit.map { _ in try net.loopLoad("b-direct") }
        }

        /// Sends `count` new assignments and returns their rate: messages acknowledged a second.
        @discardableResult
        func batch() throws -> Double {
            let messages = try Payload.assignments(count: count, lead: "b-direct", area: TransportScenarios.water, topic: "供水", first: first)
            first += count
            let target = link.acknowledged + UInt64(count)
            Quiet.settle()
            let t0 = Clock.now()
            link.enqueue(messages)
            guard link.waitAcknowledged(target, timeout: 600) else {
                throw BenchError.failed("batch \(rates.count + 1): only \(link.acknowledged) of \(target) acknowledged after 600 s")
            }
            let elapsed = Clock.now() - t0
            seconds += elapsed
            rates.append(Double(count) / elapsed)
            return rates[rates.count - 1]
        }

        /// The unit's CPU time (user + system) a message over its whole life, warm-up included: steadier than the
        /// rate on a shared machine, and what a change to the node's work per message moves.
        var unitMicros: Double? { unit.map { ($0.cpuSeconds() - unitCPU) / Double(link.acknowledged) * 1e6 } }

        /// Of `unitMicros`, the work loop's and the link's (the connection thread: TLS, framing, decoding the
        /// assignment and writing its documents ahead).
        var unitThreadMicros: (loop: Double, link: Double)? {
            guard let unit else { return nil }
            let now = unit.cpuSecondsByThread(), n = Double(link.acknowledged)
            func of(_ kind: String) -> Double { ((now[kind] ?? 0) - (unitThreads[kind] ?? 0)) / n * 1e6 }
            return (of("work-loop"), of("conn"))
        }

        /// The storage-off receiver's CPU time a message, likewise (its whole life, warm-up included).
        var receiverMicros: Double? {
            receiverPID == 0 ? nil : (NodeProcess.cpuSeconds(pid: receiverPID) - receiverCPU) / Double(link.acknowledged) * 1e6
        }

        fileprivate func receiverStarted(_ pid: Int32) {
            receiverPID = pid
            receiverCPU = NodeProcess.cpuSeconds(pid: pid)
        }

        /// The unit's work loop over the batches (the pauses between them hold only its idle rounds).
        func unitLoop() throws -> (BenchNetwork.LoopLoad, seconds: Double)? {
            guard let loadBefore else { return nil }
            return (try net.loopLoad("b-direct") - loadBefore, seconds)
        }

        func close() {
            listener.stop()
            link.close()
            for stop in stops.reversed() { stop() }
            stops = []
            net.stopAll()
        }
    }

    /// Scenario 1's lane: bench (city) → real `hotline-unit` (b-direct), each batch committed before its ack.
    func openHop() throws -> Lane {
        let net = try BenchNetwork(dir: settings.dir.appendingPathComponent("hop"), tls: settings.tls)
        let lane = try Lane(net: net, count: count)
        do {
            try lane.startUnit()
            try lane.warmUp()
        } catch {
            lane.close()
            throw error
        }
        return lane
    }

    /// The limit's lane: the same frames to the bench's own receiver in a second process (`--receiver`), which
    /// frames, parses each message and its body and acknowledges at once, storing nothing.
    func openStorageOff() throws -> Lane {
        let net = try BenchNetwork(dir: settings.dir.appendingPathComponent("storage-off"), tls: settings.tls)
        let lane = try Lane(net: net, count: count)
        do {
            let receiver = Process()
            receiver.executableURL = BenchNetwork.executable("hotline-bench")
            receiver.arguments = ["--receiver", "127.0.0.1:\(net.cityPort)"] + (net.tlsDir("b-direct").map { ["--tls-dir", $0] } ?? [])
            try receiver.run()
            let interrupt = Interrupt.onInterrupt { if receiver.isRunning { kill(receiver.processIdentifier, SIGKILL) } }
            lane.receiverStarted(receiver.processIdentifier)
            lane.onClose {
                receiver.terminate()
                receiver.waitUntilExit()
                Interrupt.done(interrupt)
            }
            try lane.warmUp()
        } catch {
            lane.close()
            throw error
        }
        return lane
    }

    /// The bytes of one of the hop's messages.
    var messageBytes: Int {
        get throws { try Payload.assignments(count: 1, lead: "b-direct", area: Self.water, topic: "供水")[0].body.count }
    }

    /// Scenario 4: a backlog of `backlog` messages held by a real county station (b-east) for a unit that is
    /// offline (b-east-1); the unit starts and the time until the county's outbox is empty is measured, with the
    /// resident memory of both during the drain.
    struct CatchUp {
        var seconds: Double
        var fillRate: Double
        var countyPeak: Int
        var unitPeak: Int
        var backlog: Int
        /// The unit's work loop over the drain (its whole life): "busy 92 % (work 47 / commit 42 / after 3), CPU 61 %".
        var unitLoop: BenchNetwork.LoopLoad
        /// Of the drain, a message: CPU time in µs and bytes written to disk, county and unit.
        var countyMicros: Double, unitMicros: Double
        var countyBytes: Double, unitBytes: Double
        var cpuMicros: Double { countyMicros + unitMicros }
        var bytesPerMessage: Double { countyBytes + unitBytes }
    }

    func catchUp(run: Int = 1) throws -> CatchUp {
        let backlog = settings.quick ? 2_000 : 100_000
        let net = try BenchNetwork(dir: settings.dir.appendingPathComponent("catchup-\(run)"), tls: settings.tls)
        defer { net.stopAll() }
        try net.initialize("b-east")
        try net.initialize("b-east-1")
        let (link, listener) = try Self.cityEnd(net)
        defer { listener.stop(); link.close() }
        let county = try net.start("b-east")
        guard link.waitEstablished(timeout: 30) else { throw BenchError.failed("b-east did not connect within 30 s") }
        let area = Area(district: "东城区", street: "第1街道")
        let t0 = Clock.now()
        var sent = 0
        while sent < backlog {
            let n = min(10_000, backlog - sent)
            link.enqueue(try Payload.assignments(count: n, lead: "b-east-1", area: area, topic: "供水", first: sent + 1))
            sent += n
            // Keep the bench's own memory flat: wait for the county to take this part before making the next.
            guard link.waitAcknowledged(UInt64(sent), timeout: 600) else { throw BenchError.failed("b-east did not take the backlog") }
        }
        let fillRate = Double(backlog) / (Clock.now() - t0)
        let queued = try net.pending(at: "b-east", to: "b-east-1")
        guard queued == backlog else { throw BenchError.failed("b-east holds \(queued) messages for b-east-1, expected \(backlog)") }
        let start = Clock.now()
        let countyCPU = county.cpuSeconds(), countyWritten = county.bytesWritten()
        let unit = try net.start("b-east-1")
        var countyPeak = 0, unitPeak = 0
        while true {
            countyPeak = max(countyPeak, county.memory().rss)
            unitPeak = max(unitPeak, unit.memory().rss)
            if try net.pending(at: "b-east", to: "b-east-1") == 0 { break }
            guard Clock.now() - start < 900 else { throw BenchError.failed("the backlog did not drain within 900 s") }
            usleep(20_000)
        }
        let seconds = Clock.now() - start
        let unitLoop = try net.loopLoad("b-east-1")
        let n = Double(backlog)
        let countyMicros = (county.cpuSeconds() - countyCPU) / n * 1e6, unitMicros = unit.cpuSeconds() / n * 1e6
        let countyBytes = Double(county.bytesWritten() - countyWritten) / n, unitBytes = Double(unit.bytesWritten()) / n
        // The unit's lifetime is the drain, so its own peak counts; the county's peak may date from the filling.
        unitPeak = max(unitPeak, unit.memory().peak)
        let last = try Payload.ticketIDs(count: 1, lead: "b-east-1", area: area, topic: "供水", first: backlog)[0]
        guard (try net.ok("b-east-1", ["show", last]) as? [String: Any])?["status"] as? String == "dispatched" else {
            throw BenchError.failed("the last ticket of the backlog is not at b-east-1")
        }
        return CatchUp(seconds: seconds, fillRate: fillRate, countyPeak: countyPeak, unitPeak: unitPeak, backlog: backlog,
                       unitLoop: unitLoop, countyMicros: countyMicros, unitMicros: unitMicros, countyBytes: countyBytes, unitBytes: unitBytes)
    }
}

/// `hotline-bench --receiver HOST:PORT [--tls-dir DIR]`: the storage-off end of the limits scenario, started by
/// the bench itself. Dials the bench's city end as b-direct and acknowledges what it parsed, storing nothing.
enum Receiver {
    private struct Assign: Decodable {
        var ticket: Ticket
        var role: String
    }

    static func run(address: String, tlsDir: String?) -> Never {
        guard let endpoint = try? HostPort(parsing: address) else { Bench.fail("--receiver needs HOST:PORT") }
        let link = BenchLink(.init(localNode: "b-direct", expectedPeer: "b-city", window: 256, acknowledgeAtOnce: true))
        link.onDeliver = { messages in
            // What the node decodes before storing, with the node's reader; a body that does not parse is a bench bug.
            for m in messages where (try? JSONStreamDecoder.decode(Assign.self, from: m.body)) == nil {
                Bench.fail("receiver: message \(m.id) has a body that is not a ticket assignment", 1)
            }
        }
        do {
            let tls = try tlsDir.map { try TLSContext(directory: $0) }
            _ = try Dialer.connect(host: endpoint.host, port: endpoint.port, tls: tls, expectedPeer: tls == nil ? nil : "b-city",
                                   delegate: link)
        } catch {
            Bench.fail("receiver: cannot reach the bench at \(address): \(error)", 1)
        }
        while true { sleep(60) }
    }
}
