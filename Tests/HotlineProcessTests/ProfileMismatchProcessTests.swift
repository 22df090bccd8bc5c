import Foundation
import Testing

/// A unit initialised with another regulation's profile than its centre (`init --profile`): the two find out at their
/// hello, both log `profile-mismatch` and `status --check` says it at both ends; the link stays up.
struct ProfileMismatchProcessTests {
    @Test func aUnitDecidingByAnotherProfileIsReportedAtBothEndsOfItsLink() throws {
        let harness = try ProcessHarness(name: "profile")
        defer { harness.cleanup() }
        let topology = try harness.writeCityTopology(port: ProcessHarness.freePortBase(count: 1))
        try harness.initNode("hotline-city", "t-city", topology: topology, ["--insecure"])
        try harness.initNode("hotline-unit", "u-water", topology: topology, ["--insecure", "--profile", "tonghua-2021"])
        let city = try harness.serve("hotline-city", node: "t-city")
        defer { city.terminate(); city.waitUntilExit() }
        let unit = try harness.serve("hotline-unit", node: "u-water")
        defer { unit.terminate(); unit.waitUntilExit() }

        let cityLog = harness.dir.appendingPathComponent("t-city.log")
        try ProcessHarness.eventually("the centre's profile-mismatch") {
            ((try? String(contentsOf: cityLog, encoding: .utf8)) ?? "").contains("event=profile-mismatch peer=u-water theirs=tonghua-2021@")
        }
        let atCentre = try ProcessHarness.run("hotline-city", ["status", "--check", "--data", harness.dataDir("t-city")])
        #expect(atCentre.status == 1, "\(atCentre.stdout)")
        #expect(atCentre.stdout.contains("- u-water decides by another profile (tonghua-2021@"), "\(atCentre.stdout)")
        let atUnit = try ProcessHarness.run("hotline-unit", ["status", "--check", "--data", harness.dataDir("u-water")])
        #expect(atUnit.status == 1 && atUnit.stdout.contains("- t-city decides by another profile (jinan-2018@"), "\(atUnit.stdout)")

        let json = try ProcessHarness.run("hotline-city", ["status", "--json", "--data", harness.dataDir("t-city")])
        let link = (json.object["links"] as? [[String: Any]])?.first { $0["peer"] as? String == "u-water" }
        #expect(link?["up"] as? Bool == true, "the link stays up")
        #expect((link?["otherProfile"] as? String)?.hasPrefix("tonghua-2021@") == true)
    }
}
