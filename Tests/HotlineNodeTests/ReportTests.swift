import Foundation
import Testing
import HotlineCore
@testable import HotlineNode

/// Issue 7: the monthly bulletin, its open-data edition and the early warnings, run as operator commands at a city.
struct ReportTests {
    static let callers: [(name: String, phone: String, address: String)] = [
        ("欧阳娜娜", "13911112222", "泉城路88号3单元502室"),
        ("司马光明", "13733334444", "解放路17号院2号楼"),
        ("诸葛秀兰", "13655556666", "经十路9999号"),
    ]

    func city() throws -> NodeFixture {
        let city = try NodeFixture(id: "c", role: .city)
        for (i, c) in Self.callers.enumerated() {
            let id = "JN-20260302-00000\(i + 1)"
            _ = try city.perform(.receive(TicketIntake(
                id: id, channel: "phone", kind: "complain", topic: "噪声扰民", area: Area(district: "历下区", street: "解放路街道"),
                address: c.address, text: "\(c.name)反映夜间施工噪音，电话\(c.phone)，住\(c.address)",
                caller: CallerInfo(name: c.name, phone: c.phone, confidential: true))), on: nil)
            _ = try city.perform(.dispatch(lead: "w", assisting: [], tier: nil), on: id)
        }
        return city
    }

    func run(_ city: NodeFixture, _ argv: String...) throws -> AdminResponse {
        try city.context.db.transaction {
            try city.service.execute(AdminRequest(argv: argv, user: "operator", uid: 1000), now: city.now, links: { [] })
        }
    }

