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
        let response = try city.context.db.transaction {
            city.service.execute(AdminRequest(argv: ["kb", "export", "--public", "site"], user: "op", uid: 1000), now: city.now, links: { [] })
        }
        #expect(response.exitCode == 0, "\(response.text)")
        let files = try #require(response.files)
        #expect(Set(files.keys) == ["index.html", "entries/pub.html"])
        let index = try #require(files["index.html"])
        #expect(index.contains("计划停水通知查询") && index.contains("<script>") && !index.contains("src=") && !index.contains("内部工作流程"))
        #expect(files["entries/pub.html"]?.contains("&lt;b&gt;注意&lt;/b&gt;") == true, "entry text is escaped")
    }
}
