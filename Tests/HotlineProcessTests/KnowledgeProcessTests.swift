import Foundation
import Testing

/// Issue 9 across real processes: a unit submits an entry, the city approves it, a county station finds it by a
/// Chinese phrase offline; an operator answers from it; an error report left uncorrected supervises the owner.
@Suite("Knowledge base across processes", .serialized)
struct KnowledgeProcessTests {
    static let entry = """
    ---
    id: jfl-garbage-collection
    title: 解放路街道生活垃圾清运时间
    topic: 市容环境
    areas: 历下区/解放路街道
    effective: 2026-01-01
    review-by: 2026-12-31
    source: 历下区生活垃圾分类管理办法
    published: 2025-12-01
    ---
    解放路街道辖区生活垃圾每日清运两次：早6:00、晚18:00。大件垃圾请预约，联系电话见街道公告栏。

    ## 答复口径
    - 您好，解放路街道生活垃圾每日早晚各清运一次，如超时未清运请告知具体小区，我们将转街道处理。
    ## 受理模板
    - 请问是哪个小区、哪个垃圾投放点？
    """

    func json(_ r: ProcessHarness.Result) -> [[String: Any]] { r.list }

    @Test func unitSubmitsCityApprovesCountyFindsItByAChinesePhraseAndOperatorsAnswerFromIt() throws {
        let net = try TestNetwork(name: "kb")
        let file = net.harness.dir.appendingPathComponent("entry.md")
        try Data(Self.entry.utf8).write(to: file)
        try net.ok("u-street", "kb", "submit", file.path)
        try ProcessHarness.eventually("the submission to reach the city") {
            (try net.run("t-city", "kb", "list", "--status", "submitted", "--json")).list.contains { $0["id"] as? String == "jfl-garbage-collection" }
        }
        // The owner learns the version the city gave it.
        try ProcessHarness.eventually("the owner to see version 1 submitted") {
            (try net.run("u-street", "kb", "list", "--json")).list.first?["version"] as? Int == 1
        }
        try net.ok("t-city", "kb", "approve", "jfl-garbage-collection")
        // Replicated down: the county station finds it by a Chinese phrase, with and without the area filter.
        try ProcessHarness.eventually("the county to find the approved entry") {
            (try net.run("t-county", "kb", "search", "垃圾清运", "--json")).list.first?["id"] as? String == "jfl-garbage-collection"
        }
        let byArea = try net.run("t-county", "kb", "search", "清运", "--area", "历下区/解放路街道", "--json")
        #expect(byArea.list.count == 1 && byArea.list.first?["status"] as? String == "approved")
        #expect(try net.run("t-county", "kb", "search", "清运", "--area", "市中区", "--json").list.isEmpty)
        #expect(try net.run("t-county", "kb", "search", "供暖收费", "--json").list.isEmpty)
        // The city-wide water company is told too; it sees every area.
        try ProcessHarness.eventually("u-water to have the entry") {
            (try net.run("u-water", "kb", "search", "大件垃圾", "--json")).list.count == 1
        }

        // An operator answers a caller on the spot from the entry; the figures count it.
        let id = try net.intake(text: "垃圾几点清运？", topic: "市容环境")
        try net.ok("t-city", "answer", id, "--kb", "jfl-garbage-collection")
        let shown = try net.show("t-city", id)
        let answered = try #require((shown["events"] as? [[String: Any]])?.last)
        #expect(answered["type"] as? String == "answered" && answered["kbEntry"] as? String == "jfl-garbage-collection@1")
        let figures = try net.run("t-city", "figures", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "all", "--json")
        #expect(figures.list.first?["knowledgeAnswers"] as? Int == 1)
        // An entry that is not approved cannot be answered from.
        let refused = try net.run("t-city", "answer", try net.intake(), "--kb", "no-such-entry")
        #expect(refused.status != 0 && refused.stderr.contains("not an approved knowledge-base entry"))

        // The public self-service site, written by the operator's command (BD §28).
        let site = net.harness.dir.appendingPathComponent("kb-site")
        try net.ok("t-city", "kb", "export", "--public", site.path)
        let index = try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("解放路街道生活垃圾清运时间") && index.contains("共 1 条"))
        #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent("entries/jfl-garbage-collection.html").path))
        let mine = net.harness.dir.appendingPathComponent("operator-notes")
        try FileManager.default.createDirectory(at: mine, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: mine.appendingPathComponent("todo.txt"))
        let notOurs = try net.run("t-city", "kb", "export", "--public", mine.path)
        #expect(notOurs.status == 1 && notOurs.stderr.contains("did not write"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: mine.path) == ["todo.txt"])
    }

    @Test func asd21_errorReportNotCorrectedWithin24HoursSupervisesTheOwner() throws {
        let net = try TestNetwork(name: "kberr")
        let file = net.harness.dir.appendingPathComponent("entry.json")
        try Data(#"{"id": "water-hotline", "title": "供水抢修电话", "body": "供水抢修24小时电话：96111。", "topic": "供水", "areas": ["*"]}"#.utf8)
            .write(to: file)
        try net.ok("u-water", "kb", "submit", file.path)
        try ProcessHarness.eventually("the submission at the city") {
            (try net.run("t-city", "kb", "list", "--status", "submitted", "--json")).list.count == 1
        }
        try net.ok("t-city", "kb", "approve", "water-hotline")
        try ProcessHarness.eventually("the county to have the entry") {
            (try net.run("t-county", "kb", "search", "抢修", "--json")).list.count == 1
        }
        try net.ok("t-county", "kb", "report-error", "water-hotline", "--text", "抢修电话已改为96606")
        try ProcessHarness.eventually("the owner to be told of the report") {
            (try net.run("u-water", "notices", "--json")).list.contains { ($0["text"] as? String)?.contains("96606") == true }
        }
        // 23 hours later nothing is due; after 24 hours the owner is supervised (once).
        try net.ok("t-city", "clock", "--advance", "23h")
        try net.ok("t-city", "alerts")
        #expect(try net.run("t-city", "kb", "supervisions", "--json").list.isEmpty)
        try net.ok("t-city", "clock", "--advance", "2h")
        try net.ok("t-city", "alerts")
        let supervisions = try net.run("t-city", "kb", "supervisions", "--json").list
        #expect(supervisions.count == 1)
        #expect(supervisions.first?["kind"] as? String == "uncorrected-error" && supervisions.first?["owner"] as? String == "u-water")
        try ProcessHarness.eventually("the owner to receive the supervision") {
            (try net.run("u-water", "notices", "--json")).list.contains { ($0["text"] as? String)?.hasPrefix("知识库督办") == true }
        }
        // A corrected version closes the report: nothing more is raised.
        try Data(#"{"id": "water-hotline", "title": "供水抢修电话", "body": "供水抢修24小时电话：96606。", "topic": "供水", "areas": ["*"]}"#.utf8)
            .write(to: file)
        try net.ok("u-water", "kb", "submit", file.path)
        try ProcessHarness.eventually("version 2 at the city") {
            (try net.run("t-city", "kb", "list", "--status", "submitted", "--json")).list.first?["version"] as? Int == 2
        }
        try net.ok("t-city", "kb", "approve", "water-hotline")
        try ProcessHarness.eventually("the county to find the corrected number") {
            (try net.run("t-county", "kb", "search", "96606", "--json")).list.first?["version"] as? Int == 2
        }
        #expect(try net.run("t-county", "kb", "search", "96111", "--json").list.isEmpty, "the superseded version is not found")
        let shown = try net.run("t-city", "kb", "show", "water-hotline")
        #expect(shown.stdout.contains("（已更正）"))
    }
}
