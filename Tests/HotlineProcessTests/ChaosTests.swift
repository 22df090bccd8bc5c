import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 6, point 1: tickets driven through their whole lifecycle by the operator commands while nodes are killed
/// with SIGKILL and restarted and links are cut and restored at random moments; then the invariants. The seed and
/// the history of faults are printed so a failure can be replayed:
/// `HOTLINE_CHAOS_SEED=… HOTLINE_CHAOS_TICKETS=… swift test --filter ChaosTests` (deploy/chaos/run.sh for long runs).
@Suite("Chaos: kills and cut links", .serialized)
struct ChaosTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The faults, run on their own thread until told to stop.
    final class Chaos: @unchecked Sendable {
        let net: TestNetwork
        // `lock` guards `history`, `running`, `kills`, `cuts`.
        private let lock = NSLock()
        private var history: [String] = []
        private var running = true
        private(set) var kills = 0
        private(set) var cuts = 0
        private var rng: SplitMix
        private let started = Date()
        let done = DispatchSemaphore(value: 0)

        init(net: TestNetwork, seed: UInt64) {
            self.net = net
            rng = SplitMix(state: seed)
        }

        func note(_ s: String) {
            lock.withLock { history.append(String(format: "%7.2fs ", Date().timeIntervalSince(started)) + s) }
        }
        var log: [String] { lock.withLock { history } }
        var counts: (kills: Int, cuts: Int) { lock.withLock { (kills, cuts) } }
        func stop() {
            lock.withLock { running = false }
            done.wait()
        }

        func run() {
            let nodes = TestNetwork.nodes.map(\.id)
            let links = net.proxies.keys.sorted()
            while lock.withLock({ running }) {
                usleep(UInt32(Int.random(in: 300_000...1_500_000, using: &rng)))
                guard lock.withLock({ running }) else { break }
                if Bool.random(using: &rng) {
                    let node = nodes.randomElement(using: &rng)!
                    note("kill -9 \(node)")
                    net.stop(node, kill: true)
                    lock.withLock { kills += 1 }
                    usleep(UInt32(Int.random(in: 100_000...800_000, using: &rng)))
                    do { try net.start(node); note("restart \(node)") } catch { note("restart \(node) failed: \(error)") }
                } else {
                    let child = links.randomElement(using: &rng)!
                    note("cut link \(child)↑")
                    net.proxies[child]?.cut()
                    lock.withLock { cuts += 1 }
                    usleep(UInt32(Int.random(in: 200_000...1_500_000, using: &rng)))
                    net.proxies[child]?.restore()
                    note("restore link \(child)↑")
                }
            }
            done.signal()
        }
    }

    /// Runs a step until `isDone` holds: checks first (a command whose answer was lost to a kill may have run),
    /// then acts; a node that is down or has not yet received the ticket is simply tried again.
    func step(_ what: String, timeout: TimeInterval = 90, isDone: () -> Bool, act: () throws -> Void) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if isDone() { return }
            try? act()
            if isDone() { return }
            usleep(150_000)
        }
        throw HarnessError.timedOut(what)
    }

    func statusAt(_ net: TestNetwork, _ node: String, _ id: String) -> String? { net.status(at: node, of: id) }

    @Test func ticketsCompleteExactlyOnceThroughKillsAndCutLinks() throws {
        let env = ProcessInfo.processInfo.environment
        let seed = env["HOTLINE_CHAOS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let count = env["HOTLINE_CHAOS_TICKETS"].flatMap(Int.init) ?? 24
        print("chaos: seed \(seed), \(count) tickets — replay with HOTLINE_CHAOS_SEED=\(seed) HOTLINE_CHAOS_TICKETS=\(count)")
        let net = try TestNetwork(name: "chaos", proxies: true)
        var plan = SplitMix(state: seed ^ 0xA5A5)
        let chaos = Chaos(net: net, seed: seed)
        Thread.detachNewThread { chaos.run() }
        var stopped = false
        defer { if !stopped { chaos.stop() } }

        // Intake: the topic carries a marker, so an intake whose answer was lost is found instead of repeated.
        var ids: [String] = []
        for i in 0..<count {
            let marker = "chaos-\(seed)-\(i)"
            var id: String?
            try step("intake \(i)") {
                id != nil
            } act: {
                let found = try net.run("t-city", "list", "--json", "--limit", "100000").list
                    .first { $0["topic"] as? String == marker }?["id"] as? String
                id = try found ?? net.intake(text: "夜间施工噪音扰民", area: "历下区/解放路街道", topic: marker)
            }
            ids.append(id!)
        }
        // Dispatch: half straight to the water company, half through the county station to a street office.
        var route: [String: (lead: String, unit: String)] = [:]
        for id in ids {
            let viaCounty = Bool.random(using: &plan)
            let unit = viaCounty ? (Bool.random(using: &plan) ? "u-street" : "u-street2") : "u-water"
            route[id] = (viaCounty ? "t-county" : "u-water", unit)
            try step("dispatch \(id)") { (statusAt(net, "t-city", id) ?? "received") != "received" } act: {
                _ = try net.run("t-city", "dispatch", id, "--to", route[id]!.lead)
            }
        }
        for id in ids where route[id]!.lead == "t-county" {
            try step("forward \(id)") { net.eventTypes(at: "t-county", of: id).contains("forwarded") } act: {
                _ = try net.run("t-county", "forward", id, "--to", route[id]!.unit)
            }
        }
        for id in ids {
            let unit = route[id]!.unit
            try step("sign \(id) at \(unit)") { net.eventTypes(at: unit, of: id).contains("signed") } act: {
                _ = try net.run(unit, "sign", id)
            }
        }
        for id in ids {
            let unit = route[id]!.unit
            try step("reply \(id) at \(unit)") { net.eventTypes(at: unit, of: id).contains("replied") } act: {
                _ = try net.run(unit, "reply", id, "--text", "已处理完毕", "--contacted")
            }
        }
        for id in ids {
            try step("review \(id)") { net.eventTypes(at: "t-city", of: id).contains("review-passed") } act: {
                _ = try net.run("t-city", "review", id, "--pass")
            }
            try step("callback \(id)") { statusAt(net, "t-city", id) == "closed" } act: {
                _ = try net.run("t-city", "callback", id, "--satisfaction", "satisfied", "--resolved", "yes")
            }
        }
        chaos.stop()
        stopped = true
        let (kills, cuts) = chaos.counts
        print("chaos: \(kills) kills, \(cuts) link cuts during \(count) tickets; history:\n  " + chaos.log.joined(separator: "\n  "))

        // Everything up and every link connected, then every outbox must drain.
        for (node, _) in TestNetwork.nodes where net.processes[node] == nil { try net.start(node) }
        for p in net.proxies.values { p.restore() }
        try ProcessHarness.eventually("every outbox to be empty", timeout: 120) {
            try TestNetwork.nodes.allSatisfy { node, _ in
                let links = try net.ok(node, "status")["links"] as? [[String: Any]] ?? []
                return links.allSatisfy { ($0["pending"] as? Int) == 0 && ($0["up"] as? Bool) == true }
            }
        }

        // The city's history of every ticket: complete, in causal order, no duplicate.
        var counted: [String: Int] = [:]
        for id in ids {
            let unit = route[id]!.unit
            let city = try net.show("t-city", id)
            let events = try #require(city["events"] as? [[String: Any]])
            let types = events.compactMap { $0["type"] as? String }
            let expected = ["received", "dispatched"] + (route[id]!.lead == "t-county" ? ["forwarded"] : [])
                + ["signed", "replied", "review-passed", "callback", "closed"]
            #expect(types == expected, "\(id) at the city: \(types) (seed \(seed))")
            let eventIds = events.compactMap { $0["id"] as? String }
            #expect(Set(eventIds).count == eventIds.count, "duplicate events of \(id) at the city (seed \(seed))")
            for t in types { counted[t, default: 0] += 1 }
            // The unit received the ticket once: its copy holds each event once, in the city's order, and is closed.
            try ProcessHarness.eventually("\(id) closed at \(unit)") { statusAt(net, unit, id) == "closed" }
            let copy = try #require(try net.show(unit, id)["events"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(Set(copy).count == copy.count, "duplicate events of \(id) at \(unit) (seed \(seed))")
            #expect(copy.filter(eventIds.contains) == copy, "\(unit) has events of \(id) the city does not (seed \(seed))")
            #expect(eventIds.filter(copy.contains) == copy, "\(unit) has the events of \(id) in another order (seed \(seed))")
        }
        // The figures equal their recomputation from the events.
        let figures = try #require(try net.run("t-city", "figures", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "all", "--json").list.first)
        #expect(figures["received"] as? Int == counted["received"] && figures["closed"] as? Int == counted["closed"])
        // For the whole city a county station's forward stays inside: one dispatch per ticket.
        #expect(figures["dispatched"] as? Int == counted["dispatched"])
        #expect(figures["replied"] as? Int == counted["replied"] && figures["signed"] as? Int == counted["signed"])
        #expect(figures["evaluated"] as? Int == counted["callback"] && figures["satisfied"] as? Int == counted["callback"])
    }
}
