import Foundation
import HotlineCore
import HotlineStore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// 备份 — a consistent copy of a running node: its database as of one instant (`VACUUM INTO` from a read snapshot,
/// beside the work loop, which keeps running), the data key that database needs, and the node's configuration,
/// written whole into a new folder or not at all. `restore` (run with the node stopped) puts it back.
enum NodeBackup {
    /// Files of a data directory that are not copied: the live database (copied through SQLite instead), the admin
    /// socket, what a restore set aside, and logs kept beside the data (the demo's `node.log`): they are not state.
    static func skipped(_ name: String) -> Bool {
        ["node.db", "node.db-wal", "node.db-shm", "admin.sock"].contains(name) || name.hasPrefix("replaced-")
            || name.hasSuffix(".log")
    }

    static let manifest = "backup.json"

    /// `meta` key: "MILLIS PATH" of the last backup this node wrote.
    static let lastBackupKey = "last-backup"
    /// `status --check` reports a node whose last backup is older than this (a backup job that stopped).
    static let staleAfterMillis: Int64 = 7 * 86_400_000

    /// The last backup written with `backup`: when (the node's clock) and where.
    static func last(_ db: Database) -> (at: Timestamp, path: String)? {
        guard let value = try? db.meta(lastBackupKey), let space = value.firstIndex(of: " "),
              let millis = Int64(value[..<space]) else { return nil }
        return (Timestamp(millis: millis), String(value[value.index(after: space)...]))
    }

    /// When the earliest ticket this node holds was received (nil: none), for a node never backed up.
    static func oldestTicket(_ db: Database) throws -> Timestamp? {
        var oldest: Timestamp?
        try db.forEach("SELECT MIN(received) FROM tickets") { row in oldest = row.int(0).map(Timestamp.init(millis:)) }
        return oldest
    }

    static let command = CommandHandler(spec: CommandSpec(
        name: "backup", summary: "a consistent copy of this node while it runs · 备份",
        usage: "backup --out DIR [--json]",
        options: [.value("--out", "a new folder for this backup (the node's service user must be able to create it)"),
                  .flag("--json", "print JSON")],
        examples: ["{tool} backup --data DIR --out /var/backups/hotline/NODE-2026-03-05",
                   "{tool} backup --data DIR --out /var/backups/hotline/NODE-$(date +%F) --json"],
        readsOnly: true
    )) { args, env in
        guard let out = args.value("--out") else {
            throw ServiceError.usage("backup needs --out DIR, a new folder, e.g. --out /var/backups/hotline/\(env.context.nodeId)-\(dateStamp(env.now))")
        }
        let summary = try write(env.context, to: URL(fileURLWithPath: out), now: env.now)
        env.context.log.info("backup-written", ["out": summary.path, "user": env.user, "bytes": "\(summary.databaseBytes)",
                                                "files": "\(summary.files)"])
        // A backup copies every caller's personal data: it goes into the access audit like `show`. This command
        // runs on a read-only snapshot, so the record is written on a connection of its own (SQLite serialises it
        // with the work loop's transactions).
        var unaudited = ""
        do {
            let own = try Database(path: env.context.db.path)
            try own.appendAudit(at: env.now.millis, user: env.user, command: "backup", ticket: nil,
                                fields: "all tickets, to \(summary.path)")
            // For `status` (and `status --check`, which says when the backups stopped).
            try own.setMeta(lastBackupKey, "\(summary.at.millis) \(summary.path)")
        } catch {
            env.context.log.error("audit-not-written", ["command": "backup", "user": env.user, "error": "\(error)"])
            unaudited = " (the access audit could not record it: \(error))"
        }
        let text = "backup of \(env.context.nodeId) as of \(summary.at.iso8601) written to \(summary.path): node.db "
            + "\(summary.databaseBytes / 1024) KB (quick_check ok) and \(summary.files - 1) other file(s), the data key "
            + "among them — keep it as safe as the node itself. To put it back: stop the node, then "
            + "hotline-\(env.context.role.rawValue) restore --from \(summary.path) --data DIR" + unaudited
        return .success(text: text, json: ["path": summary.path, "node": env.context.nodeId, "at": summary.at.iso8601,
                                           "databaseBytes": summary.databaseBytes, "files": summary.files])
    }

