import Foundation
import Testing
@testable import HotlineCore
import HotlineProfiles

/// A date that must exist (tests use hand-checked dates only).
func day(_ iso: String) throws -> LocalDate {
    try #require(LocalDate(iso: iso), "\(iso) is not a date")
}

/// The bundled State Council calendars (2025, 2026).
func bundledCalendar() throws -> WorkingCalendar {
    try CalendarLibrary.builtin()
}

// MARK: - Timestamp

@Suite struct TimestampTests {
    @Test func epochIsEightOClockInChina() throws {
        let t = try #require(Timestamp(iso8601: "1970-01-01T08:00:00+08:00"))
        #expect(t.millis == 0)
        #expect(Timestamp(millis: 0).iso8601 == "1970-01-01T08:00:00+08:00")
    }

    @Test func utcZAndOtherOffsetsNameTheSameInstant() throws {
        let china = try #require(Timestamp(iso8601: "2026-02-28T00:00:00+08:00"))
        let utc = try #require(Timestamp(iso8601: "2026-02-27T16:00:00Z"))
        let newYork = try #require(Timestamp(iso8601: "2026-02-27T11:00:00-05:00"))
        let india = try #require(Timestamp(iso8601: "2026-02-27T21:30:00+05:30"))
        #expect(china == utc)
        #expect(china == newYork)
        #expect(china == india)
        #expect(utc.iso8601 == "2026-02-28T00:00:00+08:00")
    }

    @Test func fractionalSecondsAreMilliseconds() throws {
        let whole = try #require(Timestamp(iso8601: "2026-03-02T09:00:00+08:00"))
        let half = try #require(Timestamp(iso8601: "2026-03-02T09:00:00.5+08:00"))
        let precise = try #require(Timestamp(iso8601: "2026-03-02T09:00:07.123Z"))
        #expect(half.millis - whole.millis == 500)
        #expect(precise.iso8601 == "2026-03-02T17:00:07.123+08:00")
        #expect(whole.iso8601 == "2026-03-02T09:00:00+08:00", "no fraction is printed for whole seconds")
    }

    @Test func formatThenParseGivesTheSameInstantOverAWideRange() throws {
        var generator = SeededGenerator(seed: 12345)
        // From 1900 to 2200, including instants before the epoch, at millisecond precision.
        let low: Int64 = -2_208_988_800_000, high: Int64 = 7_258_118_400_000
        for _ in 0..<5_000 {
            let millis = low + Int64(generator.next() % UInt64(high - low))
            let t = Timestamp(millis: millis)
            #expect(Timestamp(iso8601: t.iso8601) == t, "\(millis) → \(t.iso8601)")
            #expect(Self.fromUTF8(t.iso8601) == t, "\(millis) → \(t.iso8601), read from its bytes")
        }
        for millis: Int64 in [0, -1, 1, -28_800_000, -28_800_001, 86_399_999] {
            #expect(Timestamp(iso8601: Timestamp(millis: millis).iso8601)?.millis == millis)
        }
    }

    /// The CI run of ef9fb4a stopped on `Int64.max` ms in a mangled event: the number was accepted and writing it
    /// back as text overflowed. A number is now a time only within the years text can name.
    @Test func millisOutsideTheYearsTextCanNameAreRefused() throws {
        for millis in [Int64.max, Int64.min, Timestamp.readable.upperBound + 1, Timestamp.readable.lowerBound - 1] {
            #expect(Timestamp(readableMillis: millis) == nil, "\(millis)")
            #expect(throws: DecodingError.self, "\(millis)") { try JSONDecoder().decode([Timestamp].self, from: Data("[\(millis)]".utf8)) }
        }
        let first = try #require(Timestamp(iso8601: "0000-01-01T00:00:00+14:00"))
        let last = try #require(Timestamp(iso8601: "9999-12-31T23:59:60.999-14:00"))
        for t in [first, last, Timestamp(millis: 0)] {
            #expect(Timestamp(readableMillis: t.millis) == t)
            #expect(try JSONDecoder().decode([Timestamp].self, from: Data("[\(t.millis)]".utf8)) == [t])
        }
    }

