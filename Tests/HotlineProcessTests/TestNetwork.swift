import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A small network of real processes on loopback with mutual TLS (certificates from deploy/pki/make-pki.sh):
///
///     t-city ─┬─ t-county ─┬─ u-street   (历下区/解放路街道)
///             │            └─ u-street2  (历下区/泉城路街道)
///             └─ u-water   (供水, city-wide)
final class TestNetwork {
    static let nodes: [(id: String, tool: String)] = [
        ("t-city", "hotline-city"), ("t-county", "hotline-county"), ("u-street", "hotline-unit"),
        ("u-street2", "hotline-unit"), ("u-water", "hotline-unit"),
    ]

    let harness: ProcessHarness
    let base: Int
    var processes: [String: Process] = [:]

    let insecure: Bool

    /// With `proxies`, every child dials its parent through a `FaultProxy` (`proxies[child]`) that can cut the link.
    var proxies: [String: FaultProxy] = [:]

    init(name: String, profile: String = "jinan-2018", start: Bool = true, insecure: Bool = false,
         proxies withProxies: Bool = false) throws {
        self.insecure = insecure
        harness = try ProcessHarness(name: name)
        base = ProcessHarness.freePortBase(count: 2)
        let topology = """
        {"profile": "\(profile)", "nodes": [
          {"id": "t-city", "kind": "city", "parent": null, "name": "测试市12345热线", "listen": "127.0.0.1:\(base)"},
          {"id": "t-county", "kind": "county", "parent": "t-city", "name": "历下区工作站", "listen": "127.0.0.1:\(base + 1)",
           "areas": ["历下区"]},
          {"id": "u-street", "kind": "unit", "parent": "t-county", "name": "解放路街道办事处",
           "areas": ["历下区/解放路街道"], "topics": ["噪声扰民", "市容环境"]},
          {"id": "u-street2", "kind": "unit", "parent": "t-county", "name": "泉城路街道办事处",
           "areas": ["历下区/泉城路街道"], "topics": ["噪声扰民", "市容环境"]},
          {"id": "u-water", "kind": "unit", "parent": "t-city", "name": "水务集团", "areas": ["*"], "topics": ["供水"]}
        ]}
        """
        let topologyFile = harness.dir.appendingPathComponent("topology.json")
        try Data(topology.utf8).write(to: topologyFile)
        let pki = harness.dir.appendingPathComponent("pki").path
        if !insecure { try Self.makePKI(topology: topologyFile, into: pki) }
        if withProxies {
            for (child, parentPort) in [("t-county", base), ("u-water", base), ("u-street", base + 1), ("u-street2", base + 1)] {
                proxies[child] = try FaultProxy(target: parentPort)
            }
        }
        for (id, tool) in Self.nodes {
            let viaProxy = proxies[id].map { ["--parent-address", "127.0.0.1:\($0.port)"] } ?? []
            try ProcessHarness.expectOK(ProcessHarness.run(tool, [
                "init", "--topology", topologyFile.path, "--id", id, "--data", harness.dataDir(id),
                "--clock", "manual", "--clock-start", "2026-03-02T09:00:00+08:00",
                "--heartbeat-seconds", "1", "--dead-after-seconds", "4", "--redial-cap-seconds", "1",
            ] + (insecure ? ["--insecure"] : ["--tls-dir", "\(pki)/\(id)"]) + viaProxy), "init \(id)")
        }
        if start { for (id, _) in Self.nodes { try self.start(id) } }
    }

    /// deploy/pki/make-pki.sh for the topology; `extra` are its options (`--days N`).
    static func makePKI(topology topologyFile: URL, into pki: String, _ extra: [String] = []) throws {
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/bin/bash")
        make.arguments = [ProcessHarness.repoRoot.appendingPathComponent("deploy/pki/make-pki.sh").path, topologyFile.path, pki] + extra
        make.standardOutput = FileHandle.nullDevice
        make.standardError = FileHandle.nullDevice
        try make.run()
        make.waitUntilExit()
        guard make.terminationStatus == 0 else { throw HarnessError.commandFailed("make-pki.sh failed") }
    }

