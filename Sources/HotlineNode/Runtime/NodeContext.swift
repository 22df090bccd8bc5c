import Foundation
import HotlineCore
import HotlineNet
import HotlineProfiles
import HotlineStore

/// What a node is, read once from its data directory: configuration, topology, profile, calendar, database.
///
/// Layout of a data directory (written by `init`):
///   node.json       the node's configuration          topology.json   the network's topology
///   profile.json    the policy profile in force       calendars/      working-day calendars, one file a year
///   tls/            ca.crt, node.crt, node.key (0600) node.db         SQLite database (WAL)
///   keys/data.key   AES-256-GCM keys sealing personal data at rest (0600)
///   admin.sock      the operators' socket (0660)
public final class NodeContext: @unchecked Sendable {
    // Immutable after init except `db` (used only by the thread that owns this context: the work loop, or the admin
    // thread answering a read-only command on a `snapshotReader()`), `clock` and `keyring` (internally locked).
    public let dir: URL
    public let config: NodeConfig
    public let topology: Topology
    /// `topology.json`'s size and modification time when it was read: `topology` and `status` look again only when
    /// the file's differ (`TopologyCommand.installedAndWaiting`).
    let topologyStamp: String?
    public let selfNode: TopologyNode
    /// The parent's id (the topology is fixed for the process): every message from a neighbour is checked against it.
    let parentID: String?
    public let profile: PolicyProfile
    /// The profile's id and a fingerprint of its rules, sent to every neighbour in hello (`ProfileStamp`).
    let profileStamp: String
    /// The working days deadlines are counted in: `calendars/` as read at start, replaced while the node runs by
    /// `calendar --install` (a deadline already given keeps its value). Shared with the snapshot readers.
    public var deadlines: DeadlineCalculator { calendarInUse.withLock { $0 } }
    private let calendarInUse: CalendarInUse
    public let db: Database
    let links: LinkStore
    /// The keys that seal personal data at rest (DIR/keys/data.key).
    let keyring: DataKeyring
    let clock: NodeClock
    public let log: Log

    public var nodeId: String { selfNode.id }
    public var role: NodeKind { selfNode.kind }

    /// Who turns callers' phones into caller keys here: the centre, the one node that computes early warnings (the
    /// repeat-caller and cluster warnings compare the keys). A county station or unit keeps none: a key there would
    /// link one caller's tickets for nothing, and cost every ticket it stores a keyed hash (a tenth of what a unit's
    /// connection thread did for an assignment: callgrind, hotline-bench hop).
    var callerTagger: CallerTagger? { role == .city ? keyring.callerTagger : nil }
    var parentNode: TopologyNode? { parentID.flatMap(topology.node) }
    /// The links this node has: its parent, and each child.
    var neighbours: [String] { (parentNode.map { [$0.id] } ?? []) + topology.children(of: nodeId).map(\.id) }
    var adminSocketPath: String { dir.appendingPathComponent("admin.sock").path }

    public init(dir: URL, log: Log) throws {
        self.dir = dir
        self.log = log
        config = try NodeConfig.load(dir: dir)
        topologyStamp = Self.stamp(of: dir.appendingPathComponent("topology.json"))
        topology = try Self.loading("topology.json", in: dir) { try Topology.load(file: $0) }
        guard let me = topology.node(config.nodeId) else {
            throw NodeError.notInTopology(config.nodeId)
        }
        selfNode = me
        parentID = topology.parent(of: me.id)?.id
        profile = try Self.loading("profile.json", in: dir) { try ProfileLibrary.load(file: $0) }
        profileStamp = ProfileStamp.of(profile)
        let calendar = try Self.loading("calendars", in: dir) { try CalendarLibrary.load(directory: $0) }
        calendarInUse = CalendarInUse(DeadlineCalculator(calendar: calendar))
        let path = dir.appendingPathComponent("node.db").path
        // A write-ahead log left behind means the last run did not end cleanly (a crash or a power loss): SQLite
        // replays the committed part and ignores a torn tail; say so, and check the file before trusting it.
        let leftover = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        Self.keepPrivate(dir: dir, database: path, log: log)
        db = try Database(path: path, options: DatabaseOptions(synchronous: config.synchronous == "normal" ? .normal : .full))
        if leftover > 0 {
            let problems = try db.integrityCheck()
            guard problems.isEmpty else { throw NodeError.damagedDatabase(path: path, problems: problems) }
            log.warn("unclean-shutdown", ["wal_bytes": "\(leftover)", "integrity": "ok",
                                          "detail": "recovered to the last committed transaction; peers resend anything unacknowledged"])
        }
        try Self.upgrade(db, role: selfNode.kind, log: log)
        keyring = try DataKeyring.open(dir: dir)
        links = LinkStore(db: db, sealer: keyring)
        let start = try db.meta("clock.manual").flatMap { Int64($0) } ?? 0
        clock = NodeClock(mode: config.clock == "manual" ? .manual : .system, manualStart: start)
    }

