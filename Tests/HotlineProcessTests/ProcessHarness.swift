import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `hotline-*` executables the way an operator or a service file does: `init`, `serve`, and the
/// operator commands, on loopback, each node in its own data directory.
struct ProcessHarness {
    static let binDir: URL = {
        // The test runner lives in the same build products folder as the executables.
        if let exe = Bundle.main.executableURL?.deletingLastPathComponent(),
           FileManager.default.fileExists(atPath: exe.appendingPathComponent("hotline-city").path) {
            return exe
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug")
    }()

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var list: [[String: Any]] { json as? [[String: Any]] ?? [] }
    }

    let dir: URL

    init(name: String) throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hl-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        dir = base
    }

    func cleanup() { try? FileManager.default.removeItem(at: dir) }

    func dataDir(_ node: String) -> String { dir.appendingPathComponent(node).path }

    /// Runs one command to completion.
    @discardableResult
    static func run(_ tool: String, _ args: [String], timeout: TimeInterval = 60) throws -> Result {
        let p = Process()
        p.executableURL = binDir.appendingPathComponent(tool)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter(); DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter(); DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut { p.terminate() }
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts `serve` in the background, its log appended to DIR/node.log, and waits until its admin socket answers.
    func serve(_ tool: String, node: String) throws -> Process {
        let p = Process()
        p.executableURL = Self.binDir.appendingPathComponent(tool)
        p.arguments = ["serve", "--data", dataDir(node)]
        let logURL = dir.appendingPathComponent("\(node).log")
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        p.standardError = log
        p.standardOutput = log
        try p.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let r = try? Self.run(tool, ["status", "--data", dataDir(node), "--json"], timeout: 10), r.status == 0 {
                return p
            }
            if !p.isRunning { break }
            usleep(50_000)
        }
        throw HarnessError.notReady(node: node, log: (try? String(contentsOf: logURL, encoding: .utf8)) ?? "")
    }

    /// A topology file of one city (listening on `port`) and one unit under it, for a test that runs the city alone.
    func writeCityTopology(port: Int) throws -> URL {
        let topology = dir.appendingPathComponent("topology.json")
        try Data("""
        {"profile": "jinan-2018", "nodes": [
          {"id": "t-city", "kind": "city", "parent": null, "name": "测试市12345热线", "listen": "127.0.0.1:\(port)"},
          {"id": "u-water", "kind": "unit", "parent": "t-city", "name": "水务集团", "areas": ["*"], "topics": ["供水"]}
        ]}
        """.utf8).write(to: topology)
        return topology
    }

    /// Polls `check` until it returns true or the time is up.
    static func eventually(_ what: String, timeout: TimeInterval = 30, _ check: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try check() { return }
            usleep(100_000)
        }
        throw HarnessError.timedOut(what)
    }

    static func freePortBase(count: Int) -> Int {
        // Ports in a range unlikely to collide with the demo (17400+) or other test runs.
        for _ in 0..<50 {
            let base = Int.random(in: 20000...60000)
            if (0..<count).allSatisfy({ portIsFree(base + $0) }) { return base }
        }
        return 40000
    }

    static func portIsFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return r == 0
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case notReady(node: String, log: String)
    case timedOut(String)
    case commandFailed(String)

    var description: String {
        switch self {
        case .notReady(let node, let log): return "node \(node) did not become ready; its log:\n\(log)"
        case .timedOut(let what): return "timed out waiting for \(what)"
        case .commandFailed(let s): return s
        }
    }
}