    @Test func jinan2018_s33_publicReportHoldsNoNamePhoneOrAddressOfConfidentialCallers() throws {
        let city = try city()
        let first = Self.callers[0]
        // The operator's summary carelessly repeats the caller's details: the open-data edition must drop them.
        let marked = try run(city, "typical", "JN-20260302-000001", "--summary",
                             "\(first.name)（\(first.phone)）反映\(first.address)夜间施工噪音，城管部门当晚责令停工")
        #expect(marked.exitCode == 0, "\(marked.text)")
        for format in ["html", "csv", "json"] {
            let response = try run(city, "report", "--month", "2026-03", "--public", "--format", format)
            #expect(response.exitCode == 0, "\(response.text)")
            let content = try #require(response.content)
            #expect(content.contains("城管部门当晚责令停工"), "the typical case is published (\(format))")
            for c in Self.callers {
                #expect(!content.contains(c.name) && !content.contains(c.phone) && !content.contains(c.address),
                        "\(format) edition leaks \(c.name)")
            }
            #expect(!content.contains("JN-20260302-00000"), "\(format) edition names no ticket")
        }
    }

    @Test func bulletinIsOneSelfContainedChineseHTMLFileAndCSVOpensInExcel() throws {
        let city = try city()
        let html = try #require(try run(city, "report", "--month", "2026-03").content)
        #expect(html.hasPrefix("<!doctype html>") && html.contains("<html lang=\"zh-CN\">") && html.contains("@page { size: A4"))
        #expect(html.contains("工作通报") && html.contains("每日受理量") && html.contains("<svg"))
        // Nothing is fetched from elsewhere and nothing runs.
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href=") && !html.contains("@import"))
        #expect(html.contains("水务集团"))
        let csv = try #require(try run(city, "report", "--month", "2026-03", "--format", "csv").content)
        #expect(csv.hasPrefix("\u{FEFF}") && csv.contains("承办单位考核排名") && csv.contains("\r\n"))
        let json = try #require(try run(city, "report", "--month", "2026-03", "--format", "json").content)
        let decoded = try JSONDecoder().decode(MonthlyBulletin.self, from: Data(json.utf8))
        #expect(decoded.totals.received == 3 && decoded.totals.dispatched == 3 && decoded.month == "2026-03")
    }

    @Test func reportRefusesABadMonthOrFormatAndChangesNothing() throws {
        let city = try city()
        for argv in [["report"], ["report", "--month", "2026-13"], ["report", "--month", "March"],
                     ["report", "--month", "2026-03", "--format", "pdf"]] {
            let r = try city.context.db.transaction {
                try city.service.execute(AdminRequest(argv: argv, user: "operator", uid: 1000), now: city.now, links: { [] })
            }
            #expect(r.exitCode != 0 && r.content == nil)
            #expect(r.text.contains("--month") || r.text.contains("--format"), "\(r.text)")
        }
        #expect(try city.service.repository.load("JN-20260302-000001")?.status == .dispatched)
    }

    @Test func anAlertOfManyTicketsNamesTheFirstTwentyInItsLogLineAndTextAndAllInItsJSON() throws {
        let city = try city()
        try city.context.clock.set(city.now.adding(millis: 3_600_000))
        for i in 1...45 {
            _ = try city.perform(.receive(TicketIntake(
                id: String(format: "JN-20260302-%06d", 100 + i), channel: "phone", kind: "complain", topic: "供水",
                area: Area(district: "历下区", street: "解放路街道"), text: "停水",
                caller: CallerInfo(phone: String(format: "139%08d", i)))), on: nil)
        }
        _ = try run(city, "alerts")
        city.service.runAfterCommit()
        let line = try #require(city.log.first { $0.contains("event=alert") && $0.contains("kind=topic-spike") })
        #expect(line.contains("count=45"), "\(line)")
        #expect(line.contains("JN-20260302-000101,") && line.contains("JN-20260302-000120,…"), "\(line)")
        #expect(!line.contains("JN-20260302-000121"))
        let spike = try #require(try AlertLog(db: city.context.db).list(since: Timestamp(millis: 0), kind: .topicSpike).first)
        #expect(spike.alert.tickets.count == 45, "the stored alert keeps every ticket")
        // The text an operator reads names the first twenty too (a busy topic's spike stood for hundreds of lines
        // each: 11 MB of text on the bench's million-ticket city); the JSON names every ticket.
        let listed = try run(city, "alerts", "--kind", "topic-spike")
        #expect(listed.text.contains("JN-20260302-000120") && !listed.text.contains("JN-20260302-000121"), "\(listed.text)")
        #expect(listed.text.contains("… 25 more (alerts --json lists every ticket)"))
        let json = try #require(listed.json.flatMap { try JSONSerialization.jsonObject(with: Data($0)) as? [[String: Any]] })
        #expect((json.first?["tickets"] as? [[String: Any]])?.count == 45)
    }

    /// `city()` an hour later, with two more callers about the noise on the same street: five, a cluster.
    func clusterCity() throws -> NodeFixture {
        let city = try city()
        try city.context.clock.set(city.now.adding(millis: 3_600_000))
        for i in 4...5 {
            _ = try city.perform(.receive(TicketIntake(
                id: "JN-20260302-00000\(i)", channel: "phone", kind: "complain", topic: "噪声扰民",
                area: Area(district: "历下区", street: "解放路街道"), text: "夜间施工噪音",
                caller: CallerInfo(phone: "1380000000\(i)"))), on: nil)
        }
        return city
    }

    @Test func clusterOfCallersIsRaisedOnceLoggedAfterCommitAndListedWithItsTickets() throws {
        let city = try clusterCity()
        let listed = try run(city, "alerts")
        #expect(listed.exitCode == 0)
        #expect(listed.text.contains("[集中反映]") && listed.text.contains("5位诉求人"), "\(listed.text)")
        #expect(listed.text.contains("JN-20260302-000005"))
        let entries = try AlertLog(db: city.context.db).list(since: Timestamp(millis: 0), kind: .cluster)
        #expect(entries.count == 1 && entries.first?.alert.tickets.count == 5)
        // Raised once: looking again finds nothing new, and the log lines (the alert's, the command's) wait for the
        // commit.
        #expect(!city.log.contains { $0.contains("event=alert") })
        city.service.runAfterCommit()
        #expect(city.log.filter { $0.contains("event=alert") && $0.contains("kind=cluster") }.count == 1)
        #expect(!city.log.contains { $0.contains("13800000004") })
        let raised = city.log.filter { $0.contains("event=alert") }.count
        _ = try run(city, "alerts")
        city.service.runAfterCommit()
        #expect(city.log.filter { $0.contains("event=alert") }.count == raised, "\(city.log)")
    }

    /// A running city reads and computes the minute's early warnings beside its work loop (`AlertScanner`; a round of
    /// a fifth to half a second each minute on a year of a city); the loop only stores what comes back — once, by
    /// key — and logs it after the commit.
    @Test func theMinuteScanComputesBesideTheLoopWhichStoresWhatComesBackOnce() throws {
        let city = try clusterCity()
        let daemon = try NodeDaemon(context: city.context)
        let delivered = Delivered()
        daemon.service.alertScanner = AlertScanner(context: city.context) { result, at in delivered.put(result, at) }
        _ = daemon.drain([])
        #expect(daemon.service.alertScanInFlight)
        #expect(try AlertLog(db: city.context.db).list(since: Timestamp(millis: 0), kind: nil).isEmpty,
                "the loop's round computed and stored nothing itself")
        let (result, at) = try #require(delivered.wait(seconds: 60), "the scanner delivers")
        _ = daemon.drain([.alertScan(result, at: at)])
        #expect(!daemon.service.alertScanInFlight)
        let stored = try AlertLog(db: city.context.db).list(since: Timestamp(millis: 0), kind: .cluster)
        #expect(stored.count == 1 && stored.first?.raised == at && stored.first?.alert.tickets.count == 5)
        let logged = { city.log.filter { $0.contains("event=alert") && $0.contains("kind=cluster") }.count }
        #expect(logged() == 1)
        // The same warnings again (the `alerts` command found them meanwhile, or a scan overlapped): stored once.
        _ = daemon.drain([.alertScan(result, at: at)])
        #expect(logged() == 1)
        #expect(try AlertLog(db: city.context.db).list(since: Timestamp(millis: 0), kind: .cluster).count == 1)
        // A scan that failed is logged; the next minute's tries again.
        daemon.service.alertScanInFlight = true
        _ = daemon.drain([.alertScan(.failure(AlertScanner.Failure(description: "disk I/O error")), at: at)])
        #expect(!daemon.service.alertScanInFlight)
        #expect(city.log.contains { $0.contains("event=alert-scan-failed") && $0.contains("disk I/O error") })
    }

    final class Delivered: @unchecked Sendable {
        // `condition` guards `value`.
        private let condition = NSCondition()
        private var value: (Result<[Alert], AlertScanner.Failure>, Timestamp)?

        func put(_ result: Result<[Alert], AlertScanner.Failure>, _ at: Timestamp) {
            condition.withLock { value = (result, at); condition.broadcast() }
        }

        func wait(seconds: Double) -> (Result<[Alert], AlertScanner.Failure>, Timestamp)? {
            let deadline = Date(timeIntervalSinceNow: seconds)
            return condition.withLock {
                while value == nil, condition.wait(until: deadline) {}
                return value
            }
        }
    }
}
