import Foundation
import HotlineCore
import HotlineStore

/// `calendar` — the working-day calendar a node counts deadlines in, and next year's holiday notice checked and
/// installed while the node runs. The bundled calendars end with the release's last year; each November the State
/// Council publishes the next year's notice (holidays and make-up working days, 调休). Before, a city copied the file
/// into every node's `calendars/` by hand, unchecked, and restarted every node; a node that missed it counted only
/// weekends as rest days, and a ticket dispatched before the Spring Festival got a deadline inside the holiday.
enum CalendarCommand {
    static let command = CommandHandler(spec: CommandSpec(
        name: "calendar", summary: "the working-day calendar deadlines are counted in; check and install a year's holiday notice · 节假日安排",
        usage: "calendar [--check FILE | --install FILE] [--json]",
        options: [.value("--check", "read a year's holiday notice (<year>.json) and show what it changes; nothing is written"),
                  .value("--install", "check the file and use it from now on for deadlines still to be counted (kept in calendars/<year>.json)"),
                  .value("--content-base64", "the file, as the client sends it (set by the client)"),
                  .flag("--json", "print JSON")],
        examples: ["{tool} calendar --data DIR",
                   "{tool} calendar --data DIR --check /etc/hotline/2027.json",
                   "{tool} calendar --data DIR --install /etc/hotline/2027.json"]
    )) { args, env in
        guard let (file, data, install) = try env.sentFile(args, command: "calendar") else { return try inUse(env) }
        let year: CalendarYear
        do {
            year = try WorkingCalendar.decode(yearFiles: [data]).years[0]  // one file, one year
        } catch {
            let reason = "\(error)".replacingOccurrences(of: "calendar file #1 ", with: "the file ")
            throw ServiceError.usage("\(file): \(reason)" + (install ? "; nothing was installed" : ""))
        }
        let report = try Report(context: env.context, new: year)
        var lines = report.lines(file: file)
        var json = report.json(file: file)
        guard install else { return .success(text: lines.joined(separator: "\n"), json: json) }
        guard report.replaced != year else {
            // At the centre, the same file again sends it again (a node added since, one whose operator replaced it).
            let sent = try env.service.distributeCalendar(year: year.year, notice: data, now: env.now)
            json["sentTo"] = sent
            return .success(text: (lines + ["nothing to install" + (sent > 0 ? "; sent again to the \(sent) other nodes" : "")]).joined(separator: "\n"), json: json)
        }
        let target = env.context.dir.appendingPathComponent("calendars/\(year.year).json")
        try NodeBackup.replaceFile(target, with: data)
        env.context.useCalendar(report.after)
        try env.service.repository.audit(at: env.now, user: env.user, command: "calendar", ticket: nil, fields: "installed:\(year.year):\(file)")
        env.context.log.info("calendar-installed", ["year": "\(year.year)", "file": file, "user": env.user, "source": year.source,
                                                    "now_rest": "\(report.nowRest.count)", "now_working": "\(report.nowWorking.count)",
                                                    "open_tickets_after_first_change": "\(report.affected.count)"])
        json["installed"] = true
        let sent = try env.service.distributeCalendar(year: year.year, notice: data, now: env.now)
        json["sentTo"] = sent
        lines.append("installed as \(target.path)\(report.replaced == nil ? "" : " (the one before it: \(year.year).json.previous)"); "
                     + "deadlines counted from now on use it; "
                     + (env.context.role == .city ? "sent to the \(sent) other nodes of the network, which install it as they receive it (calendar-installed in their logs)"
                        : "the centre sends the notices it installs to every node; this one is this node's alone until then"))
        return .success(text: lines.joined(separator: "\n"), json: json)
    }

    /// The years in use, each notice's holidays and make-up working days, and the years missing.
    static func inUse(_ env: CommandEnvironment) throws -> AdminResponse {
        let calendar = env.context.deadlines.calendar
        var lines = ["working-day calendar of \(env.context.nodeId): Monday to Friday, minus the holidays, plus the make-up working days"]
        for y in calendar.years { lines += describe(y) }
        let missing = CalendarWatch.missing(calendar, today: ChinaTime.date(of: env.context.clock.now))
        var counts: [[String: Any]] = []
        for year in missing {
            let open = try CalendarWatch.openTickets(deadlineIn: year, db: env.context.db)
            counts.append(["year": year, "openTickets": open])
            lines.append("  MISSING: \(CalendarWatch.problem(year: year, openTickets: open))")
        }
        return .success(text: lines.joined(separator: "\n"), json: [
            "node": env.context.nodeId, "years": calendar.years.map(yearJSON), "missing": counts,
        ])
    }

