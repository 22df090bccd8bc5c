import Foundation
import HotlineCore

/// The monthly bulletin as one self-contained HTML file in Chinese: inline CSS and SVG, no scripts, no fonts or
/// images from elsewhere, laid out for A4 (headers repeat on each printed page, sections do not split mid-row).
enum BulletinHTML {
    static func render(_ b: MonthlyBulletin) -> String {
        var h = """
        <!doctype html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(b.title))</title>
        <style>\(css)</style>
        </head>
        <body>
        <header>
        <h1>\(esc(b.title))</h1>
        <p class="sub">统计期间 \(b.from) 至 \(b.to) · 依据 \(esc(b.profileTitle))（\(esc(b.profile))）· 生成于 \(esc(b.generatedAt))</p>
        </header>

        """
        h += section("一、总体情况", summary(b))
        h += section("二、受理情况", intake(b))
        h += section("三、县区工作站考核排名", rankingTable(b.counties, kind: "县区", emptyText: "本月无派往县区工作站的工单。"))
        h += section("四、承办单位考核排名", rankingTable(b.units, kind: "承办单位", emptyText: "本月无派单。"))
        if !b.isPublic {
            h += section("五、超期事项及原因", overdueTable(b.overdue))
            h += section("六、督办与提级", supervisionTable(b.supervisions))
        }
        h += section(b.isPublic ? "五、热点问题" : "七、热点问题", hotIssues(b.hotIssues))
        h += section(b.isPublic ? "六、典型案例" : "八、典型案例", typicalCases(b.typicalCases, isPublic: b.isPublic))
        h += "<section class=\"notes\"><h2>说明</h2><ol>" + b.notes.map { "<li>\(esc($0))</li>" }.joined() + "</ol>"
        if b.isPublic { h += "<p>本公开版不含工单编号、诉求内容及任何个人信息。</p>" }
        h += "</section>\n</body>\n</html>\n"
        return h
    }

    static let css = """
    @page { size: A4; margin: 14mm 12mm 16mm 12mm; }
    * { box-sizing: border-box; }
    body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
           font-size: 10pt; color: #1a1a1a; margin: 0 auto; max-width: 190mm; line-height: 1.45; }
    h1 { font-size: 18pt; text-align: center; margin: 4mm 0 1mm; color: #a4161a; letter-spacing: 1px; }
    .sub { text-align: center; color: #555; margin: 0 0 4mm; font-size: 9pt; }
    header { border-bottom: 2px solid #a4161a; margin-bottom: 3mm; }
    h2 { font-size: 12.5pt; margin: 5mm 0 2mm; padding-left: 2mm; border-left: 4px solid #a4161a; break-after: avoid; }
    h3 { font-size: 10.5pt; margin: 3mm 0 1mm; break-after: avoid; }
    table { width: 100%; border-collapse: collapse; font-size: 8.6pt; margin-bottom: 2mm; }
    thead { display: table-header-group; }
    th, td { border: 1px solid #bbb; padding: 1mm 1.4mm; text-align: center; vertical-align: middle; }
    th { background: #f3e9e9; font-weight: 600; }
    td.l { text-align: left; }
    tr { break-inside: avoid; }
    .kpis { display: flex; flex-wrap: wrap; gap: 2mm; margin: 1mm 0 2mm; }
    .kpi { flex: 0 0 calc((100% - 14mm) / 8); border: 1px solid #ddd; border-radius: 2mm; padding: 1.5mm 2mm; background: #fafafa; }
    .kpi b { display: block; font-size: 15pt; color: #a4161a; }
    .kpi.core { border-color: #a4161a; background: #fff5f5; }
    .kpi small { color: #666; }
    .grid { display: flex; gap: 4mm; flex-wrap: wrap; }
    .grid > div { flex: 1 1 56mm; break-inside: avoid; }
    .muted { color: #777; }
    .up { color: #a4161a; } .down { color: #2b7a0b; }
    .case { border: 1px solid #ddd; border-radius: 2mm; padding: 2mm 3mm; margin-bottom: 2mm; break-inside: avoid; }
    .case p { margin: 0.8mm 0; }
    .notes { font-size: 8.4pt; color: #444; }
    svg text { font-family: inherit; }
    """

    static func section(_ title: String, _ body: String) -> String {
        "<section>\n<h2>\(esc(title))</h2>\n\(body)\n</section>\n"
    }

    // MARK: - Sections

    static func summary(_ b: MonthlyBulletin) -> String {
        let t = b.totals
        let counts: [(String, Int)] = [("受理诉求", t.received), ("直接答复", t.answeredDirectly), ("知识库答复", t.answeredFromKnowledge), ("派单", t.dispatched),
                                       ("办结", t.closed), ("超期事项", t.overdue), ("督办", t.supervisions), ("提级", t.escalations)]
        var h = "<div class=\"kpis\">" + counts.map { "<div class=\"kpi\"><small>\($0.0)</small><b>\($0.1)</b>件</div>" }.joined() + "</div>"
        h += "<div class=\"kpis\">"
        for f in b.figures where f.core || f.denominator > 0 {
            h += "<div class=\"kpi\(f.core ? " core" : "")\"><small>\(esc(f.name))\(f.core ? "（核心）" : "")</small><b>\(value(f))</b>"
                + "<small>\(f.numerator)/\(f.denominator)</small></div>"
        }
        return h + "</div>"
    }

