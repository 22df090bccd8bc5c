import Foundation
import Testing
@testable import HotlineCore
import HotlineProfiles

/// An instant written with its offset; tests fail (not silently use the epoch) on a typo.
func instant(_ text: String) throws -> Timestamp {
    try #require(Timestamp(iso8601: text), "\(text) is not a timestamp")
}

/// Civil Code art. 201/203 as RULES.md §10 states them, on the bundled 2025/2026 calendars.
/// Every expected end was counted by hand on a paper calendar; the comments show the count.
@Suite struct DeadlineTests {
    let calc: DeadlineCalculator
    init() throws { calc = DeadlineCalculator(calendar: try CalendarLibrary.builtin()) }

    // MARK: working days

    @Test func fiveWorkingDaysFromFridayBeforeSpringFestivalUseTheMakeUpSaturdayAndSkipTheHoliday() throws {
        // Received Fri 13 Feb 10:00. Day 1 is Sat 14 (make-up), 15–23 are 春节, then Tue 24, Wed 25, Thu 26, Fri 27.
        // The last day ends at 24:00 on Fri 27 Feb, i.e. 00:00 on the 28th.
        let end = calc.deadline(from: try instant("2026-02-13T10:00:00+08:00"), period: .workingDays(5))
        #expect(end == (try instant("2026-02-28T00:00:00+08:00")))
        #expect(end.iso8601 == "2026-02-28T00:00:00+08:00")
        #expect(ChinaTime.date(of: end.adding(millis: -1)) == (try day("2026-02-27")), "the last day is the 27th")
    }

