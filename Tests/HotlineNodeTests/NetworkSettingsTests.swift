import Foundation
import Testing
import HotlineCore
@testable import HotlineNode

/// What the centre sends every node besides tickets — a year's holiday notice (`calendar.year`) and the revocation
/// list (`pki.crl`) — is taken only from the centre, and only when it passes the checks the node's own operator's
/// file would: anything else is refused, answered with a notice, and leaves the node's files as they were.
struct NetworkSettingsTests {
    static let notice2027 = CalendarCommandTests.testNotice2027

    @Test func aUnitCountsDeadlinesInTheCentresNoticeOnceItArrives() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let first = try #require(LocalDate(year: 2027, month: 1, day: 1))
        #expect(unit.context.deadlines.calendar.isWorkingDay(first), "without the notice 2027-01-01 is a Friday like any other")
        try unit.deliver(.calendarYear, body: CalendarYearBody(year: 2027, notice: Self.notice2027), origin: "c", from: "k")
        #expect(!unit.context.deadlines.calendar.isWorkingDay(first))
        let file = unit.context.dir.appendingPathComponent("calendars/2027.json")
        #expect(FileManager.default.contents(atPath: file.path) == Data(Self.notice2027.utf8), "kept byte for byte")
        #expect(unit.log.contains { $0.contains("event=calendar-installed") && $0.contains("from=c") })
        #expect(try unit.notices(on: "k").isEmpty)
        // The same notice again (the centre's operator sent it twice) changes nothing and logs nothing.
        try unit.deliver(.calendarYear, body: CalendarYearBody(year: 2027, notice: Self.notice2027), origin: "c", from: "k")
        #expect(unit.log.filter { $0.contains("event=calendar-installed") }.count == 1)
    }

    @Test func aNoticeThatFailsTheChecksOrDoesNotComeFromTheCentreIsRefusedAndTheCalendarKept() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        let file = unit.context.dir.appendingPathComponent("calendars/2027.json")
        let cases: [(CalendarYearBody, String, String)] = [
            (CalendarYearBody(year: 2027, notice: "{\"year\": 2027"), "c", "is not installed"),
            (CalendarYearBody(year: 2028, notice: Self.notice2027), "c", "says 2028 but holds 2027"),
            (CalendarYearBody(year: 9999, notice: Self.notice2027.replacingOccurrences(of: "2027", with: "9999")), "c", "is not installed"),
            (CalendarYearBody(year: 2027, notice: Self.notice2027), "d1", "only the centre sends holiday notices"),
        ]
        for (n, (body, origin, reason)) in cases.enumerated() {
            try unit.deliver(.calendarYear, body: body, origin: origin, from: "k")
            let notices = try unit.notices(on: "k")
            #expect(notices.count == n + 1 && notices.last?.contains(reason) == true, "\(notices.last ?? "none")")
        }
        #expect(!FileManager.default.fileExists(atPath: file.path))
        #expect(unit.context.deadlines.calendar.isWorkingDay(try #require(LocalDate(year: 2027, month: 1, day: 1))))
    }

    @Test func theCentreTakesNeitherFromAnotherNode() throws {
        let city = try NodeFixture(id: "c", role: .city)
        try city.deliver(.calendarYear, body: CalendarYearBody(year: 2027, notice: Self.notice2027), origin: "k", from: "k")
        try city.deliver(.pkiCRL, body: RevocationListBody(crl: "-----BEGIN X509 CRL-----"), origin: "s1", from: "k")
        let notices = try city.notices(on: "k")
        #expect(notices.count == 2 && notices.allSatisfy { $0.contains("only the centre sends") }, "\(notices)")
        #expect(!FileManager.default.fileExists(atPath: city.context.dir.appendingPathComponent("calendars/2027.json").path))
    }

    @Test func aNodeWithoutTLSIgnoresTheRevocationList() throws {
        let unit = try NodeFixture(id: "s1", role: .unit)
        try unit.deliver(.pkiCRL, body: RevocationListBody(crl: "anything"), origin: "c", from: "k")
        #expect(try unit.notices(on: "k").isEmpty)
        #expect(unit.log.contains { $0.contains("event=revocation-list-ignored") })
        #expect(!FileManager.default.fileExists(atPath: unit.context.dir.appendingPathComponent("tls/crl.pem").path))
    }
}