    @Test func anyMillisIsWrittenWithoutTrapping() {
        // Beyond ±2^52 ms (±142,000 years) the text is the bound's.
        #expect(Timestamp(millis: .max).iso8601 == Timestamp(millis: 1 << 52).iso8601)
        #expect(Timestamp(millis: .min).iso8601 == Timestamp(millis: -(1 << 52)).iso8601)
        #expect(ChinaTime.date(of: Timestamp(millis: .max)) == ChinaTime.date(of: Timestamp(millis: 1 << 52)))
        #expect(Timestamp(iso8601: Timestamp(millis: .max).iso8601) == Timestamp(millis: 1 << 52))
    }

    /// A stored document must read back whatever time it holds. A neighbour's 0000-01-01T00:00:00+14:00 is the
    /// year -1 in China, and 9999-12-31 plus an extension is the year 10000: both were written as text the reader
    /// refused, and the ticket could not be loaded again. Such years are written expanded (±YYYYYY) and read back.
    @Test func timesOutsideFourDigitYearsAreWrittenExpandedAndReadBack() throws {
        let before = try #require(Timestamp(iso8601: "0000-01-01T00:00:00+14:00"))
        #expect(before.iso8601 == "-000001-12-31T18:00:00+08:00")
        let after = try #require(Timestamp(iso8601: "9999-12-31T23:59:59+08:00")).adding(hours: 24 * 30)
        #expect(after.iso8601 == "+010000-01-30T23:59:59+08:00")
        var generator = SeededGenerator(seed: 777)
        let bound: Int64 = 1 << 52
        var samples: [Int64] = [bound, -bound, Timestamp.readable.lowerBound, Timestamp.readable.upperBound, before.millis, after.millis]
        for _ in 0..<5_000 { samples.append(Int64(generator.next() % UInt64(2 * bound)) - bound) }
        for millis in samples {
            let t = Timestamp(millis: millis)
            #expect(Timestamp(iso8601: t.iso8601) == t, "\(millis) → \(t.iso8601)")
            #expect(Self.fromUTF8(t.iso8601) == t, "\(millis) → \(t.iso8601), read from its bytes")
        }
        for text in ["+10000-01-01T00:00:00+08:00", "10000-01-01T00:00:00+08:00", "+0100000-01-01T00:00:00Z",
                     "+010000-02-30T00:00:00Z", "+01000a-01-01T00:00:00Z", "*010000-01-01T00:00:00Z"] {
            #expect(Timestamp(iso8601: text) == nil, "\(text)")
        }
    }