    @Test func withoutHolidayDataTheSamePeriodWouldEndBeforeTheFestivalIsOver() throws {
        // Weekends only: Mon 16, Tue 17, Wed 18, Thu 19, Fri 20 — the calendar is what moves it a week later.
        let plain = DeadlineCalculator(calendar: .weekendsOnly)
        #expect(plain.deadline(from: try instant("2026-02-13T10:00:00+08:00"), period: .workingDays(5))
                == (try instant("2026-02-21T00:00:00+08:00")))
    }

    @Test func workingDaysStartTheDayAfterEvenLateAtNight() throws {
        // Art. 201: the day of the event does not count, however early or late it happened.
        let early = calc.deadline(from: try instant("2026-03-02T00:00:00+08:00"), period: .workingDays(1))
        let late = calc.deadline(from: try instant("2026-03-02T23:59:59.999+08:00"), period: .workingDays(1))
        #expect(early == (try instant("2026-03-04T00:00:00+08:00")))
        #expect(late == early)
    }

    @Test func theDayIsTheChinaDateNotTheUTCDate() throws {
        // 17:00 UTC on 1 Mar is 01:00 on Mon 2 Mar in China: the period runs from the 2nd.
        let end = calc.deadline(from: try instant("2026-03-01T17:00:00Z"), period: .workingDays(1))
        #expect(end == (try instant("2026-03-04T00:00:00+08:00")))
    }

    @Test func workingDaysElapsedCountsWholeWorkingDaysAfterTheStart() throws {
        #expect(calc.workingDaysElapsed(from: try instant("2026-02-13T10:00:00+08:00"),
                                        to: try instant("2026-02-27T17:00:00+08:00")) == 5)
        #expect(calc.workingDaysElapsed(from: try instant("2026-02-13T10:00:00+08:00"),
                                        to: try instant("2026-02-23T17:00:00+08:00")) == 1)
    }

    // MARK: hours

    @Test func hoursRunOnTheClockThroughHolidays() throws {
        // Art. 201: hours start at the event; holidays and nights count.
        #expect(calc.deadline(from: try instant("2026-02-13T10:00:00+08:00"), period: .hours(72))
                == (try instant("2026-02-16T10:00:00+08:00")))
        #expect(calc.deadline(from: try instant("2026-09-30T18:00:00+08:00"), period: .hours(24))
                == (try instant("2026-10-01T18:00:00+08:00")), "ends on National Day, not moved")
        #expect(calc.deadline(from: try instant("2026-03-02T09:30:15.250+08:00"), period: .hours(2))
                == (try instant("2026-03-02T11:30:15.250+08:00")))
    }

    // MARK: calendar days

    @Test func calendarDaysEndAtMidnightOfTheLastDay() throws {
        // Mon 2 Mar + 3 days: Tue, Wed, Thu 5 Mar.
        #expect(calc.deadline(from: try instant("2026-03-02T15:00:00+08:00"), period: .days(3))
                == (try instant("2026-03-06T00:00:00+08:00")))
    }

    @Test func calendarDaysEndingOnNationalDayMoveToTheEndOfTheNextWorkingDay() throws {
        // Mon 28 Sep + 3 days = Thu 1 Oct, a holiday; 1–7 Oct rest, Thu 8 Oct is the next working day (art. 203).
        #expect(calc.deadline(from: try instant("2026-09-28T10:00:00+08:00"), period: .days(3))
                == (try instant("2026-10-09T00:00:00+08:00")))
    }

    @Test func calendarDaysEndingOnASundayMoveToMonday() throws {
        // Mon 2 Mar + 6 days = Sun 8 Mar → Mon 9 Mar.
        #expect(calc.deadline(from: try instant("2026-03-02T10:00:00+08:00"), period: .days(6))
                == (try instant("2026-03-10T00:00:00+08:00")))
    }

    @Test func calendarDaysEndingOnAMakeUpSaturdayStayThere() throws {
        // Sat 7 Feb + 7 days = Sat 14 Feb, a working day by the notice.
        #expect(calc.deadline(from: try instant("2026-02-07T10:00:00+08:00"), period: .days(7))
                == (try instant("2026-02-15T00:00:00+08:00")))
    }

    // MARK: months

    @Test func monthFromJanuary31stEndsOnTheLastDayOfFebruary() throws {
        // 31 Jan + 1 month: no 31 Feb, so 28 Feb — in 2026 a make-up Saturday, so it stays.
        #expect(calc.deadline(from: try instant("2026-01-31T10:00:00+08:00"), period: .months(1))
                == (try instant("2026-03-01T00:00:00+08:00")))
        // In a leap year the month end is the 29th (Tue 29 Feb 2028, no data: weekends only).
        #expect(calc.deadline(from: try instant("2028-01-31T10:00:00+08:00"), period: .months(1))
                == (try instant("2028-03-01T00:00:00+08:00")))
        // 29 Feb 2024 + 12 months = 28 Feb 2025, a Friday.
        #expect(calc.deadline(from: try instant("2024-02-29T10:00:00+08:00"), period: .months(12))
                == (try instant("2025-03-01T00:00:00+08:00")))
    }

    @Test func monthEndingOnARestDayMovesToTheNextWorkingDay() throws {
        // 31 Jan 2027 + 1 month → 28 Feb 2027 is a Sunday → Mon 1 Mar.
        #expect(calc.deadline(from: try instant("2027-01-31T10:00:00+08:00"), period: .months(1))
                == (try instant("2027-03-02T00:00:00+08:00")))
        // 31 Oct 2025 + 1 month → Sun 30 Nov 2025 → Mon 1 Dec.
        #expect(calc.deadline(from: try instant("2025-10-31T10:00:00+08:00"), period: .months(1))
                == (try instant("2025-12-02T00:00:00+08:00")))
        // 1 Sep 2025 + 1 month → 1 Oct, National Day (1–8 Oct) → Thu 9 Oct.
        #expect(calc.deadline(from: try instant("2025-09-01T10:00:00+08:00"), period: .months(1))
                == (try instant("2025-10-10T00:00:00+08:00")))
    }

    @Test func monthsCrossTheYearEnd() throws {
        // 15 Dec 2025 + 1 month = Thu 15 Jan 2026; 30 Nov 2025 + 3 months = Sat 28 Feb 2026 (make-up, stays).
        #expect(calc.deadline(from: try instant("2025-12-15T10:00:00+08:00"), period: .months(1))
                == (try instant("2026-01-16T00:00:00+08:00")))
        #expect(calc.deadline(from: try instant("2025-11-30T10:00:00+08:00"), period: .months(3))
                == (try instant("2026-03-01T00:00:00+08:00")))
    }

    // MARK: extend

    @Test func extendingCountsFromTheLastDayOfTheOldDeadline() throws {
        // Old deadline: end of Fri 27 Feb. Two more working days: Sat 28 Feb (make-up), Mon 2 Mar.
        let old = try instant("2026-02-28T00:00:00+08:00")
        #expect(calc.extend(old, by: .workingDays(2)) == (try instant("2026-03-03T00:00:00+08:00")))
        // One calendar day: Sat 28 Feb, a working day. Two: Sun 1 Mar → Mon 2 Mar.
        #expect(calc.extend(old, by: .days(1)) == (try instant("2026-03-01T00:00:00+08:00")))
        #expect(calc.extend(old, by: .days(2)) == (try instant("2026-03-03T00:00:00+08:00")))
        // Hours just run on.
        #expect(calc.extend(old, by: .hours(24)) == (try instant("2026-03-01T00:00:00+08:00")))
    }

    @Test func extendingOverTheHolidaySkipsIt() throws {
        // Old deadline: end of Fri 13 Feb. Three working days: Sat 14, Tue 24, Wed 25.
        let old = try instant("2026-02-14T00:00:00+08:00")
        #expect(calc.extend(old, by: .workingDays(3)) == (try instant("2026-02-26T00:00:00+08:00")))
    }

    // MARK: resume after a pause

    @Test func resumedHoursPeriodGetsTheRemainingTimeBack() throws {
        // 48 h from Mon 09:00 → Wed 09:00. Paused Mon 21:00 with 36 h left; resumed next Tue 08:00 → Wed 20:00.
        let start = try instant("2026-03-02T09:00:00+08:00")
        let deadline = calc.deadline(from: start, period: .hours(48))
        #expect(deadline == (try instant("2026-03-04T09:00:00+08:00")))
        let resumed = calc.resume(deadline: deadline, unit: .hours, pausedAt: try instant("2026-03-02T21:00:00+08:00"),
                                  resumedAt: try instant("2026-03-10T08:00:00+08:00"))
        #expect(resumed == (try instant("2026-03-11T20:00:00+08:00")))
    }

    @Test func resumingAnOverdueHoursPeriodGivesNoExtraTime() throws {
        let deadline = try instant("2026-03-04T09:00:00+08:00")
        let resumedAt = try instant("2026-03-10T08:00:00+08:00")
        #expect(calc.resume(deadline: deadline, unit: .hours, pausedAt: try instant("2026-03-05T09:00:00+08:00"),
                            resumedAt: resumedAt) == resumedAt)
    }

    @Test func resumedWorkingDaysPeriodGetsTheRemainingWorkingDaysBack() throws {
        // 5 wd from Mon 2 Mar: 3, 4, 5, 6, 9 → end of Mon 9 Mar.
        let deadline = calc.deadline(from: try instant("2026-03-02T09:00:00+08:00"), period: .workingDays(5))
        #expect(deadline == (try instant("2026-03-10T00:00:00+08:00")))
        // Paused Wed 4 Mar: 5, 6, 9 remain (3). Resumed Fri 13 Mar: 16, 17, 18.
        let resumed = calc.resume(deadline: deadline, unit: .workingDays, pausedAt: try instant("2026-03-04T15:00:00+08:00"),
                                  resumedAt: try instant("2026-03-13T10:00:00+08:00"))
        #expect(resumed == (try instant("2026-03-19T00:00:00+08:00")))
    }

    @Test func resumedWorkingDaysPeriodSkipsTheHolidayItIsResumedInto() throws {
        // 5 wd from Mon 9 Feb: 10, 11, 12, 13, Sat 14 (make-up) → end of the 14th.
        let deadline = calc.deadline(from: try instant("2026-02-09T09:00:00+08:00"), period: .workingDays(5))
        #expect(deadline == (try instant("2026-02-15T00:00:00+08:00")))
        // Paused Wed 11th: 12, 13, 14 remain. Resumed Fri 13th: Sat 14, then 24, 25 after 春节.
        let resumed = calc.resume(deadline: deadline, unit: .workingDays, pausedAt: try instant("2026-02-11T10:00:00+08:00"),
                                  resumedAt: try instant("2026-02-13T16:00:00+08:00"))
        #expect(resumed == (try instant("2026-02-26T00:00:00+08:00")))
    }

    @Test func resumedCalendarDaysPeriodGetsTheRemainingDaysBack() throws {
        // 10 days from Mon 2 Mar → Thu 12 Mar. Paused Thu 5th: 7 days left. Resumed Mon 9th → Mon 16th.
        let deadline = calc.deadline(from: try instant("2026-03-02T09:00:00+08:00"), period: .days(10))
        #expect(deadline == (try instant("2026-03-13T00:00:00+08:00")))
        let resumed = calc.resume(deadline: deadline, unit: .days, pausedAt: try instant("2026-03-05T11:00:00+08:00"),
                                  resumedAt: try instant("2026-03-09T10:00:00+08:00"))
        #expect(resumed == (try instant("2026-03-17T00:00:00+08:00")))
    }

    // MARK: periods as data

    @Test func periodsReadFromProfilesNameTheirUnit() throws {
        let periods = try JSONDecoder().decode([Period].self, from: Data(#"[{"hours":2},{"days":15},{"workingDays":5},{"months":1}]"#.utf8))
        #expect(periods == [.hours(2), .days(15), .workingDays(5), .months(1)])
        #expect(periods.map(\.unit) == [.hours, .days, .workingDays, .months])
        #expect(try JSONDecoder().decode([Period].self, from: JSONEncoder().encode(periods)) == periods)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Period.self, from: Data(#"{"weeks":2}"#.utf8)) }
    }
}
