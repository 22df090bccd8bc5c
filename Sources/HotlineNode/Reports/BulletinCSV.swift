import Foundation
import HotlineCore

/// The bulletin's tables as one CSV file: a UTF-8 byte-order mark so Excel reads the Chinese correctly, CRLF line
/// ends, each table under a one-cell title line and separated by an empty line.
enum BulletinCSV {
    static func render(_ b: MonthlyBulletin) -> String {
        var tables: [(String, [[String]])] = []
        tables.append(("\(b.title)（\(b.from) 至 \(b.to)）", [["生成时间", b.generatedAt], ["依据", b.profileTitle]]))
        let t = b.totals
        tables.append(("总量", [["项目", "件数"], ["受理诉求", "\(t.received)"], ["直接答复", "\(t.answeredDirectly)"], ["知识库答复", "\(t.answeredFromKnowledge)"],
                              ["派单", "\(t.dispatched)"], ["办结", "\(t.closed)"], ["超期事项", "\(t.overdue)"],
                              ["督办", "\(t.supervisions)"], ["提级", "\(t.escalations)"]]))
        tables.append(("全市指标", [["指标", "核心指标", "数值", "分子", "分母"]] + b.figures.map {
            [$0.name, $0.core ? "是" : "", number($0), "\($0.numerator)", "\($0.denominator)"]
        }))
        tables.append(("每日受理量", [["日期", "件数"]] + b.intakeByDay.map { [$0.label, "\($0.count)"] }))
        tables.append(("受理渠道", [["渠道", "件数"]] + b.byChannel.map { [$0.label, "\($0.count)"] }))
        tables.append(("诉求类型", [["类型", "件数"]] + b.byKind.map { [$0.label, "\($0.count)"] }))
        tables.append(("诉求类别", [["类别", "件数"]] + b.byTopic.map { [$0.label, "\($0.count)"] }))
        tables.append(("县区工作站考核排名", ranking(b.counties, kind: "县区")))
        tables.append(("承办单位考核排名", ranking(b.units, kind: "承办单位")))
        if !b.isPublic {
            tables.append(("超期事项及原因", [["工单编号", "承办单位", "类别", "办理时限", "情形", "超期原因"]] + b.overdue.map {
                [$0.ticket, $0.unitName, $0.topic, $0.deadline, $0.state, $0.reason]
            }))
            tables.append(("督办与提级", [["时间", "工单编号", "承办单位", "措施", "方式/层级", "事由"]] + b.supervisions.map {
                [$0.at, $0.ticket, $0.unitName, $0.action, $0.detail, $0.reason]
            }))
        }
        tables.append(("热点问题", [["类别", "本月", "上月", "环比", "主要区域"]] + b.hotIssues.map {
            [$0.topic, "\($0.count)", "\($0.previousMonth)", $0.change.map { String(format: "%.1f%%", $0 * 100) } ?? "新增",
             $0.areas.map { "\($0.label) \($0.count)" }.joined(separator: "、")]
        }))
        tables.append(("典型案例", [["工单编号", "类别", "区域", "承办单位", "结果", "案例摘要"]] + b.typicalCases.map {
            [$0.ticket ?? "", $0.topic, $0.district, $0.unitName, $0.outcome, $0.summary]
        }))
        let body = tables.map { title, rows in ([[title]] + rows).map(line).joined() }.joined(separator: "\r\n")
        return "\u{FEFF}" + body
    }

    static func ranking(_ rows: [BulletinRow], kind: String) -> [[String]] {
        guard let first = rows.first else { return [["排名", kind]] }
        var header = ["排名", kind, "派单", "办结", "超期", "退单", "延期", "督办"]
        for f in first.figures { header += [f.name, "\(f.name)分子", "\(f.name)分母"] }
        return [header] + rows.map { r in
            var cells = [r.rank.map(String.init) ?? "不排名", r.name, "\(r.dispatched)", "\(r.closed)", "\(r.overdue)",
                         "\(r.returns)", "\(r.extensions)", "\(r.supervisions)"]
            for f in r.figures { cells += [number(f), "\(f.numerator)", "\(f.denominator)"] }
            return cells
        }
    }

    /// Shares as percentages with one decimal, star averages with two; empty when nothing was counted.
    static func number(_ f: BulletinFigure) -> String {
        guard let v = f.value else { return "" }
        return f.key.isShare ? String(format: "%.1f%%", v * 100) : String(format: "%.2f", v)
    }

    static func line(_ cells: [String]) -> String { cells.map(field).joined(separator: ",") + "\r\n" }

    static func field(_ s: String) -> String {
        // A leading =, +, - or @ would make Excel evaluate the cell (CSV injection).
        let safe = s.first.map { "=+-@".contains($0) } == true ? "'" + s : s
        guard safe.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return safe }
        return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
