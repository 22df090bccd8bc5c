import Foundation
import Testing
import HotlineCore
@testable import HotlineNode

/// `calendar`: next year's holiday notice is asked for from December, checked, and installed into a running node,
/// which counts the deadlines it gives from then on in it; the deadlines given before keep their value.
struct CalendarCommandTests {
    /// A notice made for these tests (not the State Council's): 1 January 2027, a Friday, a holiday; Saturday
    /// 9 January a make-up working day.
    static let testNotice2027 = """
        {"year": 2027, "source": "测试用节假日安排（非官方）",
         "holidays": [{"name": "元旦", "dates": ["2027-01-01", "2027-01-02", "2027-01-03"]}],
         "workdays": ["2027-01-09"]}
        """

    func ask(_ daemon: NodeDaemon, _ argv: [String], file: String? = nil) throws -> AdminResponse {
        try TopologyCommandTests().ask(daemon, argv, file: file)
    }

    func json(_ response: AdminResponse) throws -> [String: Any] {
        let bytes = try #require(response.json)
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    func dispatched(_ city: NodeFixture, _ id: String) throws -> Ticket {
        let ticket = try city.intake(id)
        return try city.perform(.dispatch(lead: "w", assisting: [], tier: nil), on: ticket.id)
    }

    @Test func inDecemberANodeWithoutNextYearsNoticeSaysSoAndTheInstalledNoticeCountsTheNextDeadlines() throws {
        let city = try NodeFixture(id: "c", role: .city)
        try city.context.clock.set(Timestamp(iso8601: "2026-12-28T09:00:00+08:00")!)  // a Monday
        let daemon = try NodeDaemon(context: city.context)

        let missing = try ask(daemon, ["status", "--check"])
        #expect(missing.exitCode == 1)
        #expect(missing.text.contains("- no working-day calendar for 2027: deadlines in 2027 count only weekends as rest days"), "\(missing.text)")
        #expect(city.log.contains { $0.contains("event=calendar-missing") && $0.contains("year=2027") }, "\(city.log)")

        // Five working days from Monday 28 December, weekends only: 29, 30, 31 December, 1 and 4 January.
        let before = try dispatched(city, "JN-20261228-000001")
        #expect(before.deadlines.handleBy == Timestamp(iso8601: "2027-01-05T00:00:00+08:00"))
        let listed = try json(ask(daemon, ["status", "--json"]))
        let calendar = try #require(listed["calendar"] as? [String: Any])
        #expect((calendar["missing"] as? [[String: Any]])?.first?["openTickets"] as? Int == 1)
        #expect(try ask(daemon, ["calendar"]).text.contains("MISSING: no working-day calendar for 2027"))

        let check = try ask(daemon, ["calendar", "--check", "/etc/hotline/2027.json"], file: Self.testNotice2027)
        #expect(check.exitCode == 0, "\(check.text)")
        #expect(check.text.contains("2027 is not in this node's calendar yet"), "\(check.text)")
        #expect(check.text.contains("rest days from now on: 2027-01-01 元旦"), "\(check.text)")
        #expect(check.text.contains("working days from now on: 2027-01-09"), "\(check.text)")
        #expect(check.text.contains("1 open ticket(s) have a deadline on or after the first day that changes (JN-20261228-000001)"), "\(check.text)")
        #expect(!FileManager.default.fileExists(atPath: city.context.dir.appendingPathComponent("calendars/2027.json").path),
                "a check writes nothing")

        let install = try ask(daemon, ["calendar", "--install", "/etc/hotline/2027.json", "--json"], file: Self.testNotice2027)
        #expect(install.exitCode == 0)
        #expect(try json(install)["installed"] as? Bool == true)
        #expect(try Data(contentsOf: city.context.dir.appendingPathComponent("calendars/2027.json")) == Data(Self.testNotice2027.utf8))
        #expect(city.log.contains { $0.contains("event=calendar-installed") && $0.contains("year=2027") })
        let audit = try city.context.db.query("SELECT fields FROM audit WHERE command = 'calendar'")
        #expect(audit.first?.string(0) == "installed:2027:/etc/hotline/2027.json")

        // At once, without a restart: the next deadline skips the holiday; the one given before stays as it was.
        let after = try dispatched(city, "JN-20261228-000002")
        #expect(after.deadlines.handleBy == Timestamp(iso8601: "2027-01-06T00:00:00+08:00"))
        #expect(try city.ticket(before.id).deadlines.handleBy == before.deadlines.handleBy)
        let fine = try ask(daemon, ["status", "--check"])
        #expect(fine.exitCode == 0, "\(fine.text)")

        // And the next start reads it from calendars/.
        let restarted = try NodeContext(dir: city.context.dir, log: Log(node: "c", sink: { _ in }))
        #expect(restarted.deadlines.calendar.covers(year: 2027))
    }