    /// From now on, deadlines are counted in `calendar` (`calendar --install`, on the work loop).
    func useCalendar(_ calendar: WorkingCalendar) {
        calendarInUse.withLock { $0 = DeadlineCalculator(calendar: calendar) }
    }

    /// The database readable by the node's account only, the data directory by it and the operators' group (who
    /// need to reach admin.sock): nodes initialised before 2026-12-01 have a world-readable node.db (0644) in a
    /// world-readable directory. Narrowed at start and logged; a mode that cannot be changed (the node does not own
    /// the file) is logged with what to do, and the node still starts.
    static func keepPrivate(dir: URL, database path: String, log: Log) {
        do {
            var narrowed = try Database.keepPrivate(path: path)
            var info = stat()
            if stat(dir.path, &info) == 0, info.st_mode & 0o007 != 0 {
                if chmod(dir.path, info.st_mode & 0o770) == 0 { narrowed.append(dir.path) }
            }
            if !narrowed.isEmpty {
                log.warn("made-private", ["files": narrowed.map { ($0 as NSString).lastPathComponent }.joined(separator: ","),
                                          "detail": "the database is now readable by the node's account only, the data directory not by others"])
            }
        } catch {
            log.warn("not-private", ["detail": "\(error)"])
        }
    }

    /// Brings an older database up to this release's schema before the node serves, each migration in its own
    /// transaction (stopped halfway, the file keeps the last version finished and the next start goes on). Some
    /// copy a table (migration 19: every event, 38 s for a year of a city on the bench machine), so an upgrade
    /// says when it starts and ends: a node that takes a while to listen is not to be killed.
    static func upgrade(_ db: Database, role: NodeKind, log: Log) throws {
        let migrations = NodeSchema.migrations(for: role)
        let found = Int(try db.query("PRAGMA user_version").first?.int(0) ?? 0)
        let latest = migrations.map(\.version).max() ?? 0
        guard found > 0, found < latest else { return try db.migrate(migrations) }
        log.info("schema-upgrade", ["from": "\(found)", "to": "\(latest)",
                                    "detail": "a step may copy a table: minutes on a large database, and free disk about the size of that table"])
        let started = Net.monotonicMilliseconds()
        do { try db.migrate(migrations) } catch let error as StoreError {
            // Each step is one transaction: the file is at the last step finished, nothing of the failed one.
            let reached = (try? db.query("PRAGMA user_version").first?.int(0)).map(Int.init) ?? found
            throw NodeError.upgradeFailed(reached: reached, latest: latest, error: error)
        }
        log.info("schema-upgraded", ["to": "\(latest)", "seconds": String(format: "%.1f", Double(Net.monotonicMilliseconds() - started) / 1000)])
    }

    /// The same node over a second, read-only connection (`PRAGMA query_only`): for one read-only operator command
    /// on the admin socket's thread. Its reads see the last committed state; any write fails.
    func snapshotReader() throws -> NodeContext {
        let reader = try Database(path: db.path, options: DatabaseOptions(readOnly: true))
        try reader.execute(sql: "PRAGMA query_only=ON")
        return NodeContext(copying: self, db: reader)
    }

