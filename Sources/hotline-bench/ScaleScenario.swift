import Foundation
import HotlineCore
import HotlineNode

/// Scenario 6: a real city process on a database holding a year of tickets (1,000,000; 20,000 with --quick),
/// asked what its operators ask: one ticket (`show`), the overdue list (`list --overdue`), a month's figures, the
/// early-warning scan (`alerts`), the monthly bulletin (`report`) and a `backup`.
struct ScaleScenario {
    let settings: Bench.Settings

    func run() throws -> [Figure] {
        let count = settings.quick ? 20_000 : 1_000_000
        let net = try BenchNetwork(dir: settings.dir.appendingPathComponent("scale"), tls: settings.tls)
        defer { net.stopAll() }
        try net.initialize("b-city")
        let t0 = Clock.now()
        var lastReport = t0
        let ids = try RecordBenchmark.populate(dir: net.dataDir("b-city"), count: count,
                                               units: ["b-direct"] + BenchNetwork.units) { made in
            if Clock.now() - lastReport > 10 {
                lastReport = Clock.now()
                Bench.progress("scale: \(made) of \(count) tickets stored")
            }
        }
        let fill = Clock.now() - t0
        let size = (try? FileManager.default.attributesOfItem(atPath: net.dataDir("b-city").appendingPathComponent("node.db").path)[.size] as? Int) ?? 0
        let city = try net.start("b-city")

        func timed(_ repeats: Int, _ argv: (Int) -> [String]) throws -> [Double] {
            try (0..<repeats).map { i in
                let t = Clock.now()
                try net.ok("b-city", argv(i))
                return (Clock.now() - t) * 1000
            }
        }
        var rng = SystemRandomNumberGenerator()
        let picks = (0..<201).map { _ in ids[Int.random(in: 0..<ids.count, using: &rng)] }
        _ = try timed(5) { ["show", picks[$0]] }
        let show = try timed(201) { ["show", picks[$0]] }
        let overdueCount = ((try net.ok("b-city", ["list", "--overdue"])) as? [Any])?.count ?? 0
        let overdue = try timed(11) { _ in ["list", "--overdue"] }
        // What waits for the centre: the open tickets only, however many are finished.
        let inbox = try timed(11) { _ in ["inbox"] }
        let today = ChinaTime.date(of: Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000)))
        let monthStart = LocalDate(year: today.year, month: today.month, day: 1)!.adding(days: -1)
        let from = LocalDate(year: monthStart.year, month: monthStart.month, day: 1)!
        let month = ["figures", "--from", from.iso, "--to", monthStart.iso, "--by", "unit"]
        let figures = try timed(settings.quick ? 3 : 5) { _ in month }
        // `alerts` runs the early-warning scan (a month of tickets plus every open one) on the work loop, then lists;
        // one kind keeps the list short, so this is about what the scan costs. The minute's own scan does the same
        // beside the loop (`AlertScanner`), which then only stores the new warnings.
        _ = try timed(1) { _ in ["alerts", "--kind", "topic-spike"] }
        let scan = try timed(settings.quick ? 3 : 5) { _ in ["alerts", "--kind", "topic-spike"] }
        // The monthly bulletin reads two months of whole tickets, on a read-only connection of its own, and a backup
        // copies the whole database the same way: meanwhile `status` (answered by the work loop) is asked every
        // 100 ms, to show the loop is not held.
        let (bulletin, during) = try polling(net) {
            try timed(1) { _ in ["report", "--month", String(from.iso.prefix(7)), "--format", "csv"] }
        }
        let copy = settings.dir.appendingPathComponent("scale-backup")
        try? FileManager.default.removeItem(at: copy)
        let (backup, duringBackup) = try polling(net) { try timed(1) { _ in ["backup", "--out", copy.path] } }
        let copySize = (try? FileManager.default.attributesOfItem(atPath: copy.appendingPathComponent("node.db").path)[.size] as? Int) ?? 0
        try? FileManager.default.removeItem(at: copy)
        // A county station restored from a backup of the month's first day: the centre sends it the record of every
        // ticket of its county changed since (`resync`), a slice per round of the work loop, until `resync-done`.
        let (resync, duringResync) = try polling(net) { () throws -> (seconds: Double, tickets: String) in
            let t = Clock.now()
            try net.ok("b-city", ["resync", "--node", "b-east", "--since", from.iso])
            guard let done = city.waitFor(event: "resync-done", timeout: 900) else {
                throw BenchError.failed("the resync of b-east did not finish within 900 s")
            }
            return (done.at - t, done.fields["tickets"] ?? "?")
        }
        let records = "\(count) tickets (\(size / 1_048_576) MB, stored in \(Report.format(fill)) s)"
        return [
            Figure(scenario: "scale", name: "show one ticket", value: Stats.median(show), unit: "ms",
                   how: "median of 201 random tickets, p99 \(Report.format(Stats.percentile(show, 99))) ms; \(records); admin socket round trip",
                   goal: .init(kind: .atMost, bound: 2, text: "< 2 ms")),
            Figure(scenario: "scale", name: "list --overdue (\(overdueCount) tickets)", value: Stats.median(overdue), unit: "ms",
                   how: "median of 11"),
            Figure(scenario: "scale", name: "inbox (the open tickets waiting for the centre)", value: Stats.median(inbox), unit: "ms",
                   how: "median of 11, on the work loop"),
            Figure(scenario: "scale", name: "figures --by unit for \(from.iso.prefix(7))", value: Stats.median(figures) / 1000, unit: "s",
                   how: "median of \(figures.count)", goal: .init(kind: .atMost, bound: 2, text: "< 2 s")),
            Figure(scenario: "scale", name: "early-warning scan (alerts --kind topic-spike)", value: Stats.median(scan), unit: "ms",
                   how: "median of \(scan.count); the scan at once on the work loop, plus a short list (the minute's own scan runs beside the loop)"),
            Figure(scenario: "scale", name: "monthly bulletin for \(from.iso.prefix(7)) (report --format csv)", value: bulletin[0] / 1000,
                   unit: "s", how: "one run, off the work loop; `status` meanwhile: \(during.count) answers, "
                       + "median \(Report.format(Stats.median(during))) ms, slowest \(Report.format(during.max() ?? 0)) ms"),
            Figure(scenario: "scale", name: "backup of the whole city (backup --out)", value: backup[0] / 1000, unit: "s",
                   how: "one run: VACUUM INTO beside the work loop and quick_check of the \(copySize / 1_048_576) MB copy; "
                       + "`status` meanwhile: \(duringBackup.count) answers, median \(Report.format(Stats.median(duringBackup))) ms, "
                       + "slowest \(Report.format(duringBackup.max() ?? 0)) ms"),
            Figure(scenario: "scale", name: "resync of a county station restored from a backup of \(from.iso)", value: resync.seconds,
                   unit: "s", how: "\(resync.tickets) tickets of its county changed since, sent a slice per round of the work loop; "
                       + "`status` meanwhile: \(duringResync.count) answers, median \(Report.format(Stats.median(duringResync))) ms, "
                       + "slowest \(Report.format(duringResync.max() ?? 0)) ms"),
        ]
    }

    /// Runs `body` while another thread asks the city for `status` every 100 ms; returns its result and the
    /// status round trips (ms). The poller stops whether `body` succeeds or throws.
    private func polling<T>(_ net: BenchNetwork, _ body: () throws -> T) throws -> (T, [Double]) {
        let running = Box(true)
        let times = Box<[Double]>([])
        let poller = Thread { [net] in
            while running.with({ $0 }) {
                let t = Clock.now()
                if (try? net.ok("b-city", ["status"])) != nil { times.with { $0.append((Clock.now() - t) * 1000) } }
                usleep(100_000)
            }
        }
        poller.start()
        defer { running.with { $0 = false } }
        let result = try body()
        return (result, times.with { $0 })
    }
}
