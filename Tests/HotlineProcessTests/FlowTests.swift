import Foundation
import Testing

/// The whole flow of issue 4 across real processes: the city, a county station and units, over mutual TLS.
@Suite("Ticket flow across processes", .serialized)
struct FlowTests {
    @Test func complaintTravelsDownThroughTheCountyAndItsWholeStoryReachesTheCity() throws {
        let net = try TestNetwork(name: "flow")
        let id = try net.intake()
        #expect(id.hasPrefix("JN-20260302-"))
        #expect(try net.show("t-city", id)["status"] as? String == "received")

        try net.ok("t-city", "dispatch", id, "--to", "t-county")
        // The county sees the ticket in its inbox and forwards it to the street office.
        try net.waitStatus("t-county", id, "dispatched")
        let inbox = try ProcessHarness.run("hotline-county", ["inbox", "--json", "--data", net.harness.dataDir("t-county")])
        #expect(inbox.list.contains { $0["id"] as? String == id })
        try net.ok("t-county", "forward", id, "--to", "u-street")
        try net.waitStatus("u-street", id, "dispatched")

        try net.ok("u-street", "sign", id)
        try net.ok("u-street", "progress", id, "--text", "已联系施工方，约定整改")
        try net.ok("u-street", "reply", id, "--text", "已责令施工方停止夜间施工", "--contacted")
        try net.waitStatus("t-city", id, "replied")

        try net.ok("t-city", "review", id, "--pass")
        try net.ok("t-city", "callback", id, "--satisfaction", "satisfied")
        let final = try net.show("t-city", id)
        #expect(final["status"] as? String == "closed")
        let events = try #require(final["events"] as? [[String: Any]])
        let story = events.map { "\($0["type"] as? String ?? "?")@\($0["node"] as? String ?? "?")" }
        #expect(story == ["received@t-city", "dispatched@t-city", "forwarded@t-county", "signed@u-street",
                          "progress@u-street", "replied@u-street", "review-passed@t-city", "callback@t-city",
                          "closed@t-city"])
        #expect(events.allSatisfy { ($0["at"] as? String)?.hasSuffix("+08:00") == true })
        // The county saw the unit's events go by (it relays them and keeps its copy up to date).
        try net.waitEvent("t-county", id, "replied")
        // The closure travels down to the unit that handled it.
        try net.waitStatus("u-street", id, "closed")
    }

    @Test func dispatchWithoutDestinationRoutesByAreaAndTopic() throws {
        let net = try TestNetwork(name: "route")
        let street = try net.intake()
        let water = try net.intake(text: "整栋楼停水两天", area: "历下区/泉城路街道", topic: "供水")
        try net.ok("t-city", "dispatch", street)
        try net.ok("t-city", "dispatch", water)
        #expect(try net.show("t-city", street)["holder"] as? String == "u-street")
        #expect(try net.show("t-city", water)["holder"] as? String == "u-water")
        // The unit below the county receives its ticket through the county, which keeps a copy.
        try net.waitStatus("u-street", street, "dispatched")
        try net.waitStatus("t-county", street, "dispatched")
        try net.waitStatus("u-water", water, "dispatched")
    }

    @Test func refusedThenApprovedReturnAndApprovedExtensionComeBackDown() throws {
        let net = try TestNetwork(name: "decide")
        let id = try net.intake()
        try net.ok("t-city", "dispatch", id, "--to", "u-street2")
        try net.waitStatus("u-street2", id, "dispatched")
        try net.ok("u-street2", "sign", id)
        try net.ok("u-street2", "return", id, "--reason", "不属于本街道辖区", "--basis", "街道辖区划分")
        try net.waitEvent("t-city", id, "return-requested")
        try net.ok("t-city", "decide", id, "--return", "refuse", "--reason", "现场位于本街道")
        // The refusal reaches the unit, which keeps the ticket.
        try net.waitEvent("u-street2", id, "return-refused")
        #expect(try net.show("u-street2", id)["holder"] as? String == "u-street2")
        try net.ok("u-street2", "return", id, "--reason", "经核实属解放路街道", "--basis", "门牌号核实")
        try net.waitEvent("t-city", id, "return-requested")
        try net.ok("t-city", "decide", id, "--return", "approve")
        try net.waitEvent("u-street2", id, "return-approved")
        #expect(try net.show("t-city", id)["status"] as? String == "returned")

        try net.ok("t-city", "dispatch", id, "--to", "u-street")
        try net.waitStatus("u-street", id, "dispatched")
        try net.ok("u-street", "sign", id)
        let before = try net.show("t-city", id)["deadline"] as? String
        try net.ok("u-street", "extend", id, "--days", "5", "--reason", "需协调施工单位")
        try net.waitEvent("t-city", id, "extension-requested")
        try net.ok("t-city", "decide", id, "--extension", "approve")
        try net.waitEvent("u-street", id, "extension-approved")
        let after = try net.show("u-street", id)["deadline"] as? String
        #expect(before != nil && after != nil && after! > before!)
    }

    @Test func assistingUnitsResultReachesTheLeadUnit() throws {
        let net = try TestNetwork(name: "assist")
        let id = try net.intake()
        try net.ok("t-city", "dispatch", id, "--to", "u-street", "--assist", "u-water")
        try net.waitStatus("u-water", id, "dispatched")
        try net.waitStatus("u-street", id, "dispatched")
        try net.ok("u-water", "assist", id, "--text", "已排查管网，非供水原因")
        // u-water hangs off the city, u-street off the county: the report crosses the tree.
        try net.waitEvent("u-street", id, "assist-reported")
        try net.waitEvent("t-city", id, "assist-reported")
    }

    @Test func confidentialCallerDetailsNeverReachTheUnit() throws {
        let net = try TestNetwork(name: "privacy")
        let id = try net.intake(["--confidential"])
        try net.ok("t-city", "dispatch", id, "--to", "u-street")
        try net.waitStatus("u-street", id, "dispatched")
        let unitCopy = try net.run("u-street", "show", id, "--json")
        #expect(unitCopy.status == 0)
        #expect(!unitCopy.stdout.contains("13812345678"))
        #expect(!unitCopy.stdout.contains("张三"))
        let cityCopy = try net.run("t-city", "show", id, "--json")
        #expect(cityCopy.stdout.contains("13812345678"))
    }
}