    @Test func jsonCarriesTimestampsAsChinaLocalStringsAndAcceptsMillis() throws {
        let t = try #require(Timestamp(iso8601: "2026-10-01T09:30:00+08:00"))
        let json = try JSONEncoder().encode([t])
        #expect(String(decoding: json, as: UTF8.self) == #"["2026-10-01T09:30:00+08:00"]"#)
        #expect(try JSONDecoder().decode([Timestamp].self, from: json) == [t])
        #expect(try JSONDecoder().decode([Timestamp].self, from: Data("[\(t.millis)]".utf8)) == [t])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([Timestamp].self, from: Data(#"["2026-10-01 09:30"]"#.utf8))
        }
    }

    @Test(arguments: [
        "2026-03-02T25:00:00+08:00",    // hour 25
        "2026-03-02T24:00:00+08:00",    // 24:00 is written as the next day's 00:00
        "2026-03-02T09:60:00+08:00",    // minute 60
        "2026-03-02T09:00:61+08:00",    // second 61
        "2026-03-02 09:00:00+08:00",    // missing T
        "2026-03-0209:00:00+08:00",     // missing T, run together
        "2026-02-30T09:00:00+08:00",    // no such day
        "2026-3-2T09:00:00+08:00",      // unpadded date
        "2026-03-02T9:00:00+08:00",     // unpadded hour
        "2026-03-02T09:00+08:00",       // no seconds
        "2026-03-02T09:00:00+15:00",    // offset out of range
        "2026-03-02T09:00:00+08:60",    // offset minutes out of range
        "2026-03-02T09:00:00*08:00",    // not an offset sign
        "2026-03-02T+9:00:00+08:00",    // signed hour
        "2026-03-02T09:-1:00+08:00",    // signed minute
        "2026-03-02T09:00:1e1+08:00",   // exponent in seconds
        "2026-03-02T09:00:00.+08:00",   // dot without digits
        "2026-03-02T09:00:00+08:00T",   // trailing T
        "2026-03-02T09:00:00.12x+08:00", // a letter in the milliseconds
        "2026-03-02T09:00:00.123+08-00", // offset without its colon
        "2026-03-02T09:00:00.123Y",     // not Z
        "2026-03-02T09:00:00-0800",     // offset without its colon, same length as a fraction + Z
        "garbage",
        "",
        "T",
    ])
    func malformedTimestampIsRefused(text: String) {
        #expect(Timestamp(iso8601: text) == nil, "\(text) should be refused")
        #expect(Self.fromUTF8(text) == nil, "\(text) should be refused from its bytes")
    }

    /// `Timestamp(iso8601UTF8:)`, which readers of documents use, on a string's bytes.
    static func fromUTF8(_ text: String) -> Timestamp? {
        Array(text.utf8).withUnsafeBufferPointer { Timestamp(iso8601UTF8: $0) }
    }

    /// The shapes the fast path does not take (a fraction of other than three digits, no seconds' fraction with Z)
    /// are read from bytes as from the string.
    @Test func everyShapeReadsTheSameFromItsBytes() {
        for text in ["2026-03-02T09:00:00.5+08:00", "2026-03-02T09:00:07.123Z", "2026-03-02T09:00:00Z",
                     "2026-03-02T09:00:00.12345-05:00", "2026-03-02T09:00:00+08:00", "1969-12-31T23:59:59.999Z"] {
            #expect(Timestamp(iso8601: text) != nil && Self.fromUTF8(text) == Timestamp(iso8601: text), "\(text)")
        }
    }
}

// MARK: - LocalDate and ChinaTime

@Suite struct LocalDateTests {
    @Test func knownDatesHaveTheirWeekdays() throws {
        #expect(try day("1970-01-01").dayNumber == 0)
        #expect(try day("1970-01-01").weekday == 4)   // Thursday
        #expect(try day("2000-01-01").weekday == 6)   // Saturday
        #expect(try day("1969-12-31").weekday == 3)   // Wednesday, before the epoch
        #expect(try day("1900-01-01").weekday == 1)   // Monday
        #expect(try day("2026-02-13").weekday == 5)   // Friday before Spring Festival
        #expect(try day("2026-02-14").weekday == 6)   // the make-up Saturday
        #expect(try day("2026-10-01").weekday == 4)
        #expect(try day("2025-10-11").weekday == 6)
    }

    @Test func dayNumberRoundTripsAndAdvancesOneCalendarDayAtATime() throws {
        // About ±2,700 years around the epoch: every day is the successor of the one before.
        var previous = LocalDate(dayNumber: -1_000_001)
        for n in -1_000_000...1_000_000 {
            let d = LocalDate(dayNumber: n)
            guard d.dayNumber == n, LocalDate(year: d.year, month: d.month, day: d.day) == d,
                  d.weekday == previous.weekday % 7 + 1 else {
                Issue.record("day \(n) = \(d) (weekday \(d.weekday)) does not follow \(previous)")
                return
            }
            let follows = (d.year == previous.year && d.month == previous.month && d.day == previous.day + 1)
                || (d.day == 1 && ((d.year == previous.year && d.month == previous.month + 1)
                                   || (d.year == previous.year + 1 && d.month == 1 && previous.month == 12 && previous.day == 31)))
            guard follows else {
                Issue.record("\(d) does not follow \(previous)")
                return
            }
            previous = d
        }
        #expect(previous.dayNumber == 1_000_000)
    }

