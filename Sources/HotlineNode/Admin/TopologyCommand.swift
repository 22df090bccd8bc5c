import Foundation
import HotlineCore
import HotlineStore

/// `topology` — the network a node runs with, and a new topology file checked against it and installed for the
/// node's next start. A city changes its network (an agency joins, two street offices merge, a unit moves under a
/// county station): before, the only way to give a node a new file was `init --force`, which also set every option
/// of `node.json` back to its default (the operators' group, auto-sign, retention) unless each was given again, and
/// checked nothing against the node's record. A node that leaves or moves while it holds open tickets strands them:
/// messages about them would follow a path the new file no longer has.
enum TopologyCommand {
    static let command = CommandHandler(spec: CommandSpec(
        name: "topology", summary: "the network this node runs with; check and install a new topology file · 网络拓扑",
        usage: "topology [--check FILE | --install FILE] [--json]",
        options: [.value("--check", "compare this file with the topology in use: what changes, what stands in the way (exit 1 if something does)"),
                  .value("--install", "check this file and, if nothing stands in the way, install it for the node's next start"),
                  .value("--content-base64", "the file, as the client sends it (set by the client)"),
                  .flag("--json", "print JSON")],
        examples: ["{tool} topology --data DIR",
                   "{tool} topology --data DIR --check /etc/hotline/topology-2026-04.json",
                   "{tool} topology --data DIR --install /etc/hotline/topology-2026-04.json"]
    )) { args, env in
        guard let (file, data, install) = try env.sentFile(args, command: "topology") else { return try inUse(env) }
        let new: Topology
        do { new = try Topology.load(data: data) } catch { throw ServiceError.usage("\(file): \(error)") }
        let report = try Report(env: env, new: new)
        var json = report.json(file: file)
        var lines = report.lines(file: file)
        guard install else {
            // The verdict is the exit status, and its reasons are the answer: on stdout either way (as `status --check`).
            return AdminResponse(exitCode: report.blocking.isEmpty ? 0 : 1, text: lines.joined(separator: "\n"), json: json)
        }
        guard report.blocking.isEmpty else {
            throw ServiceError.refused((lines + ["nothing was installed"]).joined(separator: "\n"))
        }
        // The same network as in use, and no other file waiting for the next start: nothing to write. (With one
        // waiting, this file replaces it: the node goes on with the network it has.)
        guard !report.change.isEmpty || installedAndWaiting(env.context) else {
            return .success(text: (lines + ["nothing to install"]).joined(separator: "\n"), json: json)
        }
        try installFile(data, in: env.context.dir)
        try env.service.repository.audit(at: env.now, user: env.user, command: "topology", ticket: nil, fields: "installed:\(file)")
        env.context.log.info("topology-installed", ["file": file, "user": env.user, "added": "\(report.change.added.count)",
                                                    "removed": "\(report.change.removed.count)", "moved": "\(report.change.moved.count)",
                                                    "changed": "\(report.change.changed.count)"])
        json["installed"] = true
        lines.append("installed as \(env.context.dir.appendingPathComponent("topology.json").path) (the one before it: topology.json.previous); "
                     + "it is used from the node's next start: systemctl restart hotline-\(env.context.role.rawValue)@\(env.context.nodeId)")
        return .success(text: lines.joined(separator: "\n"), json: json)
    }

    /// The topology in use, as a tree; and whether a file installed since waits for the next start.
    static func inUse(_ env: CommandEnvironment) throws -> AdminResponse {
        let topology = env.context.topology
        var lines: [String] = []
        func walk(_ n: TopologyNode, depth: Int) {
            let mark = n.id == env.context.nodeId ? "  ← this node" : ""
            var detail = [n.kind.rawValue]
            if let l = n.listen { detail.append("listens \(l)") }
            if !n.areas.isEmpty { detail.append("areas \(n.areas.joined(separator: ","))") }
            if !n.topics.isEmpty { detail.append("topics \(n.topics.joined(separator: ","))") }
            lines.append(String(repeating: "  ", count: depth) + "\(n.id) \(n.name) (\(detail.joined(separator: "; ")))\(mark)")
            for c in topology.children(of: n.id) { walk(c, depth: depth + 1) }
        }
        if let city = topology.city { walk(city, depth: 0) }
        let waiting = installedAndWaiting(env.context)
        lines.append("\(topology.nodes.count) nodes" + (waiting ? "; a new topology file is installed and is used from the next start" : ""))
        let nodes: [[String: Any]] = topology.nodes.map { n in
            var o: [String: Any] = ["id": n.id, "kind": n.kind.rawValue, "name": n.name, "areas": n.areas, "topics": n.topics]
            if let p = n.parent { o["parent"] = p }
            if let l = n.listen { o["listen"] = l.description }
            return o
        }
        return .success(text: lines.joined(separator: "\n"), json: ["node": env.context.nodeId, "nodes": nodes, "installedForNextStart": waiting])
    }

    /// Whether `topology.json` differs from the topology the node started with (installed since, not yet in use).
    /// One `stat` while the file is the one the node read (`status` asks every time).
    static func installedAndWaiting(_ context: NodeContext) -> Bool {
        let url = context.dir.appendingPathComponent("topology.json")
        guard NodeContext.stamp(of: url) != context.topologyStamp, let file = try? Topology.load(file: url) else { return false }
        return file.nodes != context.topology.nodes
    }

