import Foundation

/// A statutory holiday as the State Council's yearly notice names it (e.g. "春节") and the rest days it covers.
public struct Holiday: Sendable, Equatable, Codable {
    public var name: String
    public var dates: [LocalDate]
    public init(name: String, dates: [LocalDate]) { self.name = name; self.dates = dates }
}

/// One year of the State Council's holiday notice: the holidays and the make-up working days (调休).
public struct CalendarYear: Sendable, Equatable, Codable {
    public var year: Int
    public var source: String
    public var holidays: [Holiday]
    public var workdays: [LocalDate]
    public init(year: Int, source: String, holidays: [Holiday], workdays: [LocalDate]) {
        self.year = year; self.source = source; self.holidays = holidays; self.workdays = workdays
    }
}

/// Why a calendar file was refused. Each message names the file (its position, or its year) and what to fix.
public enum CalendarError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: Int, detail: String)
    case duplicateYear(Int)
    case dateOutsideYear(year: Int, date: LocalDate)
    case holidayOnWorkday(year: Int, date: LocalDate)
    case emptyHoliday(year: Int, name: String)
    case workdayNotWeekend(year: Int, date: LocalDate)
    case implausibleYear(Int)

    public var description: String {
        switch self {
        case .unreadable(let file, let detail):
            return "calendar file #\(file + 1) is not a valid year file ({\"year\":…, \"source\":…, \"holidays\":[{\"name\":…, \"dates\":[…]}], \"workdays\":[…]}): \(detail)"
        case .duplicateYear(let y):
            return "calendar year \(y) is given twice; keep one file per year"
        case .dateOutsideYear(let y, let d):
            return "calendar \(y): date \(d.iso) does not belong to year \(y)"
        case .holidayOnWorkday(let y, let d):
            return "calendar \(y): \(d.iso) is listed both as a holiday and as a make-up working day"
        case .emptyHoliday(let y, let name):
            return "calendar \(y): holiday \"\(name)\" has no dates"
        case .workdayNotWeekend(let y, let d):
            return "calendar \(y): make-up working day \(d.iso) is not a Saturday or Sunday (weekdays are working days already)"
        case .implausibleYear(let y):
            return "calendar year \(y) is not the year of a holiday notice (\(WorkingCalendar.plausibleYears.lowerBound) to \(WorkingCalendar.plausibleYears.upperBound))"
        }
    }
}

/// Working days: Monday to Friday, minus statutory holidays, plus make-up working weekend days (调休).
/// Years without data fall back to weekends-only; `covers(year:)` tells callers whether the data is there.
public struct WorkingCalendar: Sendable, Equatable {
    public let years: [CalendarYear]
    private let rest: [Int: String]     // day number → holiday name
    private let makeUp: Set<Int>        // day numbers of make-up working days

    public init(years: [CalendarYear]) {
        self.years = years.sorted { $0.year < $1.year }
        var rest: [Int: String] = [:]
        var makeUp: Set<Int> = []
        for y in years {
            for h in y.holidays { for d in h.dates { rest[d.dayNumber] = h.name } }
            for d in y.workdays { makeUp.insert(d.dayNumber) }
        }
        self.rest = rest
        self.makeUp = makeUp
    }

    public static func == (a: WorkingCalendar, b: WorkingCalendar) -> Bool { a.years == b.years }

    /// One JSON file per year; every file is checked before any is used.
    public static func decode(yearFiles: [Data]) throws(CalendarError) -> WorkingCalendar {
        var years: [CalendarYear] = []
        for (index, data) in yearFiles.enumerated() {
            let year: CalendarYear
            do {
                year = try JSONDecoder().decode(CalendarYear.self, from: data)
            } catch let error as DecodingError {
                throw .unreadable(file: index, detail: Self.describe(error))
            } catch {
                throw .unreadable(file: index, detail: "\(error)")
            }
            try validate(year)
            if years.contains(where: { $0.year == year.year }) { throw .duplicateYear(year.year) }
            years.append(year)
        }
        return WorkingCalendar(years: years)
    }

    /// The years a holiday notice may name: anything outside is a typo (or a file that is not a notice).
    public static let plausibleYears = 2000...2100

    static func validate(_ y: CalendarYear) throws(CalendarError) {
        guard plausibleYears.contains(y.year) else { throw .implausibleYear(y.year) }
        var restDays: Set<LocalDate> = []
        for h in y.holidays {
            if h.dates.isEmpty { throw .emptyHoliday(year: y.year, name: h.name) }
            for d in h.dates {
                if d.year != y.year { throw .dateOutsideYear(year: y.year, date: d) }
                restDays.insert(d)
            }
        }
        for d in y.workdays {
            if d.year != y.year { throw .dateOutsideYear(year: y.year, date: d) }
            if restDays.contains(d) { throw .holidayOnWorkday(year: y.year, date: d) }
            if d.weekday <= 5 { throw .workdayNotWeekend(year: y.year, date: d) }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ c: [CodingKey]) -> String {
            c.isEmpty ? "top level" : c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let ctx): return "missing field \"\(key.stringValue)\" at \(path(ctx.codingPath))"
        case .typeMismatch(_, let ctx): return "wrong type at \(path(ctx.codingPath)): \(ctx.debugDescription)"
        case .valueNotFound(_, let ctx): return "null at \(path(ctx.codingPath))"
        case .dataCorrupted(let ctx): return "\(ctx.debugDescription) at \(path(ctx.codingPath))"
        @unknown default: return "\(error)"
        }
    }

    public static let weekendsOnly = WorkingCalendar(years: [])

    public func isWorkingDay(_ d: LocalDate) -> Bool {
        let n = d.dayNumber
        if makeUp.contains(n) { return true }
        if rest[n] != nil { return false }
        return d.weekday <= 5
    }

    public func holidayName(_ d: LocalDate) -> String? { rest[d.dayNumber] }
    public func covers(year: Int) -> Bool { years.contains { $0.year == year } }
    public var coveredYears: [Int] { years.map(\.year) }

    public func nextWorkingDay(after d: LocalDate) -> LocalDate {
        var x = d.adding(days: 1)
        while !isWorkingDay(x) { x = x.adding(days: 1) }
        return x
    }

    /// Working days in (start, end].
    public func workingDays(after start: LocalDate, through end: LocalDate) -> Int {
        guard end > start else { return 0 }
        var n = 0
        var x = start.adding(days: 1)
        while x <= end {
            if isWorkingDay(x) { n += 1 }
            x = x.adding(days: 1)
        }
        return n
    }
}
