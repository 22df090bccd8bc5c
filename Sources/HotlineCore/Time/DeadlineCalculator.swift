import Foundation

public struct DeadlineCalculator: Sendable {
    public init(calendar: WorkingCalendar) { self.calendar = calendar }
    public var calendar: WorkingCalendar
    public func deadline(from start: Timestamp, period: Period) -> Timestamp {
        if case .hours(let h) = period { return start.adding(hours: h) }
        return extendDay(ChinaTime.date(of: start), period)
    }
    private func extendDay(_ d0: LocalDate, _ period: Period) -> Timestamp {
        var d = d0
        switch period {
        case .hours: return ChinaTime.endOfDay(d)
        case .days(let n): d = d.adding(days: n); if !calendar.isWorkingDay(d) { d = calendar.nextWorkingDay(after: d) }
        case .workingDays(let n): var k = 0; while k < n { d = calendar.nextWorkingDay(after: d); k += 1 }
        case .months(let n):
            let m0 = d.month - 1 + n; let y = d.year + m0 / 12; let m = m0 % 12 + 1
            var day = d.day; while LocalDate(year: y, month: m, day: day) == nil { day -= 1 }
            d = LocalDate(year: y, month: m, day: day) ?? d
            if !calendar.isWorkingDay(d) { d = calendar.nextWorkingDay(after: d) }
        }
        return ChinaTime.endOfDay(d)
    }
    public func extend(_ deadline: Timestamp, by period: Period) -> Timestamp {
        if case .hours(let h) = period { return deadline.adding(hours: h) }
        return extendDay(ChinaTime.date(of: deadline.adding(millis: -1)), period)
    }
    public func resume(deadline: Timestamp, unit: PeriodUnit, pausedAt: Timestamp, resumedAt: Timestamp) -> Timestamp {
        switch unit {
        case .hours: return resumedAt.adding(millis: max(0, deadline.millis - pausedAt.millis))
        case .workingDays:
            let n = calendar.workingDays(after: ChinaTime.date(of: pausedAt), through: ChinaTime.date(of: deadline.adding(millis: -1)))
            return self.deadline(from: resumedAt, period: .workingDays(n))
        case .days, .months:
            let n = ChinaTime.date(of: deadline.adding(millis: -1)).dayNumber - ChinaTime.date(of: pausedAt).dayNumber
            return self.deadline(from: resumedAt, period: .days(max(0, n)))
        }
    }
    public func workingDaysElapsed(from start: Timestamp, to end: Timestamp) -> Int {
        calendar.workingDays(after: ChinaTime.date(of: start), through: ChinaTime.date(of: end))
    }
}
