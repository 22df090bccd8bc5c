import Foundation
import Testing

/// A city's node certificates are issued together and expire together; a node says so a month before, at start,
/// in `status` and once a day, so that the links do not all stop on the same morning unannounced.
struct CertificateExpiryProcessTests {
    @Test func aNodeWhoseCertificateEndsWithinAMonthWarnsAtStartAndInStatus() throws {
        let harness = try ProcessHarness(name: "cert-expiry")
        defer { harness.cleanup() }
        let port = ProcessHarness.freePortBase(count: 1)
        let topology = try harness.writeCityTopology(port: port)
        let pki = harness.dir.appendingPathComponent("pki").path
        try TestNetwork.makePKI(topology: topology, into: pki, ["--days", "10"])
        try harness.initNode("hotline-city", "t-city", topology: topology, ["--tls-dir", "\(pki)/t-city"])
        let city = try harness.serve("hotline-city", node: "t-city")
        defer { city.terminate(); city.waitUntilExit() }

        let logFile = harness.dir.appendingPathComponent("t-city.log")
        var warning = ""
        try ProcessHarness.eventually("a certificate-expiring line in the log") {
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            warning = log.split(separator: "\n").first { $0.contains("event=certificate-expiring") }.map(String.init) ?? ""
            return !warning.isEmpty
        }
        #expect(warning.contains("days_left=9") || warning.contains("days_left=10"), "\(warning)")
        #expect(warning.contains("node.crt") && warning.contains("--force --node t-city"), "\(warning)")

        let status = try ProcessHarness.run("hotline-city", ["status", "--data", harness.dataDir("t-city")])
        #expect(status.stdout.contains("days (") && status.stdout.contains("node.crt): RENEW IT"), "\(status.stdout)")
        let json = try ProcessHarness.run("hotline-city", ["status", "--data", harness.dataDir("t-city"), "--json"])
        let certificate = try #require(json.object["certificate"] as? [String: Any])
        #expect([9, 10].contains(certificate["daysLeft"] as? Int ?? -1))

        // For monitoring: the verdict in the exit status, what needs doing on stdout.
        let check = try ProcessHarness.run("hotline-city", ["status", "--check", "--data", harness.dataDir("t-city")])
        #expect(check.status == 1)
        #expect(check.stdout.hasPrefix("ATTENTION: ") && check.stdout.contains("- certificate expires on "), "\(check.stdout)")
    }
}