    struct Summary {
        var path: String
        var at: Timestamp
        var databaseBytes: Int
        var files: Int
    }

    static func dateStamp(_ t: Timestamp) -> String { String(t.iso8601.prefix(10)) }

    /// Writes the backup into a hidden sibling folder and renames it to `target` once every file is synced.
    static func write(_ context: NodeContext, to target: URL, now: Timestamp) throws -> Summary {
        let fm = FileManager.default
        // The daemon's working directory is not the operator's: the command line makes the folder absolute.
        guard target.relativePath.hasPrefix("/") else {
            throw ServiceError.usage("--out \(target.relativePath): give an absolute folder, e.g. /var/backups/hotline/\(context.nodeId)-\(dateStamp(now))")
        }
        let target = target.standardizedFileURL
        guard !fm.fileExists(atPath: target.path) else {
            throw ServiceError.usage("\(target.path) already exists: give a new folder for each backup, e.g. \(target.path)-2")
        }
        let parent = target.deletingLastPathComponent()
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: parent.path, isDirectory: &isDir), isDir.boolValue else {
            throw ServiceError.usage("the folder \(parent.path) does not exist: create it first (the node's service user must be able to write there)")
        }
        let partial = parent.appendingPathComponent(".\(target.lastPathComponent).partial-\(RandomID.uuid().prefix(8))")
        do {
            try fm.createDirectory(at: partial, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ServiceError.usage("cannot create \(partial.path): \(error.localizedDescription); the node's service user must be able to write in \(parent.path)")
        }
        var done = false
        defer { if !done { try? fm.removeItem(at: partial) } }

        let database = partial.appendingPathComponent("node.db")
        let keyFile = context.dir.appendingPathComponent("keys/data.key")
        var files = 0
        // A connection of its own: commands run inside a transaction, and VACUUM INTO reads its snapshot outside one.
        let source = try Database(path: context.db.path, options: DatabaseOptions(readOnly: true))
        // The database must be readable with the key file that goes with it: a key rotation between the two copies
        // (it adds the new key, re-encrypts, then drops the old one) is seen by reading the key file again after.
        for attempt in 1...3 {
            files = try copyTree(from: context.dir, to: partial)
            let keysBefore = try? Data(contentsOf: keyFile)
            try? fm.removeItem(at: database)
            try source.run("VACUUM INTO ?", [.text(database.path)])
            if (try? Data(contentsOf: keyFile)) == keysBefore { break }
            guard attempt < 3 else { throw ServiceError.refused("the data key changed three times during the backup (rotate-key running?); try again") }
        }
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: database.path)   // as the node's own file
        let copy = try Database(path: database.path, options: DatabaseOptions(readOnly: true))
        let check = try copy.query("PRAGMA quick_check").first?.string(0) ?? "no answer"
        let schema = try copy.query("PRAGMA user_version").first?.int(0) ?? 0
        guard check == "ok" else { throw ServiceError.refused("the copy did not pass PRAGMA quick_check (\(check)); nothing was kept") }
        let bytes = (try? fm.attributesOfItem(atPath: database.path)[.size] as? Int) ?? 0
        let info: [String: Any] = ["node": context.nodeId, "role": context.role.rawValue, "at": now.iso8601,
                                       "schema": schema, "databaseBytes": bytes, "version": HotlineVersion.string]
        try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys])
            .write(to: partial.appendingPathComponent(manifest))
        files += 2
        try syncTree(partial)
        do { try fm.moveItem(at: partial, to: target) } catch {
            throw ServiceError.refused("cannot rename \(partial.path) to \(target.path): \(error.localizedDescription)")
        }
        syncDirectory(parent)
        done = true
        return Summary(path: target.path, at: now, databaseBytes: bytes, files: files)
    }

    /// Copies every regular file below `from` (but the skipped ones) with its permission bits; returns the count.
    /// With `keepingExisting`, a file already at the target stays as it is.
    static func copyTree(from: URL, to: URL, keepingExisting: Bool = false) throws -> Int {
        let fm = FileManager.default
        var count = 0
        for name in try fm.contentsOfDirectory(atPath: from.path).sorted() where !skipped(name) && !name.hasPrefix(".") {
            let source = from.appendingPathComponent(name), target = to.appendingPathComponent(name)
            let attributes = try fm.attributesOfItem(atPath: source.path)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o600
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?:
                if !fm.fileExists(atPath: target.path) {
                    try fm.createDirectory(at: target, withIntermediateDirectories: false, attributes: [.posixPermissions: mode])
                }
                count += try copyTree(from: source, to: target, keepingExisting: keepingExisting)
            case .typeRegular?:
                if keepingExisting, fm.fileExists(atPath: target.path) { continue }
                try? fm.removeItem(at: target)
                try Data(contentsOf: source).write(to: target)
                try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
                count += 1
            default:
                continue   // sockets, links: nothing a node needs back
            }
        }
        return count
    }

    /// Gives every file and folder below `dir` (but what a restore set aside) to `uid`:`gid`.
    static func chownTree(_ dir: URL, uid: NSNumber, gid: NSNumber) throws {
        let fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: dir.path) where !name.hasPrefix("replaced-") && name != "admin.sock" {
            let url = dir.appendingPathComponent(name)
            try fm.setAttributes([.ownerAccountID: uid, .groupOwnerAccountID: gid], ofItemAtPath: url.path)
            if (try? fm.attributesOfItem(atPath: url.path)[.type] as? FileAttributeType) == .typeDirectory {
                try chownTree(url, uid: uid, gid: gid)
            }
        }
    }

    /// fsync of every regular file and folder below `dir` (and `dir`), so the rename publishes only durable content.
    static func syncTree(_ dir: URL) throws {
        let fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: dir.path) {
            let url = dir.appendingPathComponent(name)
            let type = try? fm.attributesOfItem(atPath: url.path)[.type] as? FileAttributeType
            if type == .typeDirectory { try syncTree(url) } else if type == .typeRegular { try syncFile(url) }
        }
        syncDirectory(dir)
    }

    /// Replaces a file of the data directory (`topology.json`, a calendar year) whole or not at all: the new
    /// content is written and synced beside it, the old one kept as `NAME.previous`, then the rename; a crash leaves
    /// one of the two complete files in place.
    static func replaceFile(_ target: URL, with data: Data) throws {
        let dir = target.deletingLastPathComponent(), name = target.lastPathComponent
        let previous = dir.appendingPathComponent(name + ".previous"), fresh = dir.appendingPathComponent(name + ".new")
        do {
            if let old = FileManager.default.contents(atPath: target.path) {
                try old.write(to: previous, options: .atomic)
                try syncFile(previous)
            }
            try data.write(to: fresh, options: .atomic)
            try syncFile(fresh)
            guard rename(fresh.path, target.path) == 0 else {
                throw ServiceError.refused("cannot rename \(fresh.path) to \(name): \(String(cString: strerror(errno)))")
            }
            syncDirectory(dir)
        } catch let error as ServiceError {
            throw error
        } catch {
            throw ServiceError.refused("cannot write \(name) into \(dir.path): \(error.localizedDescription)")
        }
    }

    /// fsync of one file: its content on the disk before a rename publishes it.
    static func syncFile(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw ServiceError.refused("cannot open \(url.path) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ServiceError.refused("fsync of \(url.path) failed: \(String(cString: strerror(errno)))") }
    }

    static func syncDirectory(_ dir: URL) {
        let fd = open(dir.path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
