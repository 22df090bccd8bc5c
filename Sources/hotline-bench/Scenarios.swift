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
        let runs = "median of \(transport.runs) run\(transport.runs == 1 ? "" : "s") × \(transport.count) messages"
        var hopRate: Double?, peerRate: Double?, offRate: Double?
        attempt("hop", chosen) {
            let hop = try transport.hop()
            hopRate = Stats.median(hop.rates)
            var figure = Figure(scenario: "hop", name: "one durable hop (\(hop.bytes) B ticket.assign)", value: hopRate!,
                                unit: "msg/s", how: runs + "; the unit's CPU \(Report.format(hop.cpuMicros)) µs a message"
                                    + (hop.loop.map { "; its work loop " + $0.0.shares(of: $0.seconds) } ?? ""))
            figure.extra["unit_cpu_us_per_msg"] = hop.cpuMicros
            if let (load, seconds) = hop.loop { figure.extra.merge(load.extra("unit", of: seconds)) { $1 } }
            list.append(figure)
        }
        attempt("peer", chosen) {
            let payload = try Payload.assignments(count: 1, lead: "b-direct", area: TransportScenarios.water, topic: "供水")[0].body
            let peer = try PeerBenchmark.run(messages: transport.count, payload: payload, window: 256, runs: transport.runs,
                                             log: Bench.progress)
            peerRate = peer.deliveredPerSecond
            list.append(Figure(scenario: "peer", name: "\(peer.broker): publish → consumer ack", value: peer.deliveredPerSecond,
                               unit: "msg/s", how: runs + "; " + peer.durability))
            list.append(Figure(scenario: "peer", name: "\(peer.broker): publisher confirms", value: peer.publishConfirmedPerSecond,
                               unit: "msg/s", how: runs))
        }
        attempt("limits", chosen) {
            let fsync = try DiskLimits.fsyncsPerSecond(directory: settings.dir, seconds: settings.quick ? 0.5 : 3)
            list.append(Figure(scenario: "limits", name: "fsyncs per second of the disk", value: fsync.perSecond, unit: "/s",
                               how: "4 KB write + fsync, same offset; median \(Report.format(fsync.medianMicros)) µs each"))
            offRate = Stats.median(try transport.storageOff())
            list.append(Figure(scenario: "limits", name: "the hop with storage switched off", value: offRate!, unit: "msg/s",
                               how: runs + "; framing, JSON decoding and acks only"))
        }
        if let hopRate, let i = list.firstIndex(where: { $0.scenario == "hop" }) {
            if let peerRate {
                list[i].ratios.append(("÷ peer", hopRate / peerRate))
                list[i].goal = .init(kind: .atLeast, bound: 2 * peerRate, text: "≥ 2× peer (\(Report.format(2 * peerRate)))")
            }
            if let offRate {
                list[i].ratios.append(("÷ storage off", hopRate / offRate))
                if peerRate == nil { list[i].goal = .init(kind: .atLeast, bound: offRate / 2, text: "≥ ½ storage off") }
                else { list[i].how += "; goal also ≥ ½ storage off (\(Report.format(offRate / 2)))" }
            }
        }
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

    private func attempt(_ name: String, _ chosen: [String], _ body: () throws -> Void) {
        guard chosen.contains(name) else { return }
        Bench.progress("scenario \(name)…")
        let t0 = Clock.now()
        do { try body() } catch {
            failures.append(name)
            Bench.progress("scenario \(name) FAILED: \(error)")
        }
        Bench.progress("scenario \(name) took \(Report.format(Clock.now() - t0)) s")
    }
}
