import Foundation
import Testing

/// Issue 7 across real processes: the county's forward counts as its response, and the operator's own
/// `hotline-city` process writes the bulletin to the file it names.
@Suite("Reports across processes", .serialized)
struct ReportProcessTests {
    @Test func countyResponseCountsItsForwardAndTheBulletinIsWrittenWhereTheOperatorSays() throws {
        let net = try TestNetwork(name: "report")
        let id = try net.intake()
        try net.ok("t-city", "dispatch", id, "--to", "t-county")
        try net.waitStatus("t-county", id, "dispatched")
        try net.ok("t-county", "forward", id, "--to", "u-street")
        try net.waitStatus("u-street", id, "dispatched")
        try net.ok("u-street", "sign", id)
        try net.waitEvent("t-city", id, "signed")

        let figures = try net.run("t-city", "figures", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "unit", "--json")
        try ProcessHarness.expectOK(figures, "figures")
        let county = try #require(figures.list.first { $0["group"] as? String == "t-county" })
        #expect(county["dispatched"] as? Int == 1 && county["responded"] as? Int == 1 && county["responseRate"] as? Double == 1.0)

        let out = net.harness.dir.appendingPathComponent("月通报-2026-03.html")
        let report = try net.run("t-city", "report", "--month", "2026-03", "--out", out.path)
        try ProcessHarness.expectOK(report, "report")
        #expect(report.stdout.contains("wrote \(out.path)"))
        let html = try String(contentsOf: out, encoding: .utf8)
        #expect(html.contains("工作通报") && html.contains(id) && html.hasSuffix("</html>\n"))

        let csvFile = net.harness.dir.appendingPathComponent("bulletin.csv")
        try ProcessHarness.expectOK(try net.run("t-city", "report", "--month", "2026-03", "--out", csvFile.path), "csv report")
        let csv = try Data(contentsOf: csvFile)
        #expect(Array(csv.prefix(3)) == [0xEF, 0xBB, 0xBF], "a UTF-8 byte-order mark for Excel")

        // A folder that does not exist: a clear error, no file, and the daemon is unaffected.
        let bad = try net.run("t-city", "report", "--month", "2026-03", "--out", "/nonexistent-dir/x.html")
        #expect(bad.status == 1 && bad.stderr.contains("cannot write /nonexistent-dir/x.html"), "\(bad.stderr)")
        #expect(try net.show("t-city", id)["status"] as? String == "signed")
        let alerts = try net.run("t-city", "alerts", "--json")
        try ProcessHarness.expectOK(alerts, "alerts")
    }
}
