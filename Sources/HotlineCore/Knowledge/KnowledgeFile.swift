import Foundation

/// Reads a submission file: JSON (the fields of `KnowledgeEntry`, with `areas` a list) or Markdown with a header:
///
///     ---
///     id: water-outage-notice
///     title: 计划停水信息查询
///     topic: 供水
///     areas: 历下区, 市中区        (or * for the whole city)
///     effective: 2026-01-01
///     review-by: 2026-12-31
///     source: 济南市城市供水条例
///     published: 2025-12-01
///     public: yes
///     ---
///     正文……
///
///     ## 答复口径
///     - 一条答复口径
///     ## 受理模板
///     - 请问停水的具体地址？
public enum KnowledgeFile {
    public static func parse(_ text: String, owner: String) throws(KnowledgeError) -> KnowledgeEntry {
        let trimmed = text.drop { $0 == "\u{FEFF}" || $0.isWhitespace }
        let entry: KnowledgeEntry
        if trimmed.hasPrefix("{") {
            entry = try json(Data(trimmed.utf8), owner: owner)
        } else if trimmed.hasPrefix("---") {
            entry = try markdown(String(trimmed), owner: owner)
        } else {
            throw .malformed("a knowledge-base file is JSON ({…}) or Markdown starting with a --- header; see `kb --help`")
        }
        try entry.validate()
        return entry
    }

    struct JSONForm: Decodable {
        var id: String
        var title: String
        var body: String
        var topic: String
        var areas: [String]?
        var effective: String?
        var reviewBy: String?
        var source: String?
        var published: String?
        var scripts: [String]?
        var templates: [String]?
        var isPublic: Bool?
    }

    static func json(_ data: Data, owner: String) throws(KnowledgeError) -> KnowledgeEntry {
        let form: JSONForm
        do { form = try JSONDecoder().decode(JSONForm.self, from: data) } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, _): throw .invalid(field: key.stringValue, message: "is missing")
            case .typeMismatch(_, let c), .valueNotFound(_, let c):
                throw .invalid(field: c.codingPath.map(\.stringValue).joined(separator: "."), message: "has the wrong type")
            default: throw .malformed("not valid JSON: \(error)")
            }
        } catch {
            throw .malformed("not valid JSON: \(error)")
        }
        return KnowledgeEntry(
            id: form.id, title: form.title, body: form.body, topic: form.topic, areas: form.areas ?? [], owner: owner,
            effective: try date(form.effective, "effective"), reviewBy: try date(form.reviewBy, "reviewBy"),
            source: try source(form.source, form.published), scripts: form.scripts ?? [], templates: form.templates ?? [],
            isPublic: form.isPublic ?? true)
    }

    static func markdown(_ text: String, owner: String) throws(KnowledgeError) -> KnowledgeEntry {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).replacingOccurrences(of: "\r", with: "") }
        lines.removeFirst()
        guard let end = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) else {
            throw .malformed("the header has no closing --- line")
        }
        var header: [String: String] = [:]
        for (i, line) in lines[..<end].enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let colon = line.firstIndex(where: { $0 == ":" || $0 == "：" }) else {
                throw .malformed("header line \(i + 2) is not `key: value`: \(line)")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            header[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body: [String] = [], scripts: [String] = [], templates: [String] = []
        var section = 0
        for line in lines[(end + 1)...] {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("## ") {
                let name = t.dropFirst(3).trimmingCharacters(in: .whitespaces)
                if name.contains("答复口径") || name.lowercased().contains("script") { section = 1; continue }
                if name.contains("受理模板") || name.lowercased().contains("template") { section = 2; continue }
                section = 0
            }
            switch section {
            case 1: if t.hasPrefix("- ") { scripts.append(String(t.dropFirst(2))) } else if !t.isEmpty { scripts.append(t) }
            case 2: if t.hasPrefix("- ") { templates.append(String(t.dropFirst(2))) } else if !t.isEmpty { templates.append(t) }
            default: body.append(line)
            }
        }
        func need(_ key: String) throws(KnowledgeError) -> String {
            guard let v = header[key], !v.isEmpty else { throw .invalid(field: key, message: "is missing from the header") }
            return v
        }
        let areas = (header["areas"] ?? "").split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let isPublic: Bool
        switch (header["public"] ?? "yes").lowercased() {
        case "yes", "true", "是": isPublic = true
        case "no", "false", "否": isPublic = false
        case let other: throw .invalid(field: "public", message: "is yes or no, not \(other)")
        }
        return KnowledgeEntry(
            id: try need("id"), title: try need("title"),
            body: body.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines), topic: try need("topic"),
            areas: areas, owner: owner, effective: try date(header["effective"], "effective"),
            reviewBy: try date(header["review-by"], "review-by"), source: try source(header["source"], header["published"]),
            scripts: scripts, templates: templates, isPublic: isPublic)
    }

    static func date(_ text: String?, _ field: String) throws(KnowledgeError) -> LocalDate? {
        guard let text, !text.isEmpty else { return nil }
        guard let d = LocalDate(iso: text) else { throw .invalid(field: field, message: "\(text) is not a date like 2026-03-01") }
        return d
    }

    static func source(_ document: String?, _ published: String?) throws(KnowledgeError) -> KnowledgeSource? {
        let date = try date(published, "published")
        guard let document, !document.isEmpty else {
            if date != nil { throw .invalid(field: "source", message: "name the policy document the publication date belongs to") }
            return nil
        }
        return KnowledgeSource(document: document, published: date)
    }
}
