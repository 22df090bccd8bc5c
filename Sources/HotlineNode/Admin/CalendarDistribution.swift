import Foundation
import HotlineCore

/// `calendar.year`: a year's holiday notice the centre installed, sent to every node.
struct CalendarYearBody: Codable {
    var year: Int
    /// The notice file (`calendars/<year>.json`) as the centre's operator installed it, byte for byte.
    var notice: String
}

/// A year's holiday notice travels over the links. Installed node by node, a node the operator missed counted the
/// year's holidays as working days and reported `calendar-missing` until someone logged in there; the centre could
/// not see which nodes lacked it. Now `calendar --install` at the centre sends the file to every node (durable, as
/// any message: a node down or cut off gets it when its link comes back), and each node checks it as `calendar
/// --install` does, keeps it as `calendars/<year>.json` and counts later deadlines in it.
extension TicketService {
    /// At the centre: queues the notice to every other node of the topology; how many.
    @discardableResult
    func distributeCalendar(year: Int, notice: Data, now: Timestamp) throws -> Int {
        guard context.role == .city else { return 0 }
        let body = try encode(CalendarYearBody(year: year, notice: String(decoding: notice, as: UTF8.self)))
        let nodes = context.topology.nodes.map(\.id).filter { $0 != context.nodeId }.sorted()
        for node in nodes { try send(.calendarYear, body: body, to: node, now: now) }
        logAfterCommit("calendar-sent", [("year", "\(year)"), ("nodes", "\(nodes.count)")])
        return nodes.count
    }

    /// At a county station or unit: the centre's notice, checked as `calendar --install` checks a file, kept and used
    /// from now on. One that fails the check is refused (the centre gets a `notice` saying why) and the node keeps its
    /// calendar.
    func installCalendar(_ body: CalendarYearBody, from origin: String, now: Timestamp) throws {
        let data = Data(body.notice.utf8)
        let year: CalendarYear
        do {
            year = try WorkingCalendar.decode(yearFiles: [data]).years[0]
        } catch {
            let reason = "\(error)".replacingOccurrences(of: "calendar file #1 ", with: "the notice ")
            throw ServiceError.refused("the \(body.year) holiday notice from \(origin) is not installed: \(reason); this node keeps its calendar")
        }
        guard year.year == body.year else {
            throw ServiceError.refused("the holiday notice from \(origin) says \(body.year) but holds \(year.year); this node keeps its calendar")
        }
        let report = try CalendarCommand.Report(context: context, new: year)
        guard report.replaced != year else { return }  // already in use (sent again, or installed here by hand)
        let target = context.dir.appendingPathComponent("calendars/\(year.year).json")
        try NodeBackup.replaceFile(target, with: data)
        context.useCalendar(report.after)
        try repository.audit(at: now, user: "centre:\(origin)", command: "calendar", ticket: nil, fields: "installed:\(year.year):from \(origin)")
        logAfterCommit("calendar-installed", [("year", "\(year.year)"), ("from", origin), ("source", year.source),
                                              ("now_rest", "\(report.nowRest.count)"), ("now_working", "\(report.nowWorking.count)"),
                                              ("open_tickets_after_first_change", "\(report.affected.count)")])
    }
}