/// Nodes stop and crash in the middle of the flow; nothing is lost or applied twice.
@Suite("Restarts in the middle of the flow", .serialized)
struct RestartTests {
    @Test func eachKindOfNodeRestartsMidFlowAndTheFlowCompletes() throws {
        let net = try TestNetwork(name: "restart")
        let id = try net.intake()

        // The unit is down when the city dispatches: the assignment waits at the county.
        net.stop("u-street")
        try net.ok("t-city", "dispatch", id, "--to", "u-street")
        try net.waitStatus("t-county", id, "dispatched")
        try net.start("u-street")
        try net.waitStatus("u-street", id, "dispatched")

        // The county is down when the unit signs: the sign-for waits in the unit's outbox.
        net.stop("t-county")
        try net.ok("u-street", "sign", id)
        try net.ok("u-street", "progress", id, "--text", "已到现场")
        try net.start("t-county")
        try net.waitEvent("t-city", id, "progress")

        // The city crashes (SIGKILL) and the unit replies meanwhile.
        net.stop("t-city", kill: true)
        try net.ok("u-street", "reply", id, "--text", "已处理完毕", "--contacted")
        try net.start("t-city")
        try net.waitStatus("t-city", id, "replied")

        // The county crashes right after forwarding the closure.
        try net.ok("t-city", "review", id, "--pass")
        try net.ok("t-city", "callback", id, "--satisfaction", "basically")
        net.stop("t-county", kill: true)
        try net.start("t-county")
        try net.waitStatus("u-street", id, "closed")

        // Each event exactly once at the city, in order.
        let types = net.eventTypes(at: "t-city", of: id)
        #expect(types == ["received", "dispatched", "signed", "progress", "replied", "review-passed", "callback", "closed"])
        let unitTypes = net.eventTypes(at: "u-street", of: id)
        #expect(Set(unitTypes).count == unitTypes.count)
    }
}

extension RestartTests {
    /// Issue 2: a stream of messages crosses two hops while the relaying county and the receiving unit are
    /// killed (SIGKILL) at random points; every message arrives exactly once and in order.
    @Test func streamSurvivesRandomKillsOfRelayAndReceiverExactlyOnceInOrder() throws {
        let net = try TestNetwork(name: "kills")
        var rng = SystemRandomNumberGenerator()
        let total = 40
        let killsAt = Set((0..<4).map { _ in Int.random(in: 5..<total, using: &rng) })
        var ids: [String] = []
        for i in 0..<total {
            let id = try net.intake(text: "噪声扰民第\(i)件")
            try net.ok("t-city", "dispatch", id, "--to", "u-street")
            ids.append(id)
            if killsAt.contains(i) {
                let victim = i % 2 == 0 ? "t-county" : "u-street"
                net.stop(victim, kill: true)
                try net.start(victim)
            }
        }
        for id in ids { try net.waitStatus("u-street", id, "dispatched") }
        // The unit signs everything; each sign-for reaches the city exactly once.
        for (i, id) in ids.enumerated() {
            try net.ok("u-street", "sign", id)
            if i == total / 2 {
                net.stop("t-county", kill: true)
                try net.start("t-county")
            }
        }
        for id in ids {
            try net.waitStatus("t-city", id, "signed")
            #expect(net.eventTypes(at: "t-city", of: id) == ["received", "dispatched", "signed"])
            let atUnit = try net.show("u-street", id)["events"] as? [[String: Any]] ?? []
            let unitIds = atUnit.compactMap { $0["id"] as? String }
            #expect(Set(unitIds).count == unitIds.count, "no event applied twice at the unit")
            #expect(atUnit.compactMap { $0["type"] as? String } == ["received", "dispatched", "signed"])
        }
    }
}

/// What operators get wrong, and what the tools say.
@Suite("Operator errors", .serialized)
struct OperatorErrorTests {
    @Test func badCommandsAreRefusedWithAHintAndChangeNothing() throws {
        let net = try TestNetwork(name: "errors")
        let id = try net.intake()
        let unknown = try net.run("t-city", "dispatchh", id)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("dispatch"))

        let badTier = try net.run("t-city", "callback", id, "--satisfaction", "happy")
        #expect(badTier.status != 0)
        let wrongRole = try net.run("u-street", "sign", "JN-20990101-000001")
        #expect(wrongRole.status != 0)
        #expect(!wrongRole.stderr.isEmpty)
        let missing = try net.run("t-city", "intake", "--channel", "phone")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("--kind"))
        // The ticket is untouched by the refused commands.
        #expect(net.eventTypes(at: "t-city", of: id) == ["received"])

        let noDaemon = try ProcessHarness.run("hotline-city", ["list", "--data", net.harness.dir.appendingPathComponent("nowhere").path])
        #expect(noDaemon.status != 0)
        #expect(!noDaemon.stderr.isEmpty)
    }
}
