import Foundation
import HotlineNode

/// Runs the chosen scenarios in a fixed order (the hop before the ratios that need it) and collects figures;
/// a scenario that fails is reported with its reason and the others still run.
final class Scenarios {
    let settings: Bench.Settings
    private(set) var list: [Figure] = []
    private(set) var failures: [String] = []

    init(settings: Bench.Settings) { self.settings = settings }

    private var mb: Double { 1_048_576 }

    func run(_ chosen: [String]) -> Scenarios {
        let transport = TransportScenarios(settings: settings)
        transfers(chosen, transport)
        attempt("catchup", chosen) {
            // One drain is five seconds of a machine whose speed swings by tens of percent: the median of three
            // (each on a network of its own), with every run's time in the table.
            var runs: [TransportScenarios.CatchUp] = []
            for run in 1...(settings.quick ? 1 : 3) {
                runs.append(try transport.catchUp(run: run))
                try? FileManager.default.removeItem(at: settings.dir.appendingPathComponent("catchup-\(run)"))
            }
            let c = runs.sorted { $0.seconds < $1.seconds }[runs.count / 2]
            var drain = Figure(scenario: "catchup", name: "\(c.backlog) messages drain after the unit returns", value: c.seconds,
                               unit: "s", how: "from the unit's start to an empty outbox at the county; median of \(runs.count) "
                                   + "(\(runs.map { Report.format($0.seconds) }.joined(separator: " / ")) s); the unit's work loop "
                                   + c.unitLoop.shares(of: c.seconds),
                               goal: .init(kind: .atMost, bound: 5, text: "< 5 s"))
            drain.extra = c.unitLoop.extra("unit", of: c.seconds)
            list.append(drain)
            list.append(Figure(scenario: "catchup", name: "drain rate", value: Double(c.backlog) / c.seconds, unit: "msg/s",
                               how: "county outbox → unit, each batch committed at both"))
            list.append(Figure(scenario: "catchup", name: "county + unit CPU per drained message", value: c.cpuMicros, unit: "µs",
                               how: "user + system time of both during the drain (county \(Report.format(c.countyMicros)) / unit "
                                   + "\(Report.format(c.unitMicros)) µs); written to disk \(Report.format(c.bytesPerMessage / 1024)) KB a message "
                                   + "(county \(Report.format(c.countyBytes / 1024)) / unit \(Report.format(c.unitBytes / 1024)))"))
            list.append(Figure(scenario: "catchup", name: "peak memory during the drain: county / unit",
                               value: Double(c.countyPeak) / mb, unit: "MB / \(Report.format(Double(c.unitPeak) / mb)) MB",
                               how: "VmRSS sampled every 20 ms"))
            list.append(Figure(scenario: "catchup", name: "relay hop while filling (city → county outbox)", value: c.fillRate,
                               unit: "msg/s", how: "county stores its copy and queues for the unit, then acks"))
        }
        let flows = FlowScenarios(settings: settings)
        attempt("latency", chosen) { list += try flows.latency() }
        if chosen.contains("lifecycle") || chosen.contains("memory") {
            attempt("lifecycle", ["lifecycle"]) {
                let figures = try flows.lifecycle()
                list += figures.filter { chosen.contains($0.scenario) }
            }
        }
        attempt("scale", chosen) { list += try ScaleScenario(settings: settings).run() }
        attempt("codec", chosen) { list += try CodecScenario.run(quick: settings.quick) }
        attempt("kb", chosen) {
            let result = try KnowledgeBenchmark.run(directory: settings.dir.appendingPathComponent("kb"),
                                                    count: settings.quick ? 5_000 : 50_000, repeats: settings.quick ? 21 : 101)
            for q in result.queries {
                list.append(Figure(scenario: "kb", name: "search \(q.query) (\(q.hits) hits)", value: q.medianMs, unit: "ms",
                                   how: "median; p99 \(Report.format(q.p99Ms)) ms over \(result.entries) entries"))
            }
        }
        return self
    }

