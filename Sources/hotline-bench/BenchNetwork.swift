import Foundation
import HotlineNet
import HotlineWire
@preconcurrency import Glibc

/// A network of real node processes for one scenario: its own folder, topology, certificates, data directories
/// and loopback ports. Nodes are the installed `hotline-city|county|unit` executables next to this bench.
///
///     b-city ─┬─ b-east ─┬─ b-east-1, b-east-2, b-east-3     (东城区 and three streets)
///             ├─ b-west ─┬─ b-west-1, b-west-2, b-west-3     (西城区)
///             └─ b-direct  (水务集团, a city-level unit, the neighbour of the hop and latency scenarios)
final class BenchNetwork: @unchecked Sendable {
    // `nodes` is changed only by the thread running the scenario (start/stop); the admin calls other threads make
    // read nothing mutable.
    static let counties = ["b-east": "东城区", "b-west": "西城区"]
    static let units = (1...3).flatMap { i in ["b-east-\(i)", "b-west-\(i)"] }.sorted()

    let dir: URL
    /// `dir` as a path: an admin command joins strings rather than URLs (URL joins were 9 % of the bench's CPU).
    private let dirPath: String
    let base: Int
    let pki: URL?
    let topologyFile: URL
    private(set) var nodes: [String: NodeProcess] = [:]

    /// - Parameter tls: issue certificates (deploy/pki/make-pki.sh) and run the links over mutual TLS, as in
    ///   production; otherwise plaintext on loopback (`--insecure`).
    init(dir: URL, tls: Bool) throws {
        self.dir = dir
        dirPath = dir.path
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        base = try Self.freePorts(3)
        var nodes: [String] = [
            #"{"id": "b-city", "kind": "city", "parent": null, "name": "基准市12345热线", "listen": "127.0.0.1:\#(base)"}"#,
            #"{"id": "b-direct", "kind": "unit", "parent": "b-city", "name": "水务集团", "areas": ["*"], "topics": ["供水"]}"#,
        ]
        for (offset, (id, district)) in Self.counties.sorted(by: { $0.key < $1.key }).enumerated() {
            nodes.append(#"{"id": "\#(id)", "kind": "county", "parent": "b-city", "name": "\#(district)工作站", "listen": "127.0.0.1:\#(base + 1 + offset)", "areas": ["\#(district)"]}"#)
            for i in 1...3 {
                nodes.append(#"{"id": "\#(id)-\#(i)", "kind": "unit", "parent": "\#(id)", "name": "\#(district)第\#(i)街道办事处", "areas": ["\#(district)/第\#(i)街道"], "topics": ["噪声扰民", "市容环境"]}"#)
            }
        }
        let topology = "{\"profile\": \"jinan-2018\", \"nodes\": [\n  " + nodes.joined(separator: ",\n  ") + "\n]}\n"
        topologyFile = dir.appendingPathComponent("topology.json")
        try Data(topology.utf8).write(to: topologyFile)
        if tls {
            let pkiDir = dir.appendingPathComponent("pki")
            try Self.run("/bin/bash", [try Self.repositoryFile("deploy/pki/make-pki.sh").path, topologyFile.path, pkiDir.path])
            pki = pkiDir
        } else {
            pki = nil
        }
    }

    var cityPort: Int { base }
    func port(of county: String) -> Int { base + 1 + Self.counties.keys.sorted().firstIndex(of: county)! }
    func dataDir(_ id: String) -> URL { dir.appendingPathComponent("data/\(id)") }
    func tlsDir(_ id: String) -> String? { pki.map { $0.appendingPathComponent(id).path } }

    static func tool(for id: String) -> String {
        id == "b-city" ? "hotline-city" : counties[id] != nil ? "hotline-county" : "hotline-unit"
    }

    /// `init` for one node (system clock, production defaults) plus any extra flags.
    func initialize(_ id: String, _ extra: [String] = []) throws {
        var args = ["init", "--topology", topologyFile.path, "--id", id, "--data", dataDir(id).path,
                    "--heartbeat-seconds", "1", "--dead-after-seconds", "5", "--redial-cap-seconds", "1"]
        args += tlsDir(id).map { ["--tls-dir", $0] } ?? ["--insecure"]
        try Self.run(Self.executable(Self.tool(for: id)).path, args + extra)
    }

    /// Starts `serve` and waits for its `ready` line; returns the process.
    @discardableResult
    func start(_ id: String) throws -> NodeProcess {
        let p = try NodeProcess(id: id, executable: Self.executable(Self.tool(for: id)), data: dataDir(id))
        nodes[id] = p
        guard p.waitFor(event: "ready", timeout: 30) != nil else {
            throw BenchError.failed("\(id) did not become ready within 30 s; its log:\n\(p.logTail())")
        }
        return p
    }

    func stop(_ id: String, kill: Bool = false) {
        nodes[id]?.stop(kill: kill)
        nodes[id] = nil
    }

    func stopAll() { for id in nodes.keys { stop(id) } }

    /// One operator command over the node's admin socket (what the hotline-* tools send), without starting a
    /// process per command: the bench measures the node, not process start-up.
    func admin(_ id: String, _ argv: [String]) throws -> (exit: Int, json: Any?) {
        try Self.admin(socket: dirPath + "/data/" + id + "/admin.sock", argv)
    }

    private struct AdminArgv: Encodable { var argv: [String] }

    static func admin(socket: String, _ argv: [String]) throws -> (exit: Int, json: Any?) {
        try parse(try request(socket: socket, argv), argv)
    }

    private static func request(socket: String, _ argv: [String]) throws -> [UInt8] {
        // The nodes' own encoder: JSONSerialization took a fifth of the bench's CPU in the lifecycle scenario.
        let request = try JSONStreamEncoder.encode(AdminArgv(argv: argv + ["--json"]))
        do { return try UnixSocketClient.request(path: socket, bytes: request, timeoutMilliseconds: 120_000) } catch {
            throw BenchError.failed("admin request \(argv.joined(separator: " ")) failed: \(error)")
        }
    }

    private static func parse(_ bytes: [UInt8], _ argv: [String]) throws -> (exit: Int, json: Any?) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw BenchError.failed("unreadable admin response to \(argv.joined(separator: " "))")
        }
        return ((object["exit"] as? Int) ?? 1, object["json"])
    }