    static func describe(_ y: CalendarYear) -> [String] {
        func span(_ dates: [LocalDate]) -> String {
            let sorted = dates.sorted()
            guard let first = sorted.first, let last = sorted.last else { return "" }
            let short = { (d: LocalDate) in String(d.iso.dropFirst(5)) }
            return first == last ? short(first) : "\(short(first))–\(short(last)) (\(sorted.count) days)"
        }
        return ["  \(y.year)  \(y.source)",
                "        holidays: " + (y.holidays.isEmpty ? "none" : y.holidays.map { "\($0.name) \(span($0.dates))" }.joined(separator: "; ")),
                "        make-up working days: " + (y.workdays.isEmpty ? "none" : y.workdays.sorted().map { String($0.iso.dropFirst(5)) }.joined(separator: ", "))]
    }

    static func yearJSON(_ y: CalendarYear) -> [String: Any] {
        ["year": y.year, "source": y.source, "holidays": y.holidays.map { ["name": $0.name, "dates": $0.dates.map(\.iso)] },
         "workdays": y.workdays.map(\.iso)]
    }

    /// What a year's notice changes against the calendar in use: the days whose kind changes, and the open tickets
    /// whose deadline lies on or after the first of them (given before, they keep it).
    struct Report {
        let node: String
        let new: CalendarYear
        let replaced: CalendarYear?
        let after: WorkingCalendar
        let nowRest: [LocalDate], nowWorking: [LocalDate]
        let affected: (count: Int, examples: [String])
        let calendar: WorkingCalendar

        init(context: NodeContext, new: CalendarYear) throws {
            node = context.nodeId
            self.new = new
            calendar = context.deadlines.calendar
            replaced = calendar.years.first { $0.year == new.year }
            after = WorkingCalendar(years: calendar.years.filter { $0.year != new.year } + [new])
            var rest: [LocalDate] = [], working: [LocalDate] = []
            if let first = LocalDate(year: new.year, month: 1, day: 1) {
                var d = first
                while d.year == new.year {
                    switch (calendar.isWorkingDay(d), after.isWorkingDay(d)) {
                    case (true, false): rest.append(d)
                    case (false, true): working.append(d)
                    default: break
                    }
                    d = d.adding(days: 1)
                }
            }
            nowRest = rest
            nowWorking = working
            if let firstChange = (rest + working).min() {
                affected = try NodeSchema.openTickets(context.db, where: "deadline >= ?", [.int(ChinaTime.startOfDay(firstChange).millis)], order: "deadline")
            } else {
                affected = (0, [])
            }
        }

        func lines(file: String) -> [String] {
            var out = ["\(file): the holiday notice for \(new.year)"] + CalendarCommand.describe(new)
            if let replaced {
                out.append(replaced == new ? "the same as the \(new.year) in use: nothing changes"
                           : "replaces the \(new.year) in use (\(replaced.source))")
            } else {
                out.append("\(new.year) is not in this node's calendar yet: until now only weekends were its rest days")
            }
            func days(_ list: [LocalDate]) -> String {
                list.map { d in d.iso + ((after.holidayName(d) ?? calendar.holidayName(d)).map { " \($0)" } ?? "") }.joined(separator: ", ")
            }
            if !nowRest.isEmpty { out.append("  rest days from now on: \(days(nowRest))") }
            if !nowWorking.isEmpty { out.append("  working days from now on: \(days(nowWorking))") }
            if affected.count > 0 {
                out.append("\(affected.count) open ticket(s) have a deadline on or after the first day that changes (\(affected.examples.joined(separator: ", "))\(affected.count > affected.examples.count ? ", …" : "")): "
                           + "they keep the deadlines they were given (a deadline is not counted again); where one now ends in a holiday, its unit may ask for an extension (`extend`)")
            }
            out.append("OK: a valid notice for \(new.year); install it at the centre (`calendar --install`), which sends it to every node")
            return out
        }

        func json(file: String) -> [String: Any] {
            ["file": file, "node": node, "year": CalendarCommand.yearJSON(new), "replaces": replaced != nil,
             "sameAsInUse": replaced == new, "restDaysFromNow": nowRest.map(\.iso), "workingDaysFromNow": nowWorking.map(\.iso),
             "openTicketsAfterFirstChange": affected.count, "examples": affected.examples, "installed": false]
        }
    }
}