    /// Scenario 1, the peer broker and the limits. Chosen together (a full run), the hop, the broker and the
    /// storage-off limit are set up at once and take their batches in turn, the order turning each round, and the
    /// hop's ratios are the medians of each round's ratios: the three are measured over the same minutes, so a
    /// slower or faster phase of the machine moves all three. Chosen alone, each runs its batches in a row.
    private func transfers(_ chosen: [String], _ transport: TransportScenarios) {
        let runs = "median of \(transport.runs) run\(transport.runs == 1 ? "" : "s") × \(transport.count) messages"
        var hop: TransportScenarios.Lane?, peer: PeerBenchmark.Lane?, off: TransportScenarios.Lane?
        defer { hop?.close(); peer?.close(); off?.close() }
        attempt("hop", chosen, done: "set up") { hop = try transport.openHop() }
        attempt("peer", chosen, done: "set up") {
            let payload = try Payload.assignments(count: 1, lead: "b-direct", area: TransportScenarios.water, topic: "供水")[0].body
            peer = try PeerBenchmark.Lane(messages: transport.count, payload: payload, window: 256, log: Bench.progress)
        }
        var fsync: Figure?
        attempt("limits", chosen) {
            let disk = try DiskLimits.fsyncsPerSecond(directory: settings.dir, seconds: settings.quick ? 0.5 : 3)
            fsync = Figure(scenario: "limits", name: "fsyncs per second of the disk", value: disk.perSecond, unit: "/s",
                           how: "4 KB write + fsync, same offset; median \(Report.format(disk.medianMicros)) µs each")
        }
        attempt("limits", chosen, done: "set up") { off = try transport.openStorageOff() }
        // Each round a batch of each, in an order that turns: no lane always follows the same one. A lane whose batch
        // fails is reported and left out from then on (closed with the others at the end).
        let lanes: [(name: String, lane: BenchLane?)] = [("hop", hop), ("peer", peer), ("limits", off)]
        var failed: Set<String> = []
        for round in 0..<transport.runs {
            for k in lanes.indices {
                let (name, lane) = lanes[(round + k) % lanes.count]
                guard let lane, !failed.contains(name) else { continue }
                do {
                    let rate = try lane.batch()
                    if name != "peer" { Bench.progress("\(name) run \(round + 1): \(Int(rate.rounded())) msg/s") }
                } catch {
                    failures.append(name)
                    failed.insert(name)
                    Bench.progress("scenario \(name) FAILED in batch \(round + 1): \(error)")
                }
            }
        }
        let opened = lanes.filter { $0.lane != nil }.count
        if failed.contains("hop") { hop?.close(); hop = nil }
        if failed.contains("peer") { peer?.close(); peer = nil }
        if failed.contains("limits") { off?.close(); off = nil }
        let turns = opened < 2 ? "" : "; batches taken in turn with the " + [peer != nil ? "peer's" : nil, off != nil ? "limit's" : nil]
            .compactMap { $0 }.joined(separator: " and the ")
        var hopRate: Double?, peerRate: Double?, offRate: Double?
        if let hop {
            hopRate = Stats.median(hop.rates)
            let cpu = hop.unitMicros ?? 0, threads = hop.unitThreadMicros
            let loop = (try? hop.unitLoop()) ?? nil
            var figure = Figure(scenario: "hop", name: "one durable hop (\((try? transport.messageBytes) ?? 0) B ticket.assign)", value: hopRate!,
                                unit: "msg/s", how: runs + turns + "; the unit's CPU \(Report.format(cpu)) µs a message"
                                    + (threads.map { " (work loop \(Report.format($0.loop)), link \(Report.format($0.link)))" } ?? "")
                                    + (loop.map { "; its work loop " + $0.0.shares(of: $0.seconds) } ?? ""))
            figure.extra["unit_cpu_us_per_msg"] = cpu
            if let threads {
                figure.extra["unit_loop_cpu_us_per_msg"] = threads.loop
                figure.extra["unit_link_cpu_us_per_msg"] = threads.link
            }
            if let (load, seconds) = loop { figure.extra.merge(load.extra("unit", of: seconds)) { $1 } }
            list.append(figure)
        }
        if let peer {
            let result = peer.result
            peerRate = result.deliveredPerSecond
            list.append(Figure(scenario: "peer", name: "\(result.broker): publish → consumer ack", value: result.deliveredPerSecond,
                               unit: "msg/s", how: runs + "; " + result.durability))
            list.append(Figure(scenario: "peer", name: "\(result.broker): publisher confirms", value: result.publishConfirmedPerSecond,
                               unit: "msg/s", how: runs))
        }
        if let fsync { list.append(fsync) }
        if let off {
            offRate = Stats.median(off.rates)
            var figure = Figure(scenario: "limits", name: "the hop with storage switched off", value: offRate!, unit: "msg/s",
                                how: runs + "; framing, JSON decoding and acks only"
                                    + (off.receiverMicros.map { "; the receiver's CPU \(Report.format($0)) µs a message" } ?? ""))
            if let cpu = off.receiverMicros { figure.extra["receiver_cpu_us_per_msg"] = cpu }
            list.append(figure)
        }
        guard let hopRate, let i = list.firstIndex(where: { $0.scenario == "hop" }) else { return }
        // Taken in turn, each ratio is the median of the rounds' ratios (batches of the same minutes), every
        // round's given too.
        func ratio(_ other: [Double], _ otherMedian: Double) -> (Double, String) {
            guard let hop, other.count == transport.runs, hop.rates.count == transport.runs else {
                return (hopRate / otherMedian, "ratio of the medians")
            }
            let rounds = zip(hop.rates, other).map { $0 / $1 }
            return (Stats.median(rounds), transport.runs == 1 ? "the round's ratio"
                        : "median of the \(transport.runs) rounds' ratios (\(rounds.map { String(format: "%.2f", $0) }.joined(separator: " / ")))")
        }
        if let peer, let peerRate {
            let (r, how) = ratio(peer.delivered, peerRate)
            list[i].ratios.append(("÷ peer", r))
            // Met exactly when the ratio is 2 or more.
            list[i].goal = .init(kind: .atLeast, bound: 2 * hopRate / r, text: "≥ 2× peer (\(how))")
        }
        if let off, let offRate {
            let (r, how) = ratio(off.rates, offRate)
            list[i].ratios.append(("÷ storage off", r))
            list.append(Figure(scenario: "hop", name: "the hop ÷ the hop with storage switched off", value: r, unit: "×",
                               how: how + ": what durability leaves of the same path",
                               goal: .init(kind: .atLeast, bound: 0.5, text: "≥ ½ storage off")))
        }
    }

    private func attempt(_ name: String, _ chosen: [String], done: String = "took", _ body: () throws -> Void) {
        guard chosen.contains(name) else { return }
        Bench.progress("scenario \(name)…")
        let t0 = Clock.now()
        do { try body() } catch {
            failures.append(name)
            Bench.progress("scenario \(name) FAILED: \(error)")
        }
        Bench.progress("scenario \(name) \(done) \(Report.format(Clock.now() - t0)) s")
    }
}
