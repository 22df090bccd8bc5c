import Foundation
import HotlineCore

/// The public self-service knowledge base (BD §28) as a static site: `index.html` with a search box (a small
/// inline script over an inline index, nothing fetched from elsewhere, works from a file or any web server) and
/// one page per entry under `entries/`. Only approved public entries; they hold no personal data.
///
/// The site is made in pages (`kb export` answers a page of entries at a time, see `KnowledgeExport`): each entry's
/// page and its `record` for the index come from the daemon, `index` is written last from all the records.
enum KnowledgeSite {
    static func file(_ e: KnowledgeEntry) -> String { "entries/\(e.id).html" }

    /// What the index's search reads of one entry: id, title, topic, area, a 120-character summary, the searched
    /// text and the entry's page.
    static func record(_ e: KnowledgeEntry) -> [String: String] {
        ["id": e.id, "t": e.title, "p": e.topic, "a": e.isCityWide ? "全市" : e.areas.joined(separator: "、"),
         "s": String(e.body.replacingOccurrences(of: "\n", with: " ").prefix(120)),
         "x": ([e.title, e.body, e.topic] + e.areas + e.scripts).joined(separator: " "), "f": file(e)]
    }

    /// Writes `index.html` over the records of every public entry (by topic, then id), a record at a time: on
    /// 50,000 entries the index is 60 MB, and made as one string it was several copies of that in memory at once.
    static func writeIndex(_ unsorted: [[String: String]], cityName: String, generatedAt: Timestamp, to url: URL) throws {
        let records = unsorted.sorted { ($0["p"] ?? "", $0["id"] ?? "") < ($1["p"] ?? "", $1["id"] ?? "") }
        let topics = Array(Set(records.compactMap { $0["p"] })).sorted()
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let out = FileHandle(forWritingAtPath: url.path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        defer { try? out.close() }
        var buffer: [UInt8] = []
        func put(_ text: String) throws {
            buffer += text.utf8
            if buffer.count >= 1 << 20 { try out.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
        }
        try put("""
        <!doctype html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(cityName))12345热线知识库 · 自助查询</title><style>\(css)</style></head>
        <body><header><h1>\(esc(cityName))12345热线知识库</h1><p>自助查询 · 共 \(records.count) 条 · 更新于 \(ChinaTime.localText(generatedAt))</p></header>
        <main><input id="q" type="search" placeholder="输入关键词，如：停水、居住证、供暖" autofocus>
        <select id="topic"><option value="">全部类别</option>\(topics.map { "<option>\(esc($0))</option>" }.joined())</select>
        <p id="count"></p><ol id="results"></ol>
        <noscript><ul>
        """)
        for r in records { try put("<li><a href=\"\(esc(r["f"] ?? ""))\">\(esc(r["t"] ?? ""))</a></li>") }
        try put("""
        </ul></noscript>
        </main>
        <script>
        const ENTRIES = [
        """)
        for (i, r) in records.enumerated() {
            let json = try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys, .withoutEscapingSlashes])
            // Inside <script>, "</" must not appear literally.
            try put((i == 0 ? "" : ",") + String(decoding: json, as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/"))
        }
        try put("""
        ];
        const q = document.getElementById('q'), topic = document.getElementById('topic');
        const results = document.getElementById('results'), count = document.getElementById('count');
        function esc(s) { return s.replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c])); }
        function show() {
          const terms = q.value.toLowerCase().split(/[\\s,，、]+/).filter(Boolean), t = topic.value;
          const hits = ENTRIES.filter(e => (!t || e.p === t) && terms.every(w => e.x.toLowerCase().includes(w)))
            .map(e => [terms.reduce((n, w) => n + (e.t.toLowerCase().includes(w) ? 10 : 1), 0), e])
            .sort((a, b) => b[0] - a[0]).map(p => p[1]);
          count.textContent = '共 ' + hits.length + ' 条';
          results.innerHTML = hits.slice(0, 50).map(e => '<li><a href="' + esc(e.f) + '">' + esc(e.t) + '</a> <span class="tag">'
            + esc(e.p) + ' · ' + esc(e.a) + '</span><br><small>' + esc(e.s) + '</small></li>').join('');
        }
        if (location.hash.length > 1) q.value = decodeURIComponent(location.hash.slice(1));
        q.addEventListener('input', show); topic.addEventListener('change', show); show();
        </script></body></html>

        """)
        try out.write(contentsOf: buffer)
    }

    static func page(_ e: KnowledgeEntry, cityName: String, owner: String) -> String {
        var h = """
        <!doctype html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(e.title)) · \(esc(cityName))12345热线知识库</title><style>\(css)</style></head>
        <body><header><p><a href="../index.html">← 返回知识库</a></p><h1>\(esc(e.title))</h1>
        <p>\(esc(e.topic)) · \(e.isCityWide ? "全市" : esc(e.areas.joined(separator: "、"))) · 维护单位：\(esc(owner)) · 第\(e.version)版</p></header><main>
        """
        h += e.body.split(separator: "\n", omittingEmptySubsequences: true).map { "<p>\(esc(String($0)))</p>" }.joined()
        if !e.scripts.isEmpty { h += "<h2>常见问题答复</h2><ul>" + e.scripts.map { "<li>\(esc($0))</li>" }.joined() + "</ul>" }
        if let s = e.source { h += "<p class=\"src\">政策依据：\(esc(s.document))\(s.published.map { "（\($0.iso)公布）" } ?? "")</p>" }
        if let eff = e.effective { h += "<p class=\"src\">生效日期：\(eff.iso)</p>" }
        return h + "</main></body></html>\n"
    }

    static let css = """
    body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0 auto;
           max-width: 760px; padding: 0 16px 40px; color: #1a1a1a; line-height: 1.6; }
    header { border-bottom: 2px solid #a4161a; margin-bottom: 16px; } h1 { color: #a4161a; font-size: 22px; }
    input, select { font-size: 16px; padding: 8px; margin: 4px 0; } input { width: 70%; }
    li { margin: 10px 0; } .tag { color: #666; font-size: 13px; } small { color: #444; } .src { color: #555; font-size: 14px; }
    a { color: #a4161a; }
    """

    static func esc(_ s: String) -> String { BulletinHTML.esc(s) }
}