    @Test func leapYearsFollowTheGregorianRule() {
        for (year, leap) in [(2024, true), (2025, false), (2026, false), (2000, true), (1900, false), (2100, false), (2400, true)] {
            #expect((LocalDate(year: year, month: 2, day: 29) != nil) == leap, "\(year)")
            if let feb28 = LocalDate(year: year, month: 2, day: 28) {
                #expect(feb28.adding(days: 1) == (leap ? LocalDate(year: year, month: 2, day: 29) : LocalDate(year: year, month: 3, day: 1)))
            }
        }
        let first = LocalDate(year: 2024, month: 1, day: 1), last = LocalDate(year: 2024, month: 12, day: 31)
        #expect(first.flatMap { a in last.map { $0.dayNumber - a.dayNumber } } == 365, "a leap year has 366 days")
    }

    @Test func impossibleDatesAreRefused() {
        #expect(LocalDate(year: 2026, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2026, month: 4, day: 31) == nil)
        #expect(LocalDate(year: 2026, month: 13, day: 1) == nil)
        #expect(LocalDate(year: 2026, month: 0, day: 1) == nil)
        #expect(LocalDate(year: 2026, month: 1, day: 0) == nil)
        #expect(LocalDate(year: 2026, month: 1, day: 32) == nil)
        // Each month's last day, and the day after it.
        for (year, lengths) in [(2026, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]), (2024, [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])] {
            for (i, length) in lengths.enumerated() {
                #expect(LocalDate(year: year, month: i + 1, day: length) != nil, "\(year)-\(i + 1)-\(length)")
                #expect(LocalDate(year: year, month: i + 1, day: length + 1) == nil, "\(year)-\(i + 1)-\(length + 1)")
            }
        }
        for text in ["2026-02-29", "2026-13-01", "2026-00-10", "2026-1-4", "2026--01-04", "-2026-01-04", "2026-01-04-",
                     "20260104", "2026/01/04", "2026-01-xx", "", "2026-01-04 "] {
            #expect(LocalDate(iso: text) == nil, "\(text) should be refused")
        }
        #expect(LocalDate(iso: "2026-01-04") == LocalDate(year: 2026, month: 1, day: 4))
    }

    @Test func datesOrderAndPrintAsISO() throws {
        #expect(try day("2025-12-31") < day("2026-01-01"))
        #expect(try day("2026-01-04").iso == "2026-01-04")
        #expect(LocalDate(year: 33, month: 5, day: 7)?.description == "0033-05-07")
        let json = try JSONEncoder().encode([day("2026-02-14")])
        #expect(String(decoding: json, as: UTF8.self) == #"["2026-02-14"]"#)
    }

    @Test func chinaDayStartsAtSixteenHundredUTC() throws {
        let d = try day("2026-02-27")
        #expect(ChinaTime.startOfDay(d) == Timestamp(iso8601: "2026-02-26T16:00:00Z"))
        #expect(ChinaTime.endOfDay(d) == Timestamp(iso8601: "2026-02-28T00:00:00+08:00"))
        #expect(ChinaTime.date(of: ChinaTime.endOfDay(d)) == (try day("2026-02-28")))
        #expect(ChinaTime.date(of: ChinaTime.endOfDay(d).adding(millis: -1)) == d)
        #expect(ChinaTime.timestamp(d, hour: 9, minute: 30).iso8601 == "2026-02-27T09:30:00+08:00")
        // Before the epoch the floor division still picks the right day.
        #expect(ChinaTime.date(of: Timestamp(millis: -28_800_001)) == (try day("1969-12-31")))
        #expect(ChinaTime.date(of: Timestamp(millis: -28_800_000)) == (try day("1970-01-01")))
    }
}

