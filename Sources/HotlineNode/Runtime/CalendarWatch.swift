import Foundation
import HotlineCore
import HotlineStore

/// Warns while a year the node counts deadlines in has no holiday notice in its calendar. Without one, only weekends
/// are rest days: a ticket dispatched before the Spring Festival gets a deadline inside the holiday, and its unit is
/// marked late for days nobody works. The State Council publishes the next year's notice in November; from December
/// 1 a node without it logs `calendar-missing` once a day (on the node's clock, at the first look after start too),
/// and `status --check` reports it, until `calendar --install` gives it.
struct CalendarWatch {
    private var lastDay: Int?

    /// The years that should be covered on `today` and are not: the current one, and from December the next.
    static func missing(_ calendar: WorkingCalendar, today: LocalDate) -> [Int] {
        let wanted = today.month == 12 ? [today.year, today.year + 1] : [today.year]
        return wanted.filter { !calendar.covers(year: $0) }
    }

    /// What to log now: the missing years at the first look, then at most once a day of the node's clock.
    mutating func check(_ calendar: WorkingCalendar, today: LocalDate) -> [Int] {
        guard lastDay != today.dayNumber else { return [] }
        lastDay = today.dayNumber
        return Self.missing(calendar, today: today)
    }

    /// Open tickets whose handling deadline falls in `year`: given while the year had no notice, they count only
    /// weekends as its rest days (one range read of `tickets_deadline`).
    static func openTickets(deadlineIn year: Int, db: Database) throws -> Int {
        guard let first = LocalDate(year: year, month: 1, day: 1), let next = LocalDate(year: year + 1, month: 1, day: 1) else { return 0 }
        return try NodeSchema.openTickets(db, where: "deadline >= ? AND deadline < ?",
                                          [.int(ChinaTime.startOfDay(first).millis), .int(ChinaTime.startOfDay(next).millis)]).count
    }

    /// The problem `status --check` reports, and the log line's detail: what it does, and what to do.
    static func problem(year: Int, openTickets: Int) -> String {
        "no working-day calendar for \(year): deadlines in \(year) count only weekends as rest days"
            + (openTickets > 0 ? " (\(openTickets) open ticket\(openTickets == 1 ? " has its" : "s have their") deadline there)" : "")
            + "; install the State Council's holiday notice at the centre, which sends it to every node: `hotline-city calendar --install \(year).json` (README, Working days)"
    }

    static func log(year: Int, openTickets: Int, to log: Log) {
        log.warn("calendar-missing", ["year": "\(year)", "open_tickets": "\(openTickets)",
                                      "detail": problem(year: year, openTickets: openTickets)])
    }
}