    /// An answer's exit status and, when asked for, the part of its JSON a step reads.
    private struct Reply<T: Decodable>: Decodable {
        var exit: Int
        var json: T?
    }

    /// Any JSON value, not read.
    struct Unread: Decodable { init(from decoder: any Decoder) {} }

    /// Runs a command that must succeed and returns what `T` reads of its answer's JSON: only that is decoded, by the
    /// nodes' reader, and the whole answer by `JSONSerialization` only for the error of one that failed (the
    /// lifecycle's steps and the latency's dispatches; the bench shares the 2 cores with the nodes it measures).
    func run<T: Decodable>(_ id: String, _ argv: [String], answer: T.Type) throws -> T {
        let bytes = try Self.request(socket: dirPath + "/data/" + id + "/admin.sock", argv)
        if let reply = try? JSONStreamDecoder.decode(Reply<T>.self, from: bytes), reply.exit == 0, let json = reply.json {
            return json
        }
        throw BenchError.failed("\(id): \(argv.joined(separator: " ")) → \(try Self.parse(bytes, argv).json ?? "no answer")")
    }

    /// `run` for a command whose answer is not read.
    func run(_ id: String, _ argv: [String]) throws { _ = try run(id, argv, answer: Unread.self) }

    /// Like `admin`, but the command must succeed.
    @discardableResult
    func ok(_ id: String, _ argv: [String]) throws -> Any? {
        let r = try admin(id, argv)
        guard r.exit == 0 else { throw BenchError.failed("\(id): \(argv.joined(separator: " ")) → \(r.json ?? "no answer")") }
        return r.json
    }

