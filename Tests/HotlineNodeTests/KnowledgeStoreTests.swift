import Foundation
import Testing
import HotlineCore
import HotlineWire
@testable import HotlineNode

/// The knowledge base at one node: Chinese search, versions, who may send what.
struct KnowledgeStoreTests {
    @Test func chineseTextIsIndexedAsOverlappingPairsAndQueriesAsPhrases() {
        #expect(SearchText.tokens("小区停水") == ["小区", "区停", "停水"])
        #expect(SearchText.tokens("拨打96777，iPhone维修") == ["拨打", "96777", "iphone", "维修"])
        #expect(SearchText.query("停水 通知") == "\"停水\" AND \"通知\"")
        #expect(SearchText.query("小区停水") == "\"小区 区停 停水\"")
        #expect(SearchText.query("水") == "\"水\"*")
        #expect(SearchText.query("  ，") == nil)
    }

    func entry(_ id: String, title: String, body: String, topic: String = "供水", areas: [String] = [], version: Int = 1) -> KnowledgeEntry {
        var e = KnowledgeEntry(id: id, version: version, title: title, body: body, topic: topic, areas: areas, owner: "w")
        e.status = .approved
        return e
    }

    @Test func searchFindsTwoCharacterWordsRanksTitleHitsFirstAndFilters() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let store = city.service.knowledge
        try city.context.db.transaction {
            try store.store(entry("a", title: "供暖收费标准", body: "居民供暖费按建筑面积收取，停水期间不影响。", topic: "供暖"))
            try store.store(entry("b", title: "计划停水通知查询", body: "计划停水提前24小时在官网公告。", areas: ["历下区"]))
            try store.store(entry("c", title: "燃气安全", body: "闻到燃气味立即开窗。", topic: "燃气", areas: ["市中区"]))
        }
        let hits = try store.search("停水", topic: nil, area: nil, limit: 10)
        #expect(hits.map(\.entry.id) == ["b", "a"], "the entry with the word in its title ranks first")
        #expect(try store.search("停水", topic: "供暖", area: nil, limit: 10).map(\.entry.id) == ["a"])
        #expect(try store.search("停水", topic: nil, area: "历下区/解放路街道", limit: 10).map(\.entry.id).sorted() == ["a", "b"])
        #expect(try store.search("停水", topic: nil, area: "市中区", limit: 10).map(\.entry.id) == ["a"])
        #expect(try store.search("水停", topic: nil, area: nil, limit: 10).isEmpty, "a phrase, not a bag of characters")
        #expect(try store.search("燃气 开窗", topic: nil, area: nil, limit: 10).map(\.entry.id) == ["c"])
    }

    @Test func aNewApprovedVersionSupersedesTheOldOneWhichIsKeptButNotFound() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let store = city.service.knowledge
        try city.context.db.transaction {
            try store.store(entry("hot", title: "抢修电话", body: "拨打96111"))
            try store.store(entry("hot", title: "抢修电话", body: "拨打96606", version: 2))
        }
        #expect(try store.versions("hot").map(\.status) == [.superseded, .approved])
        #expect(try store.search("96111", topic: nil, area: nil, limit: 5).isEmpty)
        #expect(try store.search("96606", topic: nil, area: nil, limit: 5).map(\.entry.version) == [2])
        #expect(try store.entry("hot")?.version == 2 && store.entry("hot", version: 1)?.body == "拨打96111")
    }

    @Test func onlyTheOwnerSubmitsAndOnlyTheCityPublishes() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let e = KnowledgeEntry(id: "noise", title: "夜间施工", body: "22时后禁止施工", topic: "噪声扰民", owner: "s1")
        // d1 may not submit an entry owned by s1 (it arrives through the county station k).
        try city.deliver(.kbSubmit, body: KnowledgeEntryBody(entry: e), origin: "d1", from: "k")
        #expect(try city.service.knowledge.versions("noise").isEmpty)
        try city.deliver(.kbSubmit, body: KnowledgeEntryBody(entry: e), origin: "s1", from: "k")
        #expect(try city.service.knowledge.versions("noise").map(\.status) == [.submitted])
        let unit = try NodeFixture(id: "s1", role: .unit)
        var forged = e
        forged.status = .approved
        try unit.deliver(.kbEntry, body: KnowledgeEntryBody(entry: forged), origin: "k", from: "k")
        #expect(try unit.service.knowledge.versions("noise").isEmpty, "a county station cannot publish an entry")
        try unit.deliver(.kbEntry, body: KnowledgeEntryBody(entry: forged), origin: "c", from: "k")
        #expect(try unit.service.knowledge.entry("noise")?.status == .approved)
    }

    /// `kb export` as the client runs it: page after page through the daemon's snapshot path, into `folder`.
    func export(_ city: NodeFixture, to folder: URL) throws -> KnowledgeExport.Summary {
        let snapshot = SnapshotCommands(context: city.context)
        return try KnowledgeExport.run(folder: folder.path) { argv in
            let answer = try #require(snapshot.answer(AdminRequest(argv: argv, user: "op", uid: 1000)), "kb export is answered beside the loop")
            return try #require(AdminResponse.decode(answer.encode()))
        }
    }

    func files(under folder: URL) -> Set<String> {
        let all = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        return Set(all.filter { !$0.hasSuffix("entries") || $0.contains("/") })
    }

    @Test func bd28_publicExportIsAStaticSearchableSiteOfApprovedPublicEntriesOnly() throws {
        let city = try NodeFixture(id: "c", role: .city)
        var internalOnly = entry("staff", title: "内部工作流程", body: "仅供话务员参考")
        internalOnly.isPublic = false
        var pending = entry("pending", title: "待审核条目", body: "尚未审核")
        pending.status = .submitted
        try city.context.db.transaction {
            try city.service.knowledge.store(entry("pub", title: "计划停水通知查询", body: "计划停水提前24小时公告。<b>注意</b>"))
            try city.service.knowledge.store(internalOnly)
            try city.service.knowledge.store(pending)
        }
        let site = city.dir.appendingPathComponent("site")
        let summary = try export(city, to: site)
        #expect(summary.entries == 1 && summary.pages == 1)
        #expect(files(under: site) == ["index.html", "entries/pub.html", KnowledgeExport.marker])
        let index = try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("计划停水通知查询") && index.contains("<script>") && !index.contains("src=") && !index.contains("内部工作流程"))
        let page = try String(contentsOf: site.appendingPathComponent("entries/pub.html"), encoding: .utf8)
        #expect(page.contains("&lt;b&gt;注意&lt;/b&gt;"), "entry text is escaped")
    }

    /// A knowledge base of tens of thousands of entries made one answer of 189 MB, over the 64 MB an admin answer may
    /// be, built on the work loop: the export now goes a page at a time, and the new site replaces the old whole.
    @Test func bd28_exportGoesPageByPageAndReplacesTheEarlierSiteWhole() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let count = KnowledgeCommands.exportPageEntries * 2 + 100
        try city.context.db.transaction {
            for i in 0..<count {
                try city.service.knowledge.store(entry(String(format: "e%05d", i), title: "条目\(i)", body: "正文\(i)",
                                                       topic: i % 2 == 0 ? "供水" : "供暖"))
            }
        }
        let site = city.dir.appendingPathComponent("site")
        let first = try export(city, to: site)
        #expect(first.entries == count && first.pages == 3)
        #expect(files(under: site).filter { $0.hasPrefix("entries/") }.count == count)
        let index = try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("共 \(count) 条") && index.components(separatedBy: "\"f\":\"entries/").count - 1 == count)

        // An entry no longer public must leave the public site: the second export replaces the folder whole.
        var withdrawn = entry("e00007", title: "条目7", body: "正文7", topic: "供暖", version: 2)
        withdrawn.isPublic = false
        try city.context.db.transaction { try city.service.knowledge.store(withdrawn) }
        let second = try export(city, to: site)
        #expect(second.entries == count - 1)
        #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("entries/e00007.html").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: city.dir.path).filter { $0.hasPrefix(".site") }.isEmpty,
                "no partial or old folder is left beside the site")
    }

    /// The folder is replaced whole, so a folder that is not an earlier export's is refused and left as it was.
    @Test func bd28_exportRefusesAFolderItDidNotWrite() throws {
        let city = try NodeFixture(id: "c", role: .city)
        try city.context.db.transaction { try city.service.knowledge.store(entry("pub", title: "计划停水通知查询", body: "正文")) }
        let home = city.dir.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: home.appendingPathComponent("notes.txt"))
        #expect(throws: KnowledgeExport.Refused.self) { try export(city, to: home) }
        #expect(files(under: home) == ["notes.txt"])
        let file = city.dir.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        #expect(throws: KnowledgeExport.Refused.self) { try export(city, to: file) }
        // An empty folder is taken.
        let empty = city.dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(try export(city, to: empty).entries == 1)
    }
    /// The city looks every minute; what it supervised once (RULES.md §8: a stale entry, an error left uncorrected)
    /// is not read again — the SQL builds the same keys as `KnowledgeSupervision`.
    @Test func asd21_aSupervisedStaleEntryOrUncorrectedReportIsNotReadAgainEachMinute() throws {
        let city = try NodeFixture(id: "c", role: .city)
        var stale = entry("stale", title: "旧的办事指南", body: "正文")
        stale.reviewBy = LocalDate(iso: "2026-01-31")
        let report = KnowledgeReport(id: "r1", entry: "stale", text: "电话已变更", at: city.now.adding(millis: -3 * 86_400_000), by: "k")
        try city.context.db.transaction {
            try city.service.knowledge.store(stale)
            try city.service.knowledge.addReport(report)
        }
        let today = ChinaTime.date(of: city.now), before = city.now.adding(millis: -86_400_000)
        #expect(try city.service.knowledge.unsupervisedStale(before: today).map(\.id) == ["stale"])
        #expect(try city.service.knowledge.unsupervisedOpenReports(before: before).map(\.id) == ["r1"])
        try city.context.db.transaction { try city.service.scanKnowledge(now: city.now) }
        #expect(try city.service.knowledge.supervisions().map(\.0.key).sorted()
                == [KnowledgeSupervision.staleKey("stale", 1), KnowledgeSupervision.uncorrectedErrorKey("r1")].sorted())
        #expect(try city.service.knowledge.unsupervisedStale(before: today).isEmpty)
        #expect(try city.service.knowledge.unsupervisedOpenReports(before: before).isEmpty)
        // A new version past its review-by date is a new reason.
        var second = stale
        second.version = 2
        try city.context.db.transaction { try city.service.knowledge.store(second) }
        #expect(try city.service.knowledge.unsupervisedStale(before: today).map(\.version) == [2])
    }
}
