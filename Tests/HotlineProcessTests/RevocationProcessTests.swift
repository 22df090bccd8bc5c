import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// deploy/pki/README.md, "If a node key leaks": the unit's certificate is revoked, the new list is copied to the
/// centre and the centre reloaded (SIGHUP): the unit's link is cut at once and its old certificate refused from then
/// on; the unit installs the certificate issued after the revocation, reloads, and its link comes back.
struct RevocationProcessTests {
    func linkUp(_ harness: ProcessHarness, _ node: String, _ tool: String, peer: String) throws -> Bool {
        let status = try ProcessHarness.run(tool, ["status", "--data", harness.dataDir(node), "--json"])
        let links = status.object["links"] as? [[String: Any]] ?? []
        return links.first { $0["peer"] as? String == peer }?["up"] as? Bool == true
    }

    func copy(_ files: [String], from source: String, to data: String) throws {
        for f in files {
            let target = data + "/tls/" + f
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(atPath: source + "/" + f, toPath: target)
        }
    }

    @Test func aRevokedUnitIsCutOffAtTheCentresReloadAndComesBackWithItsNewCertificate() throws {
        let harness = try ProcessHarness(name: "revocation")
        defer { harness.cleanup() }
        let port = ProcessHarness.freePortBase(count: 1)
        let topology = try harness.writeCityTopology(port: port)
        let pki = harness.dir.appendingPathComponent("pki").path
        try TestNetwork.makePKI(topology: topology, into: pki)
        for (tool, node) in [("hotline-city", "t-city"), ("hotline-unit", "u-water")] {
            try harness.initNode(tool, node, topology: topology, ["--tls-dir", "\(pki)/\(node)"])
        }
        let city = try harness.serve("hotline-city", node: "t-city")
        defer { city.terminate(); city.waitUntilExit() }
        let unit = try harness.serve("hotline-unit", node: "u-water")
        defer { unit.terminate(); unit.waitUntilExit() }
        try ProcessHarness.eventually("the unit's link up") { try linkUp(harness, "t-city", "hotline-city", peer: "u-water") }

        // The unit's key leaks: its certificate is revoked (and a new one issued); the centre gets the list.
        try TestNetwork.makePKI(topology: topology, into: pki, ["--revoke", "u-water"])
        try copy(["crl.pem"], from: "\(pki)/t-city", to: harness.dataDir("t-city"))
        kill(city.processIdentifier, SIGHUP)
        let cityLog = harness.dir.appendingPathComponent("t-city.log")
        try ProcessHarness.eventually("the centre's reload with the list") {
            ((try? String(contentsOf: cityLog, encoding: .utf8)) ?? "").contains("event=revocation-list-changed")
        }
        // The unit redials with the old certificate, and is refused each time.
        try ProcessHarness.eventually("a refusal of the revoked certificate") {
            ((try? String(contentsOf: cityLog, encoding: .utf8)) ?? "").contains("certificate revoked")
        }
        #expect(try !linkUp(harness, "t-city", "hotline-city", peer: "u-water"))
        // The centre's operators see which list it checks against.
        let status = try ProcessHarness.run("hotline-city", ["status", "--data", harness.dataDir("t-city"), "--json"])
        let list = try #require(status.object["revocationList"] as? [String: Any], "\(status.stdout)")
        #expect(list["lists"] as? Int == 1 && (list["file"] as? String)?.hasSuffix("/tls/crl.pem") == true)

        // The unit's operator installs the new certificate and key, with the list, and reloads.
        try copy(["node.crt", "node.key", "crl.pem"], from: "\(pki)/u-water", to: harness.dataDir("u-water"))
        kill(unit.processIdentifier, SIGHUP)
        try ProcessHarness.eventually("the unit's link up again") { try linkUp(harness, "t-city", "hotline-city", peer: "u-water") }
    }

