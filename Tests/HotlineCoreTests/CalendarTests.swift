import Foundation
import Testing
import HotlineCore
import HotlineProfiles

/// The State Council's holiday notices as shipped (RULES.md §10) and the Civil Code's way of counting periods
/// (art. 201: days start the day after the event and end at 24:00; art. 203: a last day on a holiday moves to the
/// next working day).
struct CalendarTests {
    let calendar: WorkingCalendar
    let calc: DeadlineCalculator

    init() throws {
        calendar = try CalendarLibrary.builtin()
        calc = DeadlineCalculator(calendar: calendar)
    }

    func day(_ s: String) throws -> LocalDate { try #require(LocalDate(iso: s)) }
    func t(_ s: String) throws -> Timestamp { try #require(Timestamp(iso8601: s)) }

    @Test func bundledCalendarsCover2025And2026() {
        #expect(calendar.coveredYears == [2025, 2026])
        #expect(calendar.covers(year: 2026) && !calendar.covers(year: 2027))
    }

    @Test func springFestival2026IsRestAndItsMakeUpSaturdaysAreWorkingDays() throws {
        for n in 15...23 { #expect(!calendar.isWorkingDay(try day("2026-02-\(n)")), "2026-02-\(n)") }
        #expect(calendar.holidayName(try day("2026-02-17")) == "春节")
        #expect(calendar.isWorkingDay(try day("2026-02-14")))   // Saturday, 调休
        #expect(calendar.isWorkingDay(try day("2026-02-28")))   // Saturday, 调休
        #expect(calendar.isWorkingDay(try day("2026-01-04")))   // Sunday, 调休
        #expect(!calendar.isWorkingDay(try day("2026-03-01")))  // an ordinary Sunday
        #expect(calendar.isWorkingDay(try day("2026-02-24")))
    }

    @Test func nationalDay2025And2026() throws {
        for n in 1...8 { #expect(!calendar.isWorkingDay(try day("2025-10-0\(n)")), "2025-10-0\(n)") }
        #expect(try calendar.isWorkingDay(day("2025-09-28")) && calendar.isWorkingDay(day("2025-10-11")))
        for n in 1...7 { #expect(!calendar.isWorkingDay(try day("2026-10-0\(n)")), "2026-10-0\(n)") }
        #expect(try calendar.isWorkingDay(day("2026-10-08")) && calendar.isWorkingDay(day("2026-10-10")))
        #expect(calendar.holidayName(try day("2026-10-01")) == "国庆节")
        #expect(calendar.holidayName(try day("2026-10-08")) == nil)
    }

    @Test func workingDaysBetweenCountsMakeUpDaysAndSkipsTheHoliday() throws {
        // (Fri 13 Feb, Sat 28 Feb]: 14 (调休), 24, 25, 26, 27, 28 (调休).
        #expect(calendar.workingDays(after: try day("2026-02-13"), through: try day("2026-02-28")) == 6)
        #expect(calendar.workingDays(after: try day("2026-02-28"), through: try day("2026-02-13")) == 0)
        #expect(calendar.nextWorkingDay(after: try day("2026-02-14")) == (try day("2026-02-24")))
    }

    @Test func fiveWorkingDaysReceivedBeforeSpringFestivalEndAtMidnightAfter27February() throws {
        // Received Fri 13 Feb: day 1 is Sat 14 (调休), then the holiday, then 24, 25, 26, 27.
        let end = calc.deadline(from: try t("2026-02-13T16:40:00+08:00"), period: .workingDays(5))
        #expect(end == (try t("2026-02-28T00:00:00+08:00")))
    }

    @Test func hoursRunOnTheClockThroughHolidays() throws {
        #expect(calc.deadline(from: try t("2026-02-16T10:00:00+08:00"), period: .hours(12)) == (try t("2026-02-16T22:00:00+08:00")))
        #expect(calc.deadline(from: try t("2026-02-16T22:30:00+08:00"), period: .hours(2)) == (try t("2026-02-17T00:30:00+08:00")))
    }

    @Test func calendarDaysEndingInTheNationalDayHolidayMoveToTheNextWorkingDay() throws {
        // 3 days after 30 Sep is 3 Oct, a holiday: the period ends at 24:00 of Thu 8 Oct.
        #expect(calc.deadline(from: try t("2026-09-30T11:00:00+08:00"), period: .days(3)) == (try t("2026-10-09T00:00:00+08:00")))
        // Same day (当日, TH §15): 24:00 of the day itself.
        #expect(calc.deadline(from: try t("2026-03-02T11:00:00+08:00"), period: .days(0)) == (try t("2026-03-03T00:00:00+08:00")))
    }

    @Test func twoWorkingDaysAfterNationalDay2025() throws {
        #expect(calc.deadline(from: try t("2025-09-30T09:00:00+08:00"), period: .workingDays(2)) == (try t("2025-10-11T00:00:00+08:00")))
    }

    @Test func aMonthFromThe31stClampsToTheMonthsEndWhichIsAMakeUpSaturday() throws {
        // 31 Jan + 1 month → 28 Feb 2026, a Saturday but a make-up working day: it stays.
        #expect(calc.deadline(from: try t("2026-01-31T10:00:00+08:00"), period: .months(1)) == (try t("2026-03-01T00:00:00+08:00")))
    }

    @Test func extensionCountsOnFromTheCurrentDeadline() throws {
        // Deadline 24:00 of Mon 9 March + 5 working days → 24:00 of Mon 16 March.
        #expect(calc.extend(try t("2026-03-10T00:00:00+08:00"), by: .workingDays(5)) == (try t("2026-03-17T00:00:00+08:00")))
        #expect(calc.extend(try t("2026-03-10T00:00:00+08:00"), by: .hours(12)) == (try t("2026-03-10T12:00:00+08:00")))
    }

    @Test func pausedDeadlineResumesWithTheTimeThatWasLeft() throws {
        // Paused Wed 4 March with 3 working days left (5, 6, 9); resumed Thu 12 → 13, 16, 17.
        let resumed = calc.resume(deadline: try t("2026-03-10T00:00:00+08:00"), unit: .workingDays,
                                  pausedAt: try t("2026-03-04T10:00:00+08:00"), resumedAt: try t("2026-03-12T15:00:00+08:00"))
        #expect(resumed == (try t("2026-03-18T00:00:00+08:00")))
        let hours = calc.resume(deadline: try t("2026-03-02T12:00:00+08:00"), unit: .hours,
                                pausedAt: try t("2026-03-02T10:00:00+08:00"), resumedAt: try t("2026-03-03T09:00:00+08:00"))
        #expect(hours == (try t("2026-03-03T11:00:00+08:00")))
    }

    @Test func workingDaysElapsedDecideLateReturns() throws {
        // TH §15: a return within 2 working days of receipt. Received Fri 13 Feb; Tue 24 Feb is the 2nd working day.
        #expect(calc.workingDaysElapsed(from: try t("2026-02-13T10:00:00+08:00"), to: try t("2026-02-24T18:00:00+08:00")) == 2)
        #expect(calc.workingDaysElapsed(from: try t("2026-02-13T10:00:00+08:00"), to: try t("2026-02-25T09:00:00+08:00")) == 3)
    }
}

/// Time values: parsing, printing and the proleptic calendar arithmetic under them.
struct TimeValueTests {
    @Test func iso8601RoundTripsInChinaTimeAndAcceptsOtherOffsets() throws {
        let t = try #require(Timestamp(iso8601: "2026-03-02T09:15:00+08:00"))
        #expect(t.iso8601 == "2026-03-02T09:15:00+08:00")
        #expect(Timestamp(iso8601: "2026-03-02T01:15:00Z") == t)
        #expect(Timestamp(iso8601: "2026-03-01T20:15:00-05:00") == t)
        #expect(Timestamp(iso8601: "2026-03-02T09:15:00.250+08:00")?.iso8601 == "2026-03-02T09:15:00.250+08:00")
    }

    @Test func malformedTimesAreRefused() {
        for bad in ["", "2026-03-02", "2026-03-02 09:15:00+08:00", "2026-03-02T25:00:00+08:00", "2026-03-02T09:60:00Z",
                    "2026-02-30T09:00:00Z", "2026-03-02T09:15+08:00", "2026-03-02T09:15:00+8", "yesterday",
                    "2026-03-02T09:15:00*08:00"] {
            #expect(Timestamp(iso8601: bad) == nil, "\(bad)")
        }
    }

    @Test func dayNumbersAndWeekdaysRoundTripOverCenturies() throws {
        #expect(LocalDate(dayNumber: 0).iso == "1970-01-01")
        #expect(LocalDate(dayNumber: 0).weekday == 4)   // a Thursday
        #expect(try #require(LocalDate(iso: "2026-11-23")).weekday == 1)
        var n = try #require(LocalDate(iso: "1899-12-25")).dayNumber
        let end = try #require(LocalDate(iso: "2101-01-05")).dayNumber
        var weekday = LocalDate(dayNumber: n).weekday
        while n <= end {
            let d = LocalDate(dayNumber: n)
            #expect(d.dayNumber == n && LocalDate(iso: d.iso) == d && d.weekday == weekday)
            n += 1
            weekday = weekday % 7 + 1
        }
    }

    @Test func impossibleDatesAreRefusedAndLeapYearsKnown() {
        #expect(LocalDate(year: 2024, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 2026, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 1900, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2026, month: 13, day: 1) == nil)
        #expect(LocalDate(year: 2026, month: 4, day: 31) == nil)
        #expect(LocalDate(iso: "2026-4-1x") == nil)
    }

    @Test func periodsEncodeAsTheProfilesWriteThem() throws {
        let json = try JSONEncoder().encode([Period.hours(2), .workingDays(5), .months(2), .days(0)])
        #expect(String(decoding: json, as: UTF8.self) == #"[{"hours":2},{"workingDays":5},{"months":2},{"days":0}]"#)
        #expect(try JSONDecoder().decode([Period].self, from: json) == [.hours(2), .workingDays(5), .months(2), .days(0)])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Period.self, from: Data(#"{"weeks":1}"#.utf8)) }
    }
}

/// Year files are checked before use; every refusal says what to fix.
struct CalendarFileTests {
    func file(_ year: Int, holidays: String = #"[{"name":"元旦","dates":["2027-01-01"]}]"#, workdays: String = "[]") -> Data {
        Data(#"{"year": \#(year), "source": "test", "holidays": \#(holidays), "workdays": \#(workdays)}"#.utf8)
    }

    func refusal(_ files: [Data]) -> CalendarError? {
        do {
            _ = try WorkingCalendar.decode(yearFiles: files)
            return nil
        } catch {
            return error
        }
    }

    @Test func aValidNextYearFileIsAccepted() throws {
        let c = try WorkingCalendar.decode(yearFiles: [file(2027, workdays: #"["2027-01-02"]"#)])
        #expect(c.covers(year: 2027))
        #expect(!c.isWorkingDay(try #require(LocalDate(iso: "2027-01-01"))))
        #expect(c.isWorkingDay(try #require(LocalDate(iso: "2027-01-02"))))   // a Saturday made a working day
    }

    @Test func badFilesAreRefusedNamingTheProblem() throws {
        let notJSON = refusal([Data("{".utf8)])
        guard case .unreadable(let index, _)? = notJSON else { Issue.record("\(String(describing: notJSON))"); return }
        #expect(index == 0)
        #expect(notJSON?.description.contains("#1") == true)
        let missing = refusal([Data(#"{"year": 2027, "source": "x", "holidays": []}"#.utf8)])
        #expect(missing?.description.contains("workdays") == true)
        #expect(refusal([file(2027, holidays: #"[{"name":"元旦","dates":["2026-12-31"]}]"#)])
                == .dateOutsideYear(year: 2027, date: try #require(LocalDate(iso: "2026-12-31"))))
        #expect(refusal([file(2027, workdays: #"["2027-01-01"]"#)])
                == .holidayOnWorkday(year: 2027, date: try #require(LocalDate(iso: "2027-01-01"))))
        #expect(refusal([file(2027, workdays: #"["2027-01-04"]"#)])
                == .workdayNotWeekend(year: 2027, date: try #require(LocalDate(iso: "2027-01-04"))))
        #expect(refusal([file(2027, holidays: #"[{"name":"元旦","dates":[]}]"#)]) == .emptyHoliday(year: 2027, name: "元旦"))
        #expect(refusal([file(2027), file(2027)]) == .duplicateYear(2027))
        #expect(refusal([file(2027), file(2027)])?.description.contains("twice") == true)
    }

    @Test func loadingADirectoryReadsEveryYearFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, data) in CalendarLibrary.builtinFiles() { try data.write(to: dir.appendingPathComponent(name)) }
        try file(2027).write(to: dir.appendingPathComponent("2027.json"))
        try Data("ignored".utf8).write(to: dir.appendingPathComponent("README.txt"))
        #expect(try CalendarLibrary.load(directory: dir).coveredYears == [2025, 2026, 2027])
        try Data("{}".utf8).write(to: dir.appendingPathComponent("2028.json"))
        #expect(throws: CalendarError.self) { try CalendarLibrary.load(directory: dir) }
    }
}