    deinit {
        for p in processes.values where p.isRunning { p.terminate(); p.waitUntilExit() }
        for p in proxies.values { p.stop() }
        harness.cleanup()
    }

    func tool(_ id: String) -> String { Self.nodes.first { $0.id == id }!.tool }

    func start(_ id: String) throws {
        processes[id] = try harness.serve(tool(id), node: id)
    }

    /// SIGTERM (graceful) or SIGKILL (crash), then wait for the process to be gone.
    func stop(_ id: String, kill: Bool = false) {
        guard let p = processes[id] else { return }
        if kill { Glibc.kill(p.processIdentifier, SIGKILL) } else { p.terminate() }
        p.waitUntilExit()
        processes[id] = nil
    }

    /// Runs an operator command at a node and returns its result (whatever the exit status).
    @discardableResult
    func run(_ id: String, _ args: String...) throws -> ProcessHarness.Result {
        try ProcessHarness.run(tool(id), args + ["--data", harness.dataDir(id)])
    }

    /// Runs an operator command that must succeed; returns its JSON object.
    @discardableResult
    func ok(_ id: String, _ args: String...) throws -> [String: Any] {
        let r = try ProcessHarness.run(tool(id), args + ["--data", harness.dataDir(id), "--json"])
        try ProcessHarness.expectOK(r, "\(id): \(args.joined(separator: " "))")
        return r.object
    }

    func show(_ id: String, _ ticket: String) throws -> [String: Any] { try ok(id, "show", ticket) }

    func status(at id: String, of ticket: String) -> String? {
        guard let r = try? run(id, "show", ticket, "--json"), r.status == 0 else { return nil }
        return r.object["status"] as? String
    }

    func eventTypes(at id: String, of ticket: String) -> [String] {
        guard let r = try? run(id, "show", ticket, "--json"), r.status == 0,
              let events = r.object["events"] as? [[String: Any]] else { return [] }
        return events.compactMap { $0["type"] as? String }
    }

    /// Waits until `id`'s copy of the ticket has the status.
    func waitStatus(_ id: String, _ ticket: String, _ status: String, timeout: TimeInterval = 30) throws {
        try ProcessHarness.eventually("\(ticket) at \(id) to be \(status) (is \(self.status(at: id, of: ticket) ?? "absent"))",
                                      timeout: timeout) { self.status(at: id, of: ticket) == status }
    }

    /// Waits until `id`'s copy of the ticket has an event of this type.
    func waitEvent(_ id: String, _ ticket: String, _ type: String, timeout: TimeInterval = 30) throws {
        try ProcessHarness.eventually("\(type) of \(ticket) at \(id) (has \(eventTypes(at: id, of: ticket)))", timeout: timeout) {
            self.eventTypes(at: id, of: ticket).contains(type)
        }
    }

    func intake(_ extra: [String] = [], text: String = "夜间施工噪音扰民", area: String = "历下区/解放路街道",
                topic: String = "噪声扰民") throws -> String {
        let r = try ProcessHarness.run("hotline-city", ["intake", "--channel", "phone", "--kind", "complain", "--area", area,
                                                        "--topic", topic, "--text", text, "--caller-name", "张三",
                                                        "--caller-phone", "13812345678", "--json",
                                                        "--data", harness.dataDir("t-city")] + extra)
        try ProcessHarness.expectOK(r, "intake")
        guard let id = r.object["id"] as? String else { throw HarnessError.commandFailed("intake printed no id: \(r.stdout)") }
        return id
    }
}

extension ProcessHarness {
    /// `init` of `node` from `topology` into its data directory here, with `extra` flags (`--insecure`,
    /// `--tls-dir …`); a refusal fails the test with the tool's output.
    func initNode(_ tool: String, _ node: String, topology: URL, _ extra: [String]) throws {
        try Self.expectOK(Self.run(tool, ["init", "--topology", topology.path, "--id", node, "--data", dataDir(node)] + extra), "init \(node)")
    }

    static func expectOK(_ r: Result, _ what: String) throws {
        guard r.status == 0 else {
            throw HarnessError.commandFailed("\(what) exited \(r.status)\nstdout: \(r.stdout)\nstderr: \(r.stderr)")
        }
    }
}