    @Test func aFaultyNoticeIsRefusedWithWhatIsWrongAndNothingIsWritten() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let daemon = try NodeDaemon(context: city.context)
        let folder = city.context.dir.appendingPathComponent("calendars")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()

        let weekday = Self.testNotice2027.replacingOccurrences(of: "2027-01-09", with: "2027-01-08")  // a Friday
        let refused = try ask(daemon, ["calendar", "--install", "/etc/hotline/2027.json"], file: weekday)
        #expect(refused.exitCode != 0)
        #expect(refused.text.contains("/etc/hotline/2027.json: calendar 2027: make-up working day 2027-01-08 is not a Saturday or Sunday")
                && refused.text.contains("nothing was installed"), "\(refused.text)")

        let garbled = try ask(daemon, ["calendar", "--check", "/etc/hotline/2027.json"], file: "{\"year\": 2027, \"holidays\": []}")
        #expect(garbled.exitCode != 0)
        #expect(garbled.text.contains("the file is not a valid year file") && garbled.text.contains("missing field \"source\""), "\(garbled.text)")

        // A year no notice names, however large, is refused (year 9223372036854775807 overflowed the day count and
        // stopped the node).
        for year in ["0", "99999999", "9223372036854775807"] {
            let odd = try ask(daemon, ["calendar", "--check", "/tmp/odd.json"],
                              file: "{\"year\": \(year), \"source\": \"t\", \"holidays\": [], \"workdays\": []}")
            #expect(odd.exitCode != 0 && odd.text.contains("calendar year \(year) is not the year of a holiday notice (2000 to 2100)"), "\(odd.text)")
        }

        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == files)
        #expect(!city.context.deadlines.calendar.covers(year: 2027))
        #expect(try city.context.db.query("SELECT count(*) FROM audit WHERE command = 'calendar'").first?.int(0) == 0)
    }

    @Test func aCorrectedNoticeForAYearInUseListsTheDaysThatChangeAndKeepsTheOneBefore() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let daemon = try NodeDaemon(context: city.context)
        let target = city.context.dir.appendingPathComponent("calendars/2026.json")
        let bundled = try Data(contentsOf: target)
        var year = try JSONDecoder().decode(CalendarYear.self, from: bundled)
        year.holidays.append(Holiday(name: "测试休息日", dates: [LocalDate(iso: "2026-03-05")!]))  // a Thursday
        let corrected = String(decoding: try JSONEncoder().encode(year), as: UTF8.self)
        _ = try dispatched(city, "JN-20260302-000001")  // 5 working days from Monday 2 March: due by the 9th

        let check = try ask(daemon, ["calendar", "--check", "/tmp/2026.json"], file: corrected)
        #expect(check.text.contains("replaces the 2026 in use (国务院办公厅关于2026年部分节假日安排的通知)"), "\(check.text)")
        #expect(check.text.contains("rest days from now on: 2026-03-05 测试休息日") && !check.text.contains("working days from now on"), "\(check.text)")
        #expect(check.text.contains("1 open ticket(s) have a deadline on or after the first day that changes"), "\(check.text)")

        #expect(try ask(daemon, ["calendar", "--install", "/tmp/2026.json"], file: corrected).exitCode == 0)
        #expect(try Data(contentsOf: city.context.dir.appendingPathComponent("calendars/2026.json.previous")) == bundled)
        #expect(!city.context.deadlines.calendar.isWorkingDay(LocalDate(iso: "2026-03-05")!))
        let again = try ask(daemon, ["calendar", "--install", "/tmp/2026.json"], file: corrected)
        #expect(again.text.contains("the same as the 2026 in use: nothing changes") && again.text.contains("nothing to install"), "\(again.text)")
        #expect(try ask(daemon, ["calendar"]).text.contains("测试休息日 03-05"))
    }

    @Test func theNextYearIsAskedForFromDecemberOnly() {
        let calendar = WorkingCalendar(years: [CalendarYear(year: 2026, source: "s", holidays: [], workdays: [])])
        #expect(CalendarWatch.missing(calendar, today: LocalDate(iso: "2026-11-30")!) == [])
        #expect(CalendarWatch.missing(calendar, today: LocalDate(iso: "2026-12-01")!) == [2027])
        #expect(CalendarWatch.missing(calendar, today: LocalDate(iso: "2027-01-04")!) == [2027])
        var watch = CalendarWatch()
        #expect(watch.check(calendar, today: LocalDate(iso: "2026-12-01")!) == [2027])
        #expect(watch.check(calendar, today: LocalDate(iso: "2026-12-01")!) == [], "once a day")
        #expect(watch.check(calendar, today: LocalDate(iso: "2026-12-02")!) == [2027])
    }
}
