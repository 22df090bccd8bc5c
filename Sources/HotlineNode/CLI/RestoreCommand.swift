import Foundation
import HotlineCore
import HotlineNet
import HotlineStore
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// 恢复 — puts a folder written by `backup` back in place of a lost or damaged database, with the node stopped.
///
/// A restored database is older than what its neighbours know of it: a neighbour holds messages from this node
/// beyond its outbox counter, and has dropped messages this node had acknowledged after the backup. Left alone,
/// the link protocol refuses to resume (`seq-from-future`, `internal`), rightly, since a replaced database is
/// otherwise a fault. `restore` marks each of the node's links (`marker`): the node says `restored` in its hello,
/// continues its numbering after what the neighbour holds, and accepts the neighbour's first message after the gap;
/// the neighbour skips what it no longer holds (protocols/README.md §4, "Resuming after a restore"). The tickets
/// those lost messages changed come back from the centre: `hotline-city resync --node NODE --since DATE`.
enum NodeRestore {
    /// The `meta` key that marks the link to `peer` as resuming after a restore, until data comes in on it.
    static func marker(_ peer: String) -> String { "link.restored.\(peer)" }

    /// A restored centre's ticket numbers: the lost database gave out numbers the backup does not know, from the
    /// backup's day on, and units hold those tickets; reused, an assignment would overwrite another ticket there.
    /// So from that day on, each day's numbers start above a floor: 100,000 times the restores so far (a city takes
    /// far fewer than 100,000 requests a day), nil when there is none.
    static func ticketFloor(_ db: Database, on day: LocalDate) throws -> Int64? {
        guard let text = try db.meta("restored.ticket-floor") else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 2, let from = LocalDate(iso: String(parts[0])), let floor = Int64(parts[1]) else { return nil }
        return day >= from ? floor : nil
    }

    /// The `meta` key holding the link's outbox counter as the backup left it, until the peer's first hello after
    /// the restore has settled the numbering (`LinkSession.reseatAbove`).
    static func numberingMarker(_ peer: String) -> String { "link.reseat-above.\(peer)" }

    static let spec = CommandSpec(
        name: "restore", summary: "put a backup back in place, with the node stopped · 恢复备份",
        usage: "restore --from BACKUP --data DIR",
        options: [.value("--from", "a folder written by `backup`")],
        examples: ["{tool} restore --from /var/backups/hotline/NODE-2026-03-05 --data /var/lib/hotline/NODE"]
    )

    static func run(role: NodeKind, _ args: ParsedArguments) throws -> String {
        guard let from = args.value("--from") else {
            throw ServiceError.usage("give --from BACKUP, a folder written by `backup`")
        }
        guard let data = args.value("--data") ?? ProcessInfo.processInfo.environment["HOTLINE_DATA"] else {
            throw ServiceError.usage("give --data DIR (the node's data directory), or set HOTLINE_DATA")
        }
        let fm = FileManager.default
        let source = URL(fileURLWithPath: from).standardizedFileURL, dir = URL(fileURLWithPath: data).standardizedFileURL

        // What the backup is.
        guard let manifestData = fm.contents(atPath: source.appendingPathComponent(NodeBackup.manifest).path),
              let manifest = try? JSONSerialization.jsonObject(with: manifestData) as? [String: Any],
              let node = manifest["node"] as? String, let kind = manifest["role"] as? String, let at = manifest["at"] as? String
        else {
            throw ServiceError.usage("\(source.path) is not a backup written by `backup` (its \(NodeBackup.manifest) is missing or unreadable)")
        }
        guard kind == role.rawValue else {
            throw ServiceError.usage("\(source.path) is a backup of \(node), a \(kind): restore it with hotline-\(kind) restore")
        }
        if let current = try? NodeConfig.load(dir: dir), current.nodeId != node {
            throw ServiceError.usage("\(dir.path) belongs to \(current.nodeId) but the backup is of \(node): restore it into \(node)'s data directory (or an empty one)")
        }

        // The node must be stopped: a running one holds the database open and would write over the restored file.
        let socket = dir.appendingPathComponent("admin.sock").path
        if fm.fileExists(atPath: socket),
           (try? UnixSocketClient.request(path: socket, bytes: AdminRequest.encode(argv: ["status"]), timeoutMilliseconds: 5_000)) != nil {
            throw ServiceError.usage("\(node) is running: stop it first (systemctl stop hotline-\(role.rawValue)@\(node), or SIGTERM), then restore")
        }

        // The backup's database must be whole before anything is moved.
        let backupDB = source.appendingPathComponent("node.db")
        do {
            let check = try Database(path: backupDB.path, options: DatabaseOptions(readOnly: true))
                .query("PRAGMA quick_check").first?.string(0) ?? "no answer"
            guard check == "ok" else { throw ServiceError.refused("PRAGMA quick_check: \(check)") }
        } catch {
            throw ServiceError.refused("the backup's database \(backupDB.path) cannot be used (\(error)); nothing was changed, try an older backup")
        }

        // How often this centre was restored already, by what is there now if it can still be read (a backup older
        // than an earlier restore does not know of it, and its numbers would start at the same floor again).
        let existing = dir.appendingPathComponent("node.db").path
        let restoresBefore = fm.fileExists(atPath: existing)
            ? (try? Database(path: existing, options: DatabaseOptions(readOnly: true)).meta("restored.count")).flatMap { $0.flatMap { Int64($0) } } ?? 0
            : 0

        // What is there is set aside, never deleted.
        // (A new data directory as `init` makes one: the operators' group reaches admin.sock in it.)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        var aside = dir.appendingPathComponent("replaced-\(stamp)")
        var n = 1
        while fm.fileExists(atPath: aside.path) {
            n += 1
            aside = dir.appendingPathComponent("replaced-\(stamp)-\(n)")
        }
        var setAside: [String] = []
        for name in ["node.db", "node.db-wal", "node.db-shm", "keys"] where fm.fileExists(atPath: dir.appendingPathComponent(name).path) {
            if setAside.isEmpty { try fm.createDirectory(at: aside, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700]) }
            try fm.moveItem(at: dir.appendingPathComponent(name), to: aside.appendingPathComponent(name))
            setAside.append(name)
        }