    private init(copying other: NodeContext, db: Database) {
        dir = other.dir
        config = other.config
        topology = other.topology
        topologyStamp = other.topologyStamp
        selfNode = other.selfNode
        parentID = other.parentID
        profile = other.profile
        profileStamp = other.profileStamp
        calendarInUse = other.calendarInUse
        self.db = db
        links = LinkStore(db: db, sealer: other.keyring)
        keyring = other.keyring
        clock = other.clock
        log = other.log
    }

    /// A file's size and modification time, to see cheaply whether it was replaced.
    static func stamp(of file: URL) -> String? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: file.path) else { return nil }
        return "\((a[.size] as? Int) ?? -1):\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
    }

    func persistClock() throws {
        guard clock.mode == .manual else { return }
        try db.setMeta("clock.manual", String(clock.now.millis))
    }

    /// The node's TLS context, or nil when it runs without TLS (`--insecure`, loopback only).
    func makeTLS() throws -> TLSContext? {
        if config.insecure {
            guard topology.allAddressesAreLoopback else { throw NodeError.insecureOffLoopback }
            return nil
        }
        return try TLSContext(caFile: config.tlsCA, certificateFile: config.tlsCert, privateKeyFile: config.tlsKey)
    }
}

extension NodeContext {
    /// Loads one of the files `init` wrote into the data directory; a refusal names the file and what to do.
    static func loading<T>(_ name: String, in dir: URL, _ load: (URL) throws -> T) throws -> T {
        let url = dir.appendingPathComponent(name)
        do { return try load(url) } catch {
            var detail = "\(error)"
            // A calendar refusal counts the year files in name order: say which one it means.
            if case .unreadable(let n, _) = error as? CalendarError,
               let files = try? FileManager.default.contentsOfDirectory(atPath: url.path).filter({ $0.hasSuffix(".json") }).sorted(),
               n < files.count {
                detail += " (#\(n + 1) is \(files[n]))"
            }
            throw NodeError.unusableFile(path: url.path, detail: detail)
        }
    }
}

enum NodeError: Error, CustomStringConvertible {
    case notInTopology(String)
    case insecureOffLoopback
    case damagedDatabase(path: String, problems: [String])
    case unusableFile(path: String, detail: String)
    case upgradeFailed(reached: Int, latest: Int, error: StoreError)

    var description: String {
        switch self {
        case let .unusableFile(path, detail):
            let why = detail.hasSuffix(".") ? String(detail.dropLast()) : detail
            return "\(path) cannot be used: \(why). `init` wrote it from the files it was given: restore it from the data "
                + "directory's backup, or run `init --force` again with the same --topology and --id (the database is kept)"
        case let .damagedDatabase(path, problems):
            return "the database \(path) is damaged (\(problems.prefix(3).joined(separator: "; "))); the node will not start on it. "
                + "Keep the file for analysis and restore the data directory from its latest backup"
        case let .upgradeFailed(reached, latest, error):
            let why = error.isDiskFull
                ? "the disk is full. A step may copy a table and needs free space about that table's size: free it"
                : "\(error). Put right what it names"
            return "the database could not be upgraded from schema version \(reached) to \(latest): \(why), and start the "
                + "node again. Nothing is lost: the file is still at version \(reached) (a failed step leaves nothing behind)"
        case .notInTopology(let id):
            return "node \(id) is not in the topology of this data directory; re-run init with the right --id"
        case .insecureOffLoopback:
            return "--insecure is allowed only when every address in the topology is a loopback address; issue certificates with deploy/pki/make-pki.sh"
        }
    }
}

/// The calendar a node counts deadlines in, read by the work loop and the threads answering read-only commands.
private final class CalendarInUse: @unchecked Sendable {
    private let lock = NSLock()
    private var value: DeadlineCalculator
    init(_ value: DeadlineCalculator) { self.value = value }
    func withLock<T>(_ body: (inout DeadlineCalculator) -> T) -> T { lock.withLock { body(&value) } }
}
