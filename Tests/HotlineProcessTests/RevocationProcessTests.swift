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
}