    static func intake(_ b: MonthlyBulletin) -> String {
        var h = "<h3>每日受理量</h3>" + SVGChart.columns(b.intakeByDay, width: 700, height: 190)
        h += "<div class=\"grid\">"
        for (title, counts) in [("受理渠道", b.byChannel), ("诉求类型", b.byKind), ("诉求类别（前十）", Array(b.byTopic.prefix(10)))] {
            h += "<div><h3>\(title)</h3>" + (counts.isEmpty ? "<p class=\"muted\">无</p>" : SVGChart.bars(counts, width: 220)) + "</div>"
        }
        return h + "</div>"
    }

    static func rankingTable(_ rows: [BulletinRow], kind: String, emptyText: String) -> String {
        guard let first = rows.first else { return "<p class=\"muted\">\(emptyText)</p>" }
        let shown = first.figures.filter { $0.core || [.responseRate, .completionRate, .satisfactionRate, .overdueRate].contains($0.key) }
        var h = "<table><thead><tr><th>排名</th><th>\(kind)</th><th>派单</th><th>办结</th><th>超期</th><th>退单</th><th>延期</th><th>督办</th>"
        h += shown.map { "<th>\(esc($0.name))\($0.core ? "★" : "")</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows {
            h += "<tr><td>\(r.rank.map(String.init) ?? "<span class=\"muted\">不排名</span>")</td><td class=\"l\">\(esc(r.name))</td>"
            h += "<td>\(r.dispatched)</td><td>\(r.closed)</td><td>\(r.overdue)</td><td>\(r.returns)</td><td>\(r.extensions)</td><td>\(r.supervisions)</td>"
            for key in shown.map(\.key) {
                guard let f = r.figures.first(where: { $0.key == key }) else { h += "<td>-</td>"; continue }
                h += "<td>\(value(f))<br><span class=\"muted\">\(f.numerator)/\(f.denominator)</span></td>"
            }
            h += "</tr>"
        }
        return h + "</tbody></table><p class=\"muted\">★ 为本规定的核心指标；比率下方为分子/分母。</p>"
    }

    static func overdueTable(_ items: [OverdueItem]) -> String {
        guard !items.isEmpty else { return "<p>本月无超期事项。</p>" }
        return textTable(["工单编号", "承办单位", "类别", "办理时限", "情形", "超期原因"], left: [1, 5],
                         items.map { [$0.ticket, $0.unitName, $0.topic, $0.deadline, $0.state, $0.reason] })
            + "<p class=\"muted\">共 \(items.count) 件。超期原因为承办单位反馈或申请延期时所述。</p>"
    }

    static func supervisionTable(_ items: [SupervisionItem]) -> String {
        guard !items.isEmpty else { return "<p>本月无督办、提级事项。</p>" }
        return textTable(["时间", "工单编号", "承办单位", "措施", "方式/层级", "事由"], left: [2, 5],
                         items.map { [$0.at, $0.ticket, $0.unitName, $0.action, $0.detail, $0.reason] })
    }

    /// A table of plain text cells (escaped here); the columns in `left` are left-aligned.
    static func textTable(_ header: [String], left: Set<Int>, _ rows: [[String]]) -> String {
        var h = "<table><thead><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            h += "<tr>" + row.enumerated().map { i, cell in "<td\(left.contains(i) ? " class=\"l\"" : "")>\(esc(cell))</td>" }.joined() + "</tr>"
        }
        return h + "</tbody></table>"
    }

    static func hotIssues(_ issues: [HotIssue]) -> String {
        guard !issues.isEmpty else { return "<p>本月无受理。</p>" }
        var h = "<table><thead><tr><th>序号</th><th>类别</th><th>本月</th><th>上月</th><th>环比</th><th>本月走势（按日）</th><th>主要区域</th></tr></thead><tbody>"
        for (i, x) in issues.enumerated() {
            let change: String
            if let c = x.change {
                change = c >= 0 ? "<span class=\"up\">↑\(percent(c))</span>" : "<span class=\"down\">↓\(percent(-c))</span>"
            } else {
                change = "<span class=\"muted\">新增</span>"
            }
            let areas = x.areas.map { "\(esc($0.label)) \($0.count)" }.joined(separator: "、")
            h += "<tr><td>\(i + 1)</td><td>\(esc(x.topic))</td><td>\(x.count)</td><td>\(x.previousMonth)</td><td>\(change)</td>"
                + "<td>\(SVGChart.sparkline(x.daily, width: 150, height: 26))</td><td class=\"l\">\(areas)</td></tr>"
        }
        return h + "</tbody></table>"
    }

    static func typicalCases(_ cases: [TypicalCase], isPublic: Bool) -> String {
        guard !cases.isEmpty else { return "<p class=\"muted\">本月未选定典型案例（热线工作机构用 <code>hotline-city typical</code> 选定）。</p>" }
        return cases.enumerated().map { i, c in
            var h = "<div class=\"case\"><p><b>案例\(i + 1)：\(esc(c.topic))</b> · \(esc(c.district)) · 承办：\(esc(c.unitName)) · \(esc(c.outcome))"
            if let id = c.ticket { h += " · <span class=\"muted\">\(esc(id))</span>" }
            h += "</p>"
            if let request = c.request, !isPublic { h += "<p><span class=\"muted\">诉求：</span>\(esc(request))</p>" }
            return h + "<p>\(esc(c.summary))</p></div>"
        }.joined()
    }

    // MARK: - Formatting

    static func value(_ f: BulletinFigure) -> String {
        guard let v = f.value else { return "—" }
        return f.key.isShare ? percent(v) : String(format: "%.2f星", v)
    }

    static func percent(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }

    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