// MARK: - The bundled State Council calendars

@Suite struct BundledCalendarTests {
    @Test func bundledFilesAreTheYearsOfTheNotices() throws {
        #expect(CalendarLibrary.builtinFiles().map(\.name) == ["2025.json", "2026.json"])
        let calendar = try bundledCalendar()
        #expect(calendar.coveredYears == [2025, 2026])
        #expect(calendar.covers(year: 2026))
        #expect(!calendar.covers(year: 2027))
    }

    @Test func springFestival2026IsNineRestDaysBetweenTwoMakeUpSaturdays() throws {
        let calendar = try bundledCalendar()
        #expect(calendar.isWorkingDay(try day("2026-02-13")))            // Friday
        #expect(calendar.isWorkingDay(try day("2026-02-14")))            // Saturday, make-up
        #expect(calendar.holidayName(try day("2026-02-14")) == nil)
        for n in 15...23 {
            let d = try day(String(format: "2026-02-%02d", n))
            #expect(!calendar.isWorkingDay(d), "\(d)")
            #expect(calendar.holidayName(d) == "春节", "\(d)")
        }
        #expect(calendar.isWorkingDay(try day("2026-02-24")))            // Tuesday after
        #expect(calendar.isWorkingDay(try day("2026-02-28")))            // Saturday, make-up
        #expect(!calendar.isWorkingDay(try day("2026-03-01")))           // an ordinary Sunday
        #expect(!calendar.isWorkingDay(try day("2026-03-07")))           // an ordinary Saturday
        #expect(calendar.holidayName(try day("2026-03-07")) == nil)
    }

    @Test func nationalDay2026IsOctoberFirstToSeventhWithMakeUpSaturdayTenth() throws {
        let calendar = try bundledCalendar()
        for n in 1...7 {
            let d = try day(String(format: "2026-10-%02d", n))
            #expect(!calendar.isWorkingDay(d), "\(d)")
            #expect(calendar.holidayName(d) == "国庆节", "\(d)")
        }
        #expect(calendar.isWorkingDay(try day("2026-10-08")))
        #expect(calendar.isWorkingDay(try day("2026-10-10")))            // Saturday, make-up
        #expect(calendar.isWorkingDay(try day("2026-09-20")))            // Sunday, make-up
        #expect(calendar.holidayName(try day("2026-09-25")) == "中秋节")
        #expect(!calendar.isWorkingDay(try day("2026-10-11")))           // Sunday
    }

    @Test func nationalDay2025IsOctoberFirstToEighthWithTwoMakeUpDays() throws {
        let calendar = try bundledCalendar()
        for n in 1...8 {
            let d = try day(String(format: "2025-10-%02d", n))
            #expect(!calendar.isWorkingDay(d), "\(d)")
            #expect(calendar.holidayName(d) == "国庆节、中秋节", "\(d)")
        }
        #expect(calendar.isWorkingDay(try day("2025-10-09")))
        #expect(calendar.isWorkingDay(try day("2025-09-28")))            // Sunday, make-up
        #expect(calendar.isWorkingDay(try day("2025-10-11")))            // Saturday, make-up
        #expect(calendar.isWorkingDay(try day("2025-01-26")))            // Sunday before Spring Festival
        #expect(calendar.holidayName(try day("2025-01-28")) == "春节")
        #expect(calendar.holidayName(try day("2025-02-04")) == "春节")
    }