        // The backup's key file (it holds the keys its database is sealed under; the one that was here is set aside),
        // and of the rest only what is missing: a topology, profile or certificate changed since the backup stays as
        // it is now (a child added since, a renewed certificate). Then the database, through a temporary name, so a
        // half-copied file is never node.db.
        _ = try NodeBackup.copyTree(from: source, to: dir, keepingExisting: true)
        try? fm.removeItem(at: dir.appendingPathComponent(NodeBackup.manifest))
        let partial = dir.appendingPathComponent(".node.db.restoring")
        try? fm.removeItem(at: partial)
        try fm.copyItem(at: backupDB, to: partial)
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: partial.path)
        try NodeBackup.syncTree(dir)
        try fm.moveItem(at: partial, to: dir.appendingPathComponent("node.db"))
        NodeBackup.syncDirectory(dir)

        // Certificates and keys live in the data directory: point the configuration at this one's.
        var config = try NodeConfig.load(dir: dir)
        for path in [\NodeConfig.tlsCA, \NodeConfig.tlsCert, \NodeConfig.tlsKey] where !config[keyPath: path].isEmpty {
            let local = dir.appendingPathComponent("tls").appendingPathComponent(URL(fileURLWithPath: config[keyPath: path]).lastPathComponent)
            if fm.fileExists(atPath: local.path) { config[keyPath: path] = local.path }
        }
        try config.save(dir: dir)

        // Every link of the node resumes as after a restore.
        let topology = try Topology.load(data: try InitCommand.readFile(dir.appendingPathComponent("topology.json"), what: "topology"))
        let peers = (topology.parent(of: node).map { [$0.id] } ?? []) + topology.children(of: node).map(\.id)
        try markLinks(peers, in: dir, at: at, source: source.path, role: role, restoresBefore: restoresBefore)
        // Run as root, the copies belong to root, and the node's service user could not open them: they are given
        // to whoever owns the data directory (the service user, when it was made by `sudo -u hotline … init`).
        let owner = try fm.attributesOfItem(atPath: dir.path)
        if geteuid() == 0, let uid = owner[.ownerAccountID] as? NSNumber, let gid = owner[.groupOwnerAccountID] as? NSNumber,
           uid.intValue != 0 {
            try NodeBackup.chownTree(dir, uid: uid, gid: gid)
        }

        let kept = (setAside.isEmpty ? "" : " The database and key file that were here are kept in \(aside.path).")
            + " Configuration files already here (topology, profile, certificates) were kept; missing ones came from the backup."
        let resync = role == .city
            ? " Then: hotline-city recover --data \(dir.path) --since \(at.prefix(10)) (the county stations and units send back "
              + "their copies of the tickets changed since the backup, and the centre takes what its record lacks; until then it "
              + "sends no ticket.sync, which would replace their newer copies)."
            : " Then, at the centre: hotline-city resync --node \(node) --since \(at.prefix(10)) "
              + "(the tickets changed since the backup come back from the centre's record)."
        return "restored \(node) from the backup of \(at) (\(source.path)).\(kept) Start the node: its \(peers.count) link(s) "
            + "resume after the restore (logged as link-reseated, link-gap-accepted).\(resync) Whatever was recorded here after "
            + "the backup and had not yet reached a neighbour is lost with the old disk: compare `list` with the centre."
    }

    /// Marks every link of the node as restored (`marker`, `numberingMarker`), and a centre's ticket numbers (`ticketFloor`),
    /// on a connection closed before the files are handed to the service user.
    private static func markLinks(_ peers: [String], in dir: URL, at: String, source: String, role: NodeKind,
                                  restoresBefore: Int64) throws {
        let db = try Database(path: dir.appendingPathComponent("node.db").path, options: DatabaseOptions())
        try db.transaction {
            let links = LinkStore(db: db)
            for peer in peers {
                try db.setMeta(marker(peer), at)
                try db.setMeta(numberingMarker(peer), String(try links.lastAssigned(link: peer)))
            }
            try db.setMeta("restored.from", at)
            // The backup put back is this database's last one (the copy holds the one before it).
            if let millis = Timestamp(iso8601: at)?.millis {
                try db.setMeta(NodeBackup.lastBackupKey, "\(millis) \(source)")
            }
            if role == .city {
                let restores = max(Int64(try db.meta("restored.count") ?? "0") ?? 0, restoresBefore) + 1
                try db.setMeta("restored.count", String(restores))
                try db.setMeta("restored.ticket-floor", "\(at.prefix(10)) \(min(restores, 9) * 100_000)")
                try db.setMeta(TicketService.awaitingRecoverKey, at)
            }
        }
    }
}
