import Foundation
import Testing

/// A city's network changes while it runs: a new agency joins. The operator checks the new file at the centre,
/// installs it, restarts the centre, and the new unit receives its first ticket; nothing else is set up again.
struct TopologyProcessTests {
    @Test func aUnitJoinsARunningNetworkThroughTopologyInstallAndARestartOfTheCentre() throws {
        let harness = try ProcessHarness(name: "topology")
        defer { harness.cleanup() }
        let port = ProcessHarness.freePortBase(count: 1)
        let before = try harness.writeCityTopology(port: port)
        let city = harness.dataDir("t-city")
        try harness.initNode("hotline-city", "t-city", topology: before, ["--insecure", "--retention-days", "90"])
        var centre = try harness.serve("hotline-city", node: "t-city")
        defer { centre.terminate(); centre.waitUntilExit() }

        let after = harness.dir.appendingPathComponent("topology-2026-04.json")
        try Data("""
        {"profile": "jinan-2018", "nodes": [
          {"id": "t-city", "kind": "city", "parent": null, "name": "测试市12345热线", "listen": "127.0.0.1:\(port)"},
          {"id": "u-water", "kind": "unit", "parent": "t-city", "name": "水务集团", "areas": ["*"], "topics": ["供水"]},
          {"id": "u-gas", "kind": "unit", "parent": "t-city", "name": "燃气集团", "areas": ["*"], "topics": ["燃气"]}
        ]}
        """.utf8).write(to: after)

        // The check: on stdout whatever the verdict, the verdict in the exit status; it writes nothing.
        let check = try ProcessHarness.run("hotline-city", ["topology", "--check", after.path, "--data", city])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("added    u-gas 燃气集团 (unit under t-city)") && check.stdout.contains("OK: "), "\(check.stdout)")
        let missing = try ProcessHarness.run("hotline-city", ["topology", "--check", harness.dir.appendingPathComponent("nope.json").path, "--data", city])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read"), "\(missing.stderr)")

        let install = try ProcessHarness.run("hotline-city", ["topology", "--install", after.path, "--data", city, "--json"])
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        #expect(install.object["installed"] as? Bool == true)
        let waiting = try ProcessHarness.run("hotline-city", ["status", "--check", "--data", city])
        #expect(waiting.status == 1 && waiting.stdout.contains("a new topology file is installed"), "\(waiting.stdout)")

        // The new unit, initialised from the same file.
        try harness.initNode("hotline-unit", "u-gas", topology: after, ["--insecure"])
        let gas = try harness.serve("hotline-unit", node: "u-gas")
        defer { gas.terminate(); gas.waitUntilExit() }

        centre.terminate()
        centre.waitUntilExit()
        centre = try harness.serve("hotline-city", node: "t-city")
        let shown = try ProcessHarness.run("hotline-city", ["topology", "--data", city])
        #expect(shown.stdout.contains("u-gas 燃气集团") && shown.stdout.contains("3 nodes") && !shown.stdout.contains("installed"),
                "\(shown.stdout)")
        // The rest of the node's configuration is as it was (`init --force` would have set it back to defaults).
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: city).appendingPathComponent("node.json"))) as? [String: Any])
        #expect(config["retentionDays"] as? Int == 90, "\(config)")

        let intake = try ProcessHarness.run("hotline-city", [
            "intake", "--data", city, "--channel", "phone", "--kind", "help", "--area", "历下区", "--topic", "燃气",
            "--text", "楼道有燃气味", "--caller-name", "李四", "--caller-phone", "13900000000", "--json",
        ])
        let id = try #require(intake.object["id"] as? String, "\(intake.stdout)\(intake.stderr)")
        let dispatch = try ProcessHarness.run("hotline-city", ["dispatch", id, "--data", city])
        #expect(dispatch.status == 0 && dispatch.stdout.contains("u-gas"), "\(dispatch.stdout)\(dispatch.stderr)")
        try ProcessHarness.eventually("the ticket at the new unit") {
            try ProcessHarness.run("hotline-unit", ["inbox", "--data", harness.dataDir("u-gas")]).stdout.contains(id)
        }
    }
}