    @Test func everyRuleListedDateIsInTheData() throws {
        // RULES.md §10, typed in again by hand: the data files must say the same.
        let calendar = try bundledCalendar()
        let makeUp = ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
                      "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
        for text in makeUp {
            let d = try day(text)
            #expect(d.weekday >= 6 && calendar.isWorkingDay(d), "\(text)")
        }
        let restRanges = [("2025-01-01", 1), ("2025-01-28", 8), ("2025-04-04", 3), ("2025-05-01", 5), ("2025-05-31", 3),
                          ("2025-10-01", 8), ("2026-01-01", 3), ("2026-02-15", 9), ("2026-04-04", 3), ("2026-05-01", 5),
                          ("2026-06-19", 3), ("2026-09-25", 3), ("2026-10-01", 7)]
        var holidayDays = 0
        for (first, count) in restRanges {
            let start = try day(first)
            for k in 0..<count {
                let d = start.adding(days: k)
                #expect(!calendar.isWorkingDay(d) && calendar.holidayName(d) != nil, "\(d)")
                holidayDays += 1
            }
        }
        let listed = calendar.years.flatMap { $0.holidays.flatMap(\.dates) }
        #expect(listed.count == holidayDays, "the files list exactly the rule's holidays")
        #expect(calendar.years.flatMap(\.workdays).count == makeUp.count)
    }

    @Test func bothYearsHave248WorkingDays() throws {
        // 261 weekdays, minus holidays on weekdays (2025: 18, 2026: 19), plus make-up days (5, 6).
        let calendar = try bundledCalendar()
        #expect(calendar.workingDays(after: try day("2024-12-31"), through: try day("2025-12-31")) == 248)
        #expect(calendar.workingDays(after: try day("2025-12-31"), through: try day("2026-12-31")) == 248)
        #expect(WorkingCalendar.weekendsOnly.workingDays(after: try day("2025-12-31"), through: try day("2026-12-31")) == 261)
    }

    @Test func workingDaysCountsTheHalfOpenInterval() throws {
        let calendar = try bundledCalendar()
        // (Fri 13th, Fri 27th]: Sat 14th (make-up), then 24th–27th.
        #expect(calendar.workingDays(after: try day("2026-02-13"), through: try day("2026-02-27")) == 5)
        // (Wed 30 Sep, Sat 10 Oct]: 8th, 9th, and the make-up 10th.
        #expect(calendar.workingDays(after: try day("2026-09-30"), through: try day("2026-10-10")) == 3)
        #expect(calendar.workingDays(after: try day("2026-03-02"), through: try day("2026-03-02")) == 0)
        #expect(calendar.workingDays(after: try day("2026-03-06"), through: try day("2026-03-02")) == 0)
        #expect(calendar.workingDays(after: try day("2026-03-01"), through: try day("2026-03-02")) == 1)
        #expect(calendar.nextWorkingDay(after: try day("2026-02-14")) == (try day("2026-02-24")))
        #expect(calendar.nextWorkingDay(after: try day("2026-02-13")) == (try day("2026-02-14")))
    }

    @Test func yearsWithoutDataFallBackToWeekends() throws {
        let calendar = try bundledCalendar()
        #expect(!calendar.isWorkingDay(try day("2027-01-02")))            // Saturday
        #expect(calendar.isWorkingDay(try day("2027-01-01")))             // no data: just a Friday
        #expect(calendar.holidayName(try day("2027-01-01")) == nil)
        #expect(WorkingCalendar.weekendsOnly.isWorkingDay(try day("2026-10-01")))
        #expect(!WorkingCalendar.weekendsOnly.isWorkingDay(try day("2026-02-14")))
    }
}

// MARK: - Calendar files: what is refused and why

