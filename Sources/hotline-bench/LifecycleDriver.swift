import Foundation

/// Drives whole tickets through the network as its operators would, each step at the node whose turn it is and
/// as soon as that node has stored what the step needs (seen in its log): the centre takes a ticket in and
/// dispatches it to a county station; the station forwards it to a street; the street signs and replies; the
/// centre reviews and calls back, which closes the ticket.
final class LifecycleDriver: @unchecked Sendable {
    let net: BenchNetwork
    let count: Int
    let inFlight: Int
    private var queues: [String: JobQueue] = [:]
    private let slots: DispatchSemaphore
    private let finished = DispatchSemaphore(value: 0)
    private let state = Box(State())

    private struct State {
        var route: [String: (county: String, unit: String)] = [:]
        var done = 0
        var failures: [String] = []
        var sample = ""
    }

    /// Commands each node's operators (or its gateway) have under way at once. A city taking 2,000 calls a second
    /// has hundreds of operators; with 16 / 6 / 3 a unit had at most three commands to share a commit with, and
    /// paid a transaction and an fsync for nearly each (5.7–6.2 ms of node CPU a ticket against 4.3–4.8 at these
    /// counts, the same build alternately; 16× gained nothing more).
    static let operators = (city: 64, county: 24, unit: 12)

    init(net: BenchNetwork, count: Int, inFlight: Int) {
        self.net = net
        self.count = count
        self.inFlight = inFlight
        slots = DispatchSemaphore(value: inFlight)
        queues["b-city"] = JobQueue(workers: Self.operators.city)
        for id in BenchNetwork.counties.keys { queues[id] = JobQueue(workers: Self.operators.county) }
        for id in BenchNetwork.units { queues[id] = JobQueue(workers: Self.operators.unit) }
    }

    var sampleTicket: String { state.with { $0.sample } }

    /// Runs every ticket; returns the seconds from the first intake to the last callback.
    func run(intake: @escaping @Sendable (String) throws -> String) throws -> Double {
        let counties = BenchNetwork.counties.keys.sorted()
        let t0 = Clock.now()
        for i in 0..<count {
            slots.wait()
            let county = counties[i % counties.count]
            let street = i / counties.count % 3 + 1
            queues["b-city"]!.add { [self] in
                var id = "(intake \(i))"
                do {
                    id = try intake("\(BenchNetwork.counties[county]!)/第\(street)街道")
                    state.with { $0.route[id] = (county, "\(county)-\(street)") }
                    try net.run("b-city", ["dispatch", id, "--to", county])
                } catch {
                    finish(id, failure: "\(id): \(error)")
                }
            }
        }
        guard finished.wait(timeout: .now() + 900) == .success else {
            throw BenchError.failed("only \(state.with { $0.done }) of \(count) tickets finished within 900 s")
        }
        let seconds = Clock.now() - t0
        for q in queues.values { q.stop() }
        let failures = state.with { $0.failures }
        guard failures.isEmpty else {
            throw BenchError.failed("\(failures.count) of \(count) tickets failed; first: \(failures[0])")
        }
        return seconds
    }

    /// A node's log line: start the next step where it is due.
    func observe(node: String, _ line: NodeProcess.Line) {
        guard let ticket = line.fields["ticket"], let route = state.with({ $0.route[ticket] }) else { return }
        switch (line.event, node) {
        case ("ticket-assigned", route.county):
            queues[node]!.add { [self] in
                step(ticket) { try net.run(route.county, ["forward", ticket, "--to", route.unit]) }
            }
        case ("ticket-assigned", route.unit) where line.fields["role"] == "lead":
            queues[node]!.add { [self] in
                step(ticket) {
                    try net.run(route.unit, ["sign", ticket])
                    try net.run(route.unit, ["reply", ticket, "--text", "已到现场核实并处理完毕，已告知来电人", "--contacted"])
                }
            }
        case ("event", "b-city") where line.fields["type"] == "replied":
            queues[node]!.add { [self] in
                step(ticket) {
                    try net.run("b-city", ["review", ticket, "--pass"])
                    try net.run("b-city", ["callback", ticket, "--satisfaction", "satisfied", "--resolved", "yes"])
                    finish(ticket, failure: nil)
                }
            }
        default:
            break
        }
    }

    /// Runs one step; a failed step ends its ticket as a failure (the bench goes on with the others).
    private func step(_ id: String, _ body: () throws -> Void) {
        do { try body() } catch { finish(id, failure: "\(id): \(error)") }
    }

    private func finish(_ ticket: String, failure: String?) {
        let all = state.with { s -> Bool in
            s.done += 1
            if let failure { s.failures.append(failure) } else { s.sample = ticket }
            s.route[ticket] = nil
            return s.done == count
        }
        slots.signal()
        if all { finished.signal() }
    }
}

/// Jobs run by a fixed set of threads, as operators at one node working in parallel.
final class JobQueue: @unchecked Sendable {
    // `condition` guards `jobs` and `stopped`.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopped = false

    init(workers: Int) {
        for _ in 0..<workers {
            let thread = Thread { [self] in
                while let job = take() { job() }
            }
            thread.start()
        }
    }

    func add(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func take() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !stopped { condition.wait() }
        return stopped ? nil : jobs.removeFirst()
    }
}