    /// The list reaches every node over the links (`pki.crl`): the county station the revoked unit hangs under cuts
    /// it off without anyone copying the file there, and every node ends up checking against the centre's list.
    @Test func theCentresListReachesEveryNodeAndTheCountyStationCutsOffTheRevokedUnit() throws {
        let net = try TestNetwork(name: "crl-sent")
        let data = { (id: String) in net.harness.dataDir(id) + "/tls/crl.pem" }
        try ProcessHarness.eventually("the county's units connected") {
            try linkUp(net.harness, "t-county", "hotline-county", peer: "u-street")
                && linkUp(net.harness, "t-county", "hotline-county", peer: "u-street2")
                && linkUp(net.harness, "t-city", "hotline-city", peer: "t-county")
                && linkUp(net.harness, "t-city", "hotline-city", peer: "u-water")
        }
        #expect(!FileManager.default.fileExists(atPath: data("t-county")), "a network without a revocation has no list")

        // u-street's key leaks: only the centre is given the new list, and reloaded.
        let pki = net.harness.dir.appendingPathComponent("pki").path
        try TestNetwork.makePKI(topology: net.harness.dir.appendingPathComponent("topology.json"), into: pki, ["--revoke", "u-street"])
        try copy(["crl.pem"], from: "\(pki)/t-city", to: net.harness.dataDir("t-city"))
        kill(try #require(net.processes["t-city"]).processIdentifier, SIGHUP)

        let list = try Data(contentsOf: URL(fileURLWithPath: "\(pki)/crl.pem"))
        for node in ["t-county", "u-street2", "u-water"] {
            try ProcessHarness.eventually("the list installed at \(node)") {
                FileManager.default.contents(atPath: data(node)) == list
            }
        }
        let countyLog = net.harness.dir.appendingPathComponent("t-county.log")
        let logged = { ((try? String(contentsOf: countyLog, encoding: .utf8)) ?? "") }
        try ProcessHarness.eventually("the county's reload with the list") { logged().contains("event=revocation-list-changed") }
        #expect(logged().contains("event=revocation-list-installed"))
        // The revoked unit redials its county station with the old certificate and is refused there.
        try ProcessHarness.eventually("the county refuses the revoked certificate") { logged().contains("certificate revoked") }
        #expect(try !linkUp(net.harness, "t-county", "hotline-county", peer: "u-street"))
        try ProcessHarness.eventually("the other unit back") { try linkUp(net.harness, "t-county", "hotline-county", peer: "u-street2") }
        let status = try ProcessHarness.run("hotline-county", ["status", "--data", net.harness.dataDir("t-county"), "--json"])
        #expect((status.object["revocationList"] as? [String: Any])?["lists"] as? Int == 1, "\(status.stdout)")
        let cityLog = (try? String(contentsOf: net.harness.dir.appendingPathComponent("t-city.log"), encoding: .utf8)) ?? ""
        #expect(cityLog.contains("event=revocation-list-sent") && cityLog.contains("nodes=4"))

        // The list written again (its validity renewed) follows; then the centre is given the first one back by
        // mistake: every node refuses it, keeps the newer list and tells the centre why.
        sleep(1)  // a list's issue time is in whole seconds
        try TestNetwork.makePKI(topology: net.harness.dir.appendingPathComponent("topology.json"), into: pki, ["--crl"])
        try copy(["crl.pem"], from: "\(pki)/t-city", to: net.harness.dataDir("t-city"))
        kill(try #require(net.processes["t-city"]).processIdentifier, SIGHUP)
        let renewed = try Data(contentsOf: URL(fileURLWithPath: "\(pki)/crl.pem"))
        try ProcessHarness.eventually("the renewed list at the county") { FileManager.default.contents(atPath: data("t-county")) == renewed }
        try list.write(to: URL(fileURLWithPath: net.harness.dataDir("t-city") + "/tls/crl.pem"))
        kill(try #require(net.processes["t-city"]).processIdentifier, SIGHUP)
        try ProcessHarness.eventually("the centre told of the refusal") {
            let log = (try? String(contentsOf: net.harness.dir.appendingPathComponent("t-city.log"), encoding: .utf8)) ?? ""
            return log.contains("event=notice") && log.contains("older than the list in use")
        }
        #expect(FileManager.default.contents(atPath: data("t-county")) == renewed)
        #expect(FileManager.default.contents(atPath: data("u-water")) == renewed)
    }
}
