import Foundation
import HotlineCore
import HotlineNet
import HotlineProfiles
import HotlineStore

/// `hotline-<role> init`: prepares a node's data directory once, so `serve --data DIR` is all a service file needs.
enum InitCommand {
    static let spec = CommandSpec(
        name: "init",
        summary: "prepare a node's data directory (configuration, topology, profile, calendars, certificates, database) · 初始化节点",
        usage: "init --topology FILE --id NODE --data DIR [--profile NAME | --profile-file FILE] [--tls-dir DIR | --insecure] [--clock system|manual] [--clock-start TIME] [--admin-group G] [--retention-days N] [--calendar-dir DIR] [--force]",
        options: [
            OptionSpec(name: "--topology", kind: .value, help: "the network's topology file (JSON)"),
            OptionSpec(name: "--id", kind: .value, help: "this node's id in the topology"),
            OptionSpec(name: "--data", kind: .value, help: "the data directory to create"),
            OptionSpec(name: "--profile", kind: .value, help: "a built-in policy profile (default: the topology's \"profile\", else jinan-2018)"),
            OptionSpec(name: "--profile-file", kind: .value, help: "a policy profile file (a sixth city)"),
            OptionSpec(name: "--tls-dir", kind: .value, help: "directory with ca.crt, node.crt, node.key from deploy/pki/make-pki.sh"),
            OptionSpec(name: "--insecure", kind: .flag, help: "plaintext links; only when every address in the topology is loopback"),
            OptionSpec(name: "--clock", kind: .value, help: "system (default) or manual (training and tests)"),
            OptionSpec(name: "--clock-start", kind: .value, help: "manual clock's first instant, ISO 8601 (default: now)"),
            OptionSpec(name: "--admin-group", kind: .value, help: "group allowed to use the admin socket (mode 0660)"),
            OptionSpec(name: "--retention-days", kind: .value, help: "days a closed ticket's personal fields are kept at counties and units (default 180)"),
            OptionSpec(name: "--calendar-dir", kind: .value, help: "extra working-day calendar files (<year>.json)"),
            OptionSpec(name: "--heartbeat-seconds", kind: .value, help: "heartbeat on an idle link every N s (default 5)"),
            OptionSpec(name: "--dead-after-seconds", kind: .value, help: "close a link silent for N s (default 15)"),
            OptionSpec(name: "--redial-cap-seconds", kind: .value, help: "longest wait between dials of the parent (default 30)"),
            OptionSpec(name: "--parent-address", kind: .value, help: "dial the parent here instead of its topology address (host:port; a gateway in between)"),
            OptionSpec(name: "--slow-round-ms", kind: .value, help: "log a work-loop round that takes N ms or more as slow-round, saying where the time went (default 1000)"),
            OptionSpec(name: "--auto-sign", kind: .flag, help: "units only: sign for (签收) each ticket this unit leads as it arrives (an agency gateway)"),
            OptionSpec(name: "--force", kind: .flag, help: "rewrite the configuration of an existing data directory (the database is kept)"),
        ],
        examples: [
            "{tool} init --topology /etc/hotline/topology.json --id NODE --data /var/lib/hotline/NODE --tls-dir /etc/hotline/pki/NODE",
            "{tool} init --topology topology.json --id NODE --data ./NODE --insecure --clock manual --clock-start 2026-03-02T08:30:00+08:00",
        ])

