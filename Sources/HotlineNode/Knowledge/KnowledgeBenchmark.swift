import Foundation
import HotlineCore
import HotlineStore

/// `hotline-bench --scenario kb`: the knowledge base's search over many generated entries, through the same store
/// and index a node uses, in a node-like database file (WAL, synchronous FULL).
public enum KnowledgeBenchmark {
    public struct QueryResult: Sendable {
        public var query: String
        public var hits: Int
        public var medianMs: Double
        public var p99Ms: Double
        public var maxMs: Double
    }

    public struct Result: Sendable {
        public var entries: Int
        public var loadSeconds: Double
        public var databaseBytes: Int
        public var queries: [QueryResult]
    }

    static let topics = ["供水", "供暖", "燃气", "户籍", "社保", "物业管理", "市容环境", "噪声扰民", "道路交通", "教育", "医疗", "公交"]
    static let districts = ["历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区", "钢城区"]
    static let words = ["办理", "材料", "身份证", "居住证", "营业厅", "电话", "时限", "工作日", "申请", "审批", "收费", "标准", "投诉",
                        "维修", "抢修", "停水", "通知", "公告", "小区", "业主", "物业", "社区", "街道", "派出所", "医保", "养老金",
                        "缴费", "窗口", "预约", "线上", "现场", "核查", "整改", "补贴", "政策", "条例", "办法", "流程", "咨询", "服务"]

    /// Builds `count` entries (deterministic text from `seed`) in a fresh database under `directory`, then runs each
    /// query `repeats` times.
    public static func run(directory: URL, count: Int, repeats: Int, seed: UInt64 = 12345) throws -> Result {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("kb-bench.db").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let db = try Database(path: path)
        try db.migrate([KnowledgeStore.migration])
        let store = KnowledgeStore(db: db)
        var rng = seed
        func next(_ n: Int) -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % UInt64(n))
        }
        let started = Date()
        try db.transaction {
            for i in 0..<count {
                let topic = topics[next(topics.count)]
                let district = districts[next(districts.count)]
                let sentence = { (0..<12).map { _ in words[next(words.count)] }.joined() + "。" }
                let body = (0..<6).map { _ in sentence() }.joined()
                var e = KnowledgeEntry(id: "bench-\(i)", title: "\(district)\(topic)\(words[next(words.count)])\(words[next(words.count)])指南",
                                       body: body, topic: topic, areas: next(3) == 0 ? [] : [district], owner: "bench",
                                       scripts: [sentence()])
                e.status = .approved
                try store.store(e)
            }
        }
        let load = Date().timeIntervalSince(started)
        let queries: [(String, String?, String?)] = [
            ("停水", nil, nil), ("居住证 办理", nil, nil), ("抢修电话", nil, nil), ("物业收费标准", nil, nil),
            ("医保 缴费", "社保", nil), ("派出所", nil, "历下区"), ("整改 时限", "供暖", "市中区"), ("预约线上办理流程", nil, nil),
        ]
        var results: [QueryResult] = []
        for (text, topic, area) in queries {
            var times: [Double] = []
            var hits = 0
            for _ in 0..<max(repeats, 1) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                hits = try store.search(text, topic: topic, area: area, limit: 10).count
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            times.sort()
            let label = text + (topic.map { " --topic \($0)" } ?? "") + (area.map { " --area \($0)" } ?? "")
            results.append(QueryResult(query: label, hits: hits, medianMs: times[times.count / 2],
                                       p99Ms: times[min(times.count - 1, Int(Double(times.count) * 0.99))], maxMs: times.last ?? 0))
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return Result(entries: count, loadSeconds: load, databaseBytes: size, queries: results)
    }
}
