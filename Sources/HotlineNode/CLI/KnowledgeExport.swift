import Foundation
import HotlineCore

/// `kb export --public DIR` on the operator's side, with the operator's rights: asks the daemon for the public site
/// a page of entries at a time (each page read from a snapshot beside the work loop, a few MB however large the
/// knowledge base), writes the pages into a hidden folder beside DIR, then `index.html` from every page's records,
/// and puts that folder in DIR's place. A web server serving DIR sees the old site or the new one, never half of one,
/// and an entry no longer public leaves with the old folder. DIR must be new, empty, or a site an earlier export
/// wrote (it holds `marker`): any other folder is refused, never replaced.
enum KnowledgeExport {
    typealias Answer = (exit: Int32, text: String, json: Any?, content: String?, files: [String: String])

    /// Left in the site's folder: what tells a later export that the folder is its own to replace.
    static let marker = ".hotline-kb-export.json"

    struct Summary {
        var path: String
        var entries: Int
        var pages: Int
    }

    struct Refused: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    /// `ask` sends one admin request (the full argv, `kb export …`) to the daemon and returns its decoded answer.
    static func run(folder: String, ask: ([String]) throws -> Answer) throws -> Summary {
        let fm = FileManager.default
        let target = URL(fileURLWithPath: folder).standardizedFileURL
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: target.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw Refused("\(target.path) is a file: give a folder for the site") }
            let contents = try fm.contentsOfDirectory(atPath: target.path)
            guard contents.isEmpty || contents.contains(marker) else {
                throw Refused("\(target.path) holds files kb export did not write: give a new or empty folder "
                              + "(a folder an earlier export wrote is replaced whole)")
            }
        }
        let parent = target.deletingLastPathComponent()
        let partial = parent.appendingPathComponent(".\(target.lastPathComponent).partial-\(RandomID.uuid().prefix(8))")
        do {
            try fm.createDirectory(at: partial.appendingPathComponent("entries"), withIntermediateDirectories: true)
        } catch {
            throw Refused("cannot create \(partial.path): \(error.localizedDescription); check that \(parent.path) is writable")
        }
        var done = false
        defer { if !done { try? fm.removeItem(at: partial) } }

        var records: [String: [String: String]] = [:]
        var after = 0, pages = 0
        var city = "", generatedAt: Int?
        while true {
            let answer = try ask(["kb", "export", "--public", target.path, "--after", String(after)])
            guard answer.exit == 0 else { throw Refused(answer.text) }
            guard let page = answer.json as? [String: Any], let index = page["index"] as? [[String: String]] else {
                throw Refused("the daemon's answer to kb export is not a page of the site (an older daemon? restart it after an upgrade)")
            }
            pages += 1
            for (path, content) in answer.files {
                guard path.hasPrefix("entries/"), !path.split(separator: "/").contains("..") else {
                    throw Refused("refusing to write \(path) outside \(target.path)/entries")
                }
                try Data(content.utf8).write(to: partial.appendingPathComponent(path))
            }
            // An entry approved again while the export runs comes twice: its later page and record win.
            for record in index { if let id = record["id"] { records[id] = record } }
            city = page["city"] as? String ?? city
            generatedAt = generatedAt ?? page["generatedAt"] as? Int
            guard let next = page["next"] as? Int else { break }
            guard next > after else { throw Refused("the daemon's export did not advance past row \(after)") }
            after = next
        }
        let at = Timestamp(millis: Int64(generatedAt ?? 0))
        try KnowledgeSite.writeIndex(Array(records.values), cityName: city, generatedAt: at,
                                     to: partial.appendingPathComponent("index.html"))
        let about: [String: Any] = ["entries": records.count, "generatedAt": at.iso8601, "version": HotlineVersion.string]
        try JSONSerialization.data(withJSONObject: about, options: [.prettyPrinted, .sortedKeys])
            .write(to: partial.appendingPathComponent(marker))

        if fm.fileExists(atPath: target.path) {
            let old = parent.appendingPathComponent(".\(target.lastPathComponent).old-\(RandomID.uuid().prefix(8))")
            try fm.moveItem(at: target, to: old)
            do { try fm.moveItem(at: partial, to: target) } catch {
                try? fm.moveItem(at: old, to: target)
                throw Refused("cannot put the new site in place of \(target.path): \(error.localizedDescription)")
            }
            try? fm.removeItem(at: old)
        } else {
            try fm.moveItem(at: partial, to: target)
        }
        done = true
        return Summary(path: target.path, entries: records.count, pages: pages)
    }
}