    /// Messages waiting in `id`'s outbox for `peer` (from `status`).
    func pending(at id: String, to peer: String) throws -> Int {
        let status = try ok(id, ["status"]) as? [String: Any]
        let links = status?["links"] as? [[String: Any]] ?? []
        return links.first { $0["peer"] as? String == peer }?["pending"] as? Int ?? -1
    }

    /// A node's work-loop time so far, in milliseconds (from `status`): where a scenario's time went at that node.
    struct LoopLoad {
        var rounds = 0
        var work = 0.0, commit = 0.0, after = 0.0, cpu = 0.0
        var busy: Double { work + commit + after }

        static func - (a: LoopLoad, b: LoopLoad) -> LoopLoad {
            LoopLoad(rounds: a.rounds - b.rounds, work: a.work - b.work, commit: a.commit - b.commit, after: a.after - b.after,
                     cpu: a.cpu - b.cpu)
        }

        /// The shares of `seconds` of wall-clock time, for a figure's description: "busy 92 % (work 47 / commit 42 /
        /// after 3), CPU 61 %".
        func shares(of seconds: Double) -> String {
            func p(_ v: Double) -> String { "\(Int((v / 10 / seconds).rounded()))" }
            return "busy \(p(busy)) % (work \(p(work)) / commit \(p(commit)) / after \(p(after))), CPU \(p(cpu)) %"
        }

        /// The same shares (0…1) for `--json`, named `<prefix>_loop_busy`, `_work`, `_commit`, `_after`, `_cpu`.
        func extra(_ prefix: String, of seconds: Double) -> [String: Double] {
            let parts = ["busy": busy, "work": work, "commit": commit, "after": after, "cpu": cpu]
            return Dictionary(uniqueKeysWithValues: parts.map { ("\(prefix)_loop_\($0.key)", $0.value / 1000 / seconds) })
        }
    }

    func loopLoad(_ id: String) throws -> LoopLoad {
        let rounds = (try ok(id, ["status"]) as? [String: Any])?["rounds"] as? [String: Any] ?? [:]
        func ms(_ key: String) throws -> Double {
            guard let v = rounds[key] as? Double ?? (rounds[key] as? Int).map(Double.init) else {
                throw BenchError.failed("\(id): status has no rounds.\(key)")
            }
            return v
        }
        return LoopLoad(rounds: Int(try ms("count")), work: try ms("workMs"), commit: try ms("commitMs"), after: try ms("afterMs"),
                        cpu: try ms("cpuMs"))
    }

    // MARK: - Helpers

    /// The directory of this executable, where `swift build` also puts the three node tools.
    static func executable(_ name: String) -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent(name)
    }

    /// A file of the source tree (the PKI script), found upwards from the executable or the working directory.
    static func repositoryFile(_ relative: String) throws -> URL {
        for start in [executable("x").deletingLastPathComponent(), URL(fileURLWithPath: FileManager.default.currentDirectoryPath)] {
            var candidate = start
            for _ in 0..<6 {
                let file = candidate.appendingPathComponent(relative)
                if FileManager.default.fileExists(atPath: file.path) { return file }
                candidate.deleteLastPathComponent()
            }
        }
        throw BenchError.failed("\(relative) not found above \(executable("x").path); run the bench from the repository, or use --insecure")
    }

    @discardableResult
    static func run(_ executable: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw BenchError.failed("\(executable) \(args.joined(separator: " ")) exited \(p.terminationStatus): \(text)")
        }
        return text
    }

    /// A base port with `count` free ports after it (bound and released; the nodes bind them a moment later).
    static func freePorts(_ count: Int) throws -> Int {
        for _ in 0..<50 {
            let base = Int.random(in: 20_000...60_000)
            if (0..<count).allSatisfy({ portIsFree(base + $0) }) { return base }
        }
        throw BenchError.failed("no \(count) free loopback ports found")
    }

    private static func portIsFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

enum BenchError: Error, CustomStringConvertible {
    case failed(String)
    var description: String {
        switch self { case .failed(let text): text }
    }
}