/// A year file as JSON text.
func yearFile(_ year: Int, holidays: [(String, [String])] = [], workdays: [String] = [], source: String = "test") -> Data {
    let h = holidays.map { name, dates in
        #"{"name":"\#(name)","dates":[\#(dates.map { "\"\($0)\"" }.joined(separator: ","))]}"#
    }
    let w = workdays.map { "\"\($0)\"" }.joined(separator: ",")
    return Data(#"{"year":\#(year),"source":"\#(source)","holidays":[\#(h.joined(separator: ","))],"workdays":[\#(w)]}"#.utf8)
}

func calendarError(_ files: [Data]) -> CalendarError? {
    do {
        _ = try WorkingCalendar.decode(yearFiles: files)
        return nil
    } catch {
        return error
    }
}

@Suite struct CalendarFileTests {
    @Test func aHandWrittenYearFileDecodes() throws {
        let calendar = try WorkingCalendar.decode(yearFiles: [
            yearFile(2027, holidays: [("元旦", ["2027-01-01"])], workdays: ["2027-01-02"]),
        ])
        #expect(calendar.coveredYears == [2027])
        #expect(!calendar.isWorkingDay(try day("2027-01-01")))
        #expect(calendar.isWorkingDay(try day("2027-01-02")))
        #expect(calendar.holidayName(try day("2027-01-01")) == "元旦")
    }

    @Test func malformedJSONIsUnreadableAndSaysWhichFile() throws {
        let good = yearFile(2027)
        let error = calendarError([good, Data("{\"year\": 2028,".utf8)])
        guard case .unreadable(let file, _) = error else {
            Issue.record("expected unreadable, got \(String(describing: error))")
            return
        }
        #expect(file == 1)
        #expect(error?.description.contains("calendar file #2") == true)
    }

    @Test func missingFieldIsNamed() {
        let error = calendarError([Data(#"{"year":2027,"holidays":[],"workdays":[]}"#.utf8)])
        guard case .unreadable(0, let detail) = error else {
            Issue.record("expected unreadable, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("source"))
    }

    @Test func impossibleDateInAFileIsNamed() {
        let error = calendarError([yearFile(2027, holidays: [("春节", ["2027-02-30"])])])
        guard case .unreadable(0, let detail) = error else {
            Issue.record("expected unreadable, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("2027-02-30"), "\(detail)")
        #expect(detail.contains("holidays"), "\(detail)")
    }

    @Test func holidayDateInAnotherYearIsRefused() throws {
        let error = calendarError([yearFile(2026, holidays: [("元旦", ["2025-12-31", "2026-01-01"])])])
        #expect(error == .dateOutsideYear(year: 2026, date: try day("2025-12-31")))
        #expect(error?.description.contains("2025-12-31") == true)
        #expect(error?.description.contains("does not belong to year 2026") == true)
    }

    @Test func makeUpDayInAnotherYearIsRefused() throws {
        let error = calendarError([yearFile(2026, workdays: ["2027-01-02"])])
        #expect(error == .dateOutsideYear(year: 2026, date: try day("2027-01-02")))
    }

    @Test func dateThatIsBothHolidayAndMakeUpDayIsRefused() throws {
        let error = calendarError([yearFile(2026, holidays: [("春节", ["2026-02-14", "2026-02-15"])], workdays: ["2026-02-14"])])
        #expect(error == .holidayOnWorkday(year: 2026, date: try day("2026-02-14")))
        #expect(error?.description.contains("2026-02-14") == true)
        #expect(error?.description.contains("both as a holiday and as a make-up working day") == true)
    }

    @Test func makeUpDayOnAWeekdayIsRefused() throws {
        let error = calendarError([yearFile(2026, workdays: ["2026-02-13"])])
        #expect(error == .workdayNotWeekend(year: 2026, date: try day("2026-02-13")))
        #expect(error?.description.contains("2026-02-13") == true)
        #expect(error?.description.contains("not a Saturday or Sunday") == true)
    }

    @Test func duplicateYearIsRefused() {
        let error = calendarError([yearFile(2026), yearFile(2025), yearFile(2026)])
        #expect(error == .duplicateYear(2026))
        #expect(error?.description.contains("2026 is given twice") == true)
    }

    @Test func holidayWithoutDatesIsRefused() {
        let error = calendarError([yearFile(2026, holidays: [("劳动节", [])])])
        #expect(error == .emptyHoliday(year: 2026, name: "劳动节"))
        #expect(error?.description.contains("劳动节") == true)
    }

    @Test func yearFileOrderDoesNotMatter() throws {
        let files = CalendarLibrary.builtinFiles().map(\.data)
        let forward = try WorkingCalendar.decode(yearFiles: files)
        let backward = try WorkingCalendar.decode(yearFiles: files.reversed())
        #expect(forward == backward)
        #expect(backward.coveredYears == [2025, 2026])
    }
}

// MARK: - CalendarLibrary.load(directory:)

@Suite struct CalendarDirectoryTests {
    /// A fresh directory under the temporary directory, removed after `body`.
    func withDirectory(_ body: (URL) throws -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hotline-cal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir)
    }

    @Test func directoryWithOneValidFileLoadsIt() throws {
        try withDirectory { dir in
            try yearFile(2027, holidays: [("元旦", ["2027-01-01"])]).write(to: dir.appendingPathComponent("2027.json"))
            try Data("not a calendar".utf8).write(to: dir.appendingPathComponent("README.txt"))
            let calendar = try CalendarLibrary.load(directory: dir)
            #expect(calendar.coveredYears == [2027])
            #expect(calendar.holidayName(try day("2027-01-01")) == "元旦")
        }
    }

    @Test func directoryWithAnInvalidFileIsRefused() throws {
        try withDirectory { dir in
            try yearFile(2027, workdays: ["2027-01-04"]).write(to: dir.appendingPathComponent("2027.json"))   // a Monday
            let monday = try day("2027-01-04")
            #expect(throws: CalendarError.workdayNotWeekend(year: 2027, date: monday)) {
                try CalendarLibrary.load(directory: dir)
            }
        }
    }

    @Test func directoryWithBrokenJSONIsUnreadable() throws {
        try withDirectory { dir in
            try Data("{".utf8).write(to: dir.appendingPathComponent("2027.json"))
            do {
                _ = try CalendarLibrary.load(directory: dir)
                Issue.record("a broken file was accepted")
            } catch let error as CalendarError {
                guard case .unreadable = error else { Issue.record("got \(error)"); return }
                #expect(error.description.contains("not a valid year file"))
            }
        }
    }

    @Test func bundledFilesCopiedToADirectoryLoadTheSameCalendar() throws {
        try withDirectory { dir in
            for file in CalendarLibrary.builtinFiles() { try file.data.write(to: dir.appendingPathComponent(file.name)) }
            #expect(try CalendarLibrary.load(directory: dir) == (try bundledCalendar()))
        }
    }

    @Test func missingDirectoryIsUnreadable() {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hotline-none-\(UUID().uuidString)")
        do {
            _ = try CalendarLibrary.load(directory: dir)
            Issue.record("a missing directory was accepted")
        } catch {
            guard case .unreadable(_, let detail) = error else { Issue.record("got \(error)"); return }
            #expect(detail.contains(dir.path))
        }
    }
}

// MARK: - LocalDate text

@Suite struct LocalDateTextTests {
    /// Every day of years with 1, 2, 3 and 4 digits reads the same as printf's `%04d-%02d-%02d`, and back.
    @Test func isoIsPrintfsZeroPaddedDateForEveryDayOfSampleYears() throws {
        for year in [0, 7, 99, 999, 1970, 2024, 2026, 9999] {
            for month in 1...12 {
                for dayNumber in 1...31 {
                    guard let date = LocalDate(year: year, month: month, day: dayNumber) else { continue }
                    let expected = String(format: "%04d-%02d-%02d", year, month, dayNumber)
                    #expect(date.iso == expected)
                    #expect(date.compact == expected.replacingOccurrences(of: "-", with: ""))
                    #expect(LocalDate(iso: date.iso) == date)
                }
            }
        }
    }

    /// Years with more than four digits or below zero are not cut or garbled: they read as printf writes them.
    @Test func isoOfAYearOutsideFourDigitsIsPrintfs() throws {
        let far = try #require(LocalDate(year: 12_026, month: 1, day: 5))
        #expect(far.iso == "12026-01-05")
        #expect(far.compact == "120260105")
        let before = try #require(LocalDate(year: -1, month: 12, day: 31))
        #expect(before.iso == String(format: "%04d-%02d-%02d", -1, 12, 31))
    }
}