    static func run(role: NodeKind, _ args: ParsedArguments) throws -> String {
        guard let topologyPath = args.value("--topology"), let id = args.value("--id"), let data = args.value("--data") else {
            throw ServiceError.usage("init needs --topology FILE --id NODE --data DIR")
        }
        let topologyURL = URL(fileURLWithPath: topologyPath)
        let topologyData = try readFile(topologyURL, what: "topology")
        let topology = try Topology.load(data: topologyData)
        guard let node = topology.node(id) else {
            throw ServiceError.usage("node \(id) is not in \(topologyPath); its nodes are: \(topology.nodes.map(\.id).joined(separator: ", "))")
        }
        guard node.kind == role else {
            throw ServiceError.usage("node \(id) is a \(node.kind.rawValue) in the topology: use hotline-\(node.kind.rawValue) init")
        }
        let dir = URL(fileURLWithPath: data)
        let fm = FileManager.default
        if fm.fileExists(atPath: dir.appendingPathComponent("node.json").path) {
            guard args.flag("--force") else {
                throw ServiceError.usage("\(data) is already initialised; use --force to rewrite its configuration (the database is kept)")
            }
            try refuseNetworkChange(dir: dir, to: topology, file: topologyPath)
        }
        let profileData: Data
        if let file = args.value("--profile-file") {
            profileData = try readFile(URL(fileURLWithPath: file), what: "profile")
            _ = try ProfileLibrary.load(file: URL(fileURLWithPath: file))
        } else {
            let name = args.value("--profile") ?? topology.profile ?? "jinan-2018"
            profileData = try ProfileLibrary.builtinData(name)
        }
        let insecure = args.flag("--insecure")
        if insecure && !topology.allAddressesAreLoopback {
            throw NodeError.insecureOffLoopback
        }
        let clock = args.value("--clock") ?? "system"
        guard clock == "system" || clock == "manual" else {
            throw ServiceError.usage("--clock is system or manual, not \(clock)")
        }
        // The data directory: the node's account and the operators' group (admin.sock is in it), nobody else.
        if !fm.fileExists(atPath: dir.path) {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        }
        try fm.createDirectory(at: dir.appendingPathComponent("tls"), withIntermediateDirectories: true,
                               attributes: [.posixPermissions: 0o750])
        try fm.createDirectory(at: dir.appendingPathComponent("calendars"), withIntermediateDirectories: true)
        try topologyData.write(to: dir.appendingPathComponent("topology.json"))
        try profileData.write(to: dir.appendingPathComponent("profile.json"))
        let calendars = CalendarLibrary.builtinFiles()
        guard !calendars.isEmpty else {
            throw ServiceError.usage("the bundled working-day calendars were not found next to the executable; set HOTLINE_RESOURCES to the folder holding profiles/ and calendars/ (see README, installation)")
        }
        for (name, bytes) in calendars {
            try bytes.write(to: dir.appendingPathComponent("calendars/\(name)"))
        }
        if let extra = args.value("--calendar-dir") {
            for file in try fm.contentsOfDirectory(atPath: extra) where file.hasSuffix(".json") {
                try readFile(URL(fileURLWithPath: extra).appendingPathComponent(file), what: "calendar")
                    .write(to: dir.appendingPathComponent("calendars/\(file)"))
            }
        }
        var config = NodeConfig(nodeId: id, role: role)
        config.clock = clock
        config.insecure = insecure
        config.adminGroup = args.value("--admin-group")
        if let days = try args.int("--retention-days") { config.retentionDays = days }
        if let n = try args.int("--heartbeat-seconds") { config.heartbeatSeconds = n }
        if let n = try args.int("--dead-after-seconds") { config.deadAfterSeconds = n }
        if let n = try args.int("--redial-cap-seconds") { config.redialCapSeconds = n }
        if let n = try args.int("--slow-round-ms") { config.slowRoundMilliseconds = n }
        config.parentAddress = args.value("--parent-address")
        config.autoSign = args.flag("--auto-sign")
        try config.validate()
        config.tlsCA = dir.appendingPathComponent("tls/ca.crt").path
        config.tlsCert = dir.appendingPathComponent("tls/node.crt").path
        config.tlsKey = dir.appendingPathComponent("tls/node.key").path
        if !insecure {
            guard let tlsDir = args.value("--tls-dir") else {
                throw ServiceError.usage("links use mutual TLS: give --tls-dir DIR (from deploy/pki/make-pki.sh), or --insecure on a loopback-only topology")
            }
            for (file, mode) in [("ca.crt", 0o644), ("node.crt", 0o644), ("node.key", 0o600), ("crl.pem", 0o644)] {
                let target = dir.appendingPathComponent("tls/\(file)")
                let source = URL(fileURLWithPath: tlsDir).appendingPathComponent(file)
                // The revocation list exists once a certificate was revoked (make-pki.sh --revoke).
                if file == "crl.pem" && !fm.fileExists(atPath: source.path) { continue }
                try? fm.removeItem(at: target)
                try readFile(source, what: "TLS").write(to: target)
                try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
            }
            let tls = try TLSContext(directory: dir.appendingPathComponent("tls").path)
            guard tls.ownIdentity?.names(contain: id) == true else {
                throw ServiceError.usage("the certificate in \(tlsDir) does not name \(id) (it names \(tls.ownIdentity?.names.joined(separator: ",") ?? "nothing"))")
            }
        }
        try config.save(dir: dir)
        _ = try Database.keepPrivate(path: dir.appendingPathComponent("node.db").path)
        let db = try Database(path: dir.appendingPathComponent("node.db").path, options: DatabaseOptions())
        try db.migrate(NodeSchema.migrations(for: role))
        _ = try DataKeyring.open(dir: dir)
        if clock == "manual", try db.meta("clock.manual") == nil {
            let start: Timestamp
            if let text = args.value("--clock-start") {
                guard let t = Timestamp(iso8601: text) else {
                    throw ServiceError.usage("--clock-start \(text) is not ISO 8601, e.g. 2026-03-02T08:30:00+08:00")
                }
                start = t
            } else {
                start = Timestamp(millis: Int64(Date().timeIntervalSince1970 * 1000))
            }
            try db.setMeta("clock.manual", String(start.millis))
        }
        return "initialised \(node.name) (\(id), \(role.rawValue)) in \(data); start it with: hotline-\(role.rawValue) serve --data \(data)"
    }

    /// `init --force` rewrites a node's configuration with the network it has (a damaged file, other options). A
    /// node that holds tickets gets a changed network through `topology --install`, which checks that no ticket it
    /// holds is stranded by it and keeps the node's options; a node without tickets may be given any network here.
    static func refuseNetworkChange(dir: URL, to topology: Topology, file: String) throws {
        guard let installed = try? Topology.load(file: dir.appendingPathComponent("topology.json")),
              installed.nodes != topology.nodes else { return }
        let path = dir.appendingPathComponent("node.db").path
        guard FileManager.default.fileExists(atPath: path),
              let db = try? Database(path: path, options: DatabaseOptions(readOnly: true)),
              (try? db.query("SELECT 1 FROM tickets LIMIT 1").isEmpty) == false else { return }
        throw ServiceError.usage("\(file) is another network than the one in \(dir.path)/topology.json, and this node holds tickets: "
                                 + "change its network with `topology --check \(file)` and `topology --install \(file)` on the running node "
                                 + "(they check that no ticket it holds is stranded, and keep its options); init --force rewrites the configuration with the same network")
    }

    @discardableResult
    static func readFile(_ url: URL, what: String) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw ServiceError.usage("cannot read the \(what) file \(url.path): \(error.localizedDescription)")
        }
    }
}
