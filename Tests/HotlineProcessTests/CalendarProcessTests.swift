import Foundation
import Testing

/// December at a running centre without next year's holiday notice: monitoring says so, the operator installs the
/// notice from a file of their own with the executable, and the centre uses it without a restart.
struct CalendarProcessTests {
    @Test func aRunningCentreAsksForNextYearsNoticeInDecemberAndTakesItWithoutARestart() throws {
        let harness = try ProcessHarness(name: "calendar")
        defer { harness.cleanup() }
        let topology = try harness.writeCityTopology(port: ProcessHarness.freePortBase(count: 1))
        let city = harness.dataDir("t-city")
        try harness.initNode("hotline-city", "t-city", topology: topology,
                             ["--insecure", "--clock", "manual", "--clock-start", "2026-12-28T09:00:00+08:00"])
        let centre = try harness.serve("hotline-city", node: "t-city")
        defer { centre.terminate(); centre.waitUntilExit() }

        let missing = try ProcessHarness.run("hotline-city", ["status", "--check", "--data", city])
        #expect(missing.status == 1 && missing.stdout.contains("- no working-day calendar for 2027"), "\(missing.stdout)\(missing.stderr)")

        // The operator's file, somewhere the daemon need not read: the command sends it.
        let notice = harness.dir.appendingPathComponent("notice-2027.json")
        try Data(CalendarNotice.test2027.utf8).write(to: notice)
        let install = try ProcessHarness.run("hotline-city", ["calendar", "--install", notice.path, "--data", city])
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        #expect(install.stdout.contains("rest days from now on: 2027-01-01 元旦"), "\(install.stdout)")
        #expect(FileManager.default.fileExists(atPath: harness.dir.appendingPathComponent("t-city/calendars/2027.json").path))

        let fine = try ProcessHarness.run("hotline-city", ["status", "--check", "--data", city])
        #expect(fine.status == 0, "\(fine.stdout)\(fine.stderr)")
        let unreadable = try ProcessHarness.run("hotline-city", ["calendar", "--check", harness.dir.appendingPathComponent("nope.json").path, "--data", city])
        #expect(unreadable.status == 1 && unreadable.stderr.contains("cannot read"), "\(unreadable.stderr)")
    }

    /// The centre's operator installs next year's notice once: it reaches every county station and unit over the links
    /// (`calendar.year`), which check it, keep it and count deadlines in it — none needs an operator of its own.
    @Test func theNoticeInstalledAtTheCentreReachesEveryNode() throws {
        let net = try TestNetwork(name: "calendar-sent", insecure: true)
        let notice = net.harness.dir.appendingPathComponent("notice-2027.json")
        try Data(CalendarNotice.test2027.utf8).write(to: notice)
        let install = try net.run("t-city", "calendar", "--install", notice.path)
        #expect(install.status == 0 && install.stdout.contains("sent to the 4 other nodes"), "\(install.stdout)\(install.stderr)")
        for (id, _) in TestNetwork.nodes where id != "t-city" {
            let file = net.harness.dataDir(id) + "/calendars/2027.json"
            try ProcessHarness.eventually("the notice at \(id)") { FileManager.default.contents(atPath: file) == Data(CalendarNotice.test2027.utf8) }
        }
        let shown = try net.ok("u-street", "calendar")
        let years = (shown["years"] as? [[String: Any]] ?? []).compactMap { $0["year"] as? Int }
        #expect(years.contains(2027), "\(shown)")
        let log = (try? String(contentsOf: net.harness.dir.appendingPathComponent("u-street.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("event=calendar-installed") && log.contains("from=t-city"))
    }
}

/// A notice made for the tests (not the State Council's).
enum CalendarNotice {
    static let test2027 = """
        {"year": 2027, "source": "测试用节假日安排（非官方）",
         "holidays": [{"name": "元旦", "dates": ["2027-01-01", "2027-01-02", "2027-01-03"]}],
         "workdays": ["2027-01-09"]}
        """
}