    /// `topology.json` replaced whole, the one before kept as `topology.json.previous` (`NodeBackup.replaceFile`).
    static func installFile(_ data: Data, in dir: URL) throws {
        try NodeBackup.replaceFile(dir.appendingPathComponent("topology.json"), with: data)
    }

    /// The change and what this node's record says stands in the way of it.
    struct Report {
        let node: String
        let change: TopologyChange
        let blocking: [String]
        /// The file's `profile` when it is not the one this node runs: a profile is chosen at `init` (profile.json)
        /// and a topology file does not change it.
        let otherProfile: (file: String, inUse: String)?

        init(env: CommandEnvironment, new: Topology) throws {
            let context = env.context, old = context.topology
            node = context.nodeId
            change = TopologyChange(from: old, to: new, node: node)
            otherProfile = new.profile.flatMap { $0 == context.profile.id ? nil : ($0, context.profile.id) }
            var blocking = change.refusals
            if context.config.insecure && !new.allAddressesAreLoopback {
                blocking.append("this node runs without TLS (--insecure), which is allowed only while every address in the topology is a loopback address; the new file has others: initialise the node with certificates first")
            }
            let pending = Dictionary(env.links.map { ($0.peer, $0.pending) }, uniquingKeysWith: { a, _ in a })
            for id in change.leaving {
                // Messages waiting on the link that goes: to the neighbour that leaves, or (this node moving) to the old parent.
                let link = id == node ? context.parentID : (context.neighbours.contains(id) ? id : nil)
                if let link, let waiting = pending[link], waiting > 0 {
                    blocking.append("\(waiting) message(s) wait on the link to \(link): let them be delivered first (`status` shows the queue)")
                }
                let below = old.nodes.map(\.id).filter { old.isInSubtree($0, of: id) }
                let (count, examples) = try Self.openTickets(heldBy: below, db: context.db)
                if count > 0 {
                    let what = change.removed.contains { $0.id == id } ? "leaves the network" : "moves in the tree"
                    let whom = below.count > 1 ? "\(id) and the nodes below it hold" : "\(id) holds"
                    blocking.append("\(id) \(what), and \(whom) \(count) open ticket(s) (\(examples.joined(separator: ", "))\(count > examples.count ? ", …" : "")): they must be finished, or returned to the centre, before it goes (`list --node \(id)`)")
                }
            }
            self.blocking = blocking
        }

        /// How many unfinished tickets these nodes hold at this node's record, and the first few ids.
        static func openTickets(heldBy nodes: [String], db: Database) throws -> (Int, [String]) {
            guard !nodes.isEmpty else { return (0, []) }
            return try NodeSchema.openTickets(db, where: "holder IN (\(nodes.map { _ in "?" }.joined(separator: ",")))", nodes.map { SQLValue.text($0) })
        }

        func lines(file: String) -> [String] {
            var out = ["\(file) against the topology \(node) runs with:"]
            if change.isEmpty { out.append("  the same network: nothing changes") }
            for n in change.added { out.append("  added    \(n.id) \(n.name) (\(n.kind.rawValue) under \(n.parent ?? "-"))") }
            for n in change.removed { out.append("  removed  \(n.id) \(n.name) (\(n.kind.rawValue) under \(n.parent ?? "-"))") }
            for m in change.moved {
                out.append("  moved    \(m.id) \(m.to.name): \(m.from.kind.rawValue) under \(m.from.parent ?? "-") → \(m.to.kind.rawValue) under \(m.to.parent ?? "-")")
            }
            for c in change.changed { out.append("  changed  \(c.id): \(c.fields.joined(separator: ", "))") }
            if !change.linksAdded.isEmpty || !change.linksRemoved.isEmpty {
                out.append("this node's links: " + (change.linksAdded.map { "+\($0)" } + change.linksRemoved.map { "-\($0)" }).joined(separator: " "))
            }
            if let p = otherProfile {
                out.append("note: the file names the profile \(p.file); this node runs \(p.inUse), chosen at init (profile.json), which the topology does not change")
            }
            if !change.isEmpty {
                out.append("install it and restart, for the change to work: \(change.affected.joined(separator: ", ")) (the others at their next restart)")
            }
            if blocking.isEmpty {
                out.append(change.isEmpty ? "OK: nothing to do" : "OK: nothing in this node's record stands in the way")
            } else {
                out.append("ATTENTION: \(blocking.count) thing(s) stand in the way:")
                out += blocking.map { "- \($0)" }
            }
            return out
        }

        func json(file: String) -> [String: Any] {
            func summary(_ n: TopologyNode) -> [String: Any] {
                var o: [String: Any] = ["id": n.id, "kind": n.kind.rawValue, "name": n.name]
                if let p = n.parent { o["parent"] = p }
                return o
            }
            return [
                "file": file, "node": node, "installable": blocking.isEmpty, "installed": false, "blocking": blocking,
                "added": change.added.map(summary), "removed": change.removed.map(summary),
                "moved": change.moved.map { ["id": $0.id, "from": summary($0.from), "to": summary($0.to)] },
                "changed": change.changed.map { ["id": $0.id, "fields": $0.fields] },
                "links": ["added": change.linksAdded, "removed": change.linksRemoved], "restart": change.affected,
            ]
        }
    }
}
