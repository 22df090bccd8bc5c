import Foundation
import Glibc

/// Broker lifecycle failures: install, start-up or readiness; each carries the output tail
/// that says why, since the benchmark usually runs where nobody watches the broker's log.
enum PeerBrokerError: Error, CustomStringConvertible {
    case installFailed(String)
    case startFailed(String)
    case invalidArgument(String)

    var description: String {
        switch self {
        case .installFailed(let text): return "could not install rabbitmq-server: \(text)"
        case .startFailed(let text): return "could not start RabbitMQ: \(text)"
        case .invalidArgument(let text): return "invalid peer benchmark argument: \(text)"
        }
    }
}

/// Monotonic seconds for timing runs; wall-clock time can step during a measurement.
func peerMonotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A private RabbitMQ node started for one benchmark call: its own node name, AMQP, Erlang
/// distribution and epmd ports on loopback, and its own data, log and config directory, so it
/// neither touches a system broker nor trips over a node left behind by an earlier failed run.
final class RabbitMQNode {
    /// Debian's scripts below the `su rabbitmq` wrapper in /usr/sbin: run as root, they keep
    /// our temporary directory and cookie usable without changing ownership.
    static let serverScript = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    static let ctlScript = "/usr/lib/rabbitmq/bin/rabbitmqctl"

    let nodeName: String
    let port: UInt16
    let directory: URL
    let environment: [String: String]
    let process = Process()
    /// Its entry in `Interrupt`: stopped if the bench is interrupted while it runs.
    private var interrupt = 0
    /// The broker's product and version as it announces itself in Connection.Start.
    private(set) var brokerName = "RabbitMQ"
    private(set) var startSeconds = 0.0

    /// Installs Debian's rabbitmq-server when missing and returns the seconds apt-get took
    /// (0 when it was already there). Output streams to stderr as it happens.
    static func ensureInstalled(log: (String) -> Void) throws -> Double {
        if FileManager.default.isExecutableFile(atPath: serverScript) { return 0 }
        log("rabbitmq-server is not installed; running apt-get install (output on stderr)")
        let started = peerMonotonicSeconds()
        var (status, tail) = try runStreaming("/usr/bin/apt-get", ["install", "-y", "--no-install-recommends", "rabbitmq-server"])
        if status != 0 && (tail.contains("Unable to locate") || tail.contains("404")) {
            // A stale or missing package list: refresh once and try again.
            _ = try runStreaming("/usr/bin/apt-get", ["update"])
            (status, tail) = try runStreaming("/usr/bin/apt-get", ["install", "-y", "--no-install-recommends", "rabbitmq-server"])
        }
        guard status == 0, FileManager.default.isExecutableFile(atPath: serverScript) else {
            throw PeerBrokerError.installFailed("apt-get exited \(status):\n\(tail)")
        }
        let seconds = peerMonotonicSeconds() - started
        log(String(format: "apt-get install rabbitmq-server took %.1f s", seconds))
        return seconds
    }

    /// Runs a command with its output copied to stderr; returns the exit status and the last
    /// 4 KB of output for error messages.
    private static func runStreaming(_ path: String, _ arguments: [String]) throws -> (Int32, String) {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: path)
        child.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["DEBIAN_FRONTEND"] = "noninteractive"
        child.environment = env
        let pipe = Pipe()
        child.standardOutput = pipe
        child.standardError = pipe
        child.standardInput = FileHandle.nullDevice
        try child.run()
        var tail: [UInt8] = []
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            FileHandle.standardError.write(chunk)
            tail = Array((tail + chunk).suffix(4096))
        }
        child.waitUntilExit()
        return (child.terminationStatus, String(decoding: tail, as: UTF8.self))
    }

    /// Starts the node in the foreground (as a child we can signal) and waits until an AMQP
    /// handshake succeeds, at most `timeout` seconds.
    init(timeout: Double, log: (String) -> Void) throws {
        let base = try BenchNetwork.freePorts(3)
        let ports = (0..<3).map { UInt16(base + $0) }
        port = ports[0]
        nodeName = "hotline-bench-\(getpid())-\(ports[0])@localhost"
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("hotline-bench-rabbitmq-\(getpid())-\(ports[0])")
        let fm = FileManager.default
        try fm.createDirectory(at: directory.appendingPathComponent("mnesia"), withIntermediateDirectories: true)
        try fm.createDirectory(at: directory.appendingPathComponent("log"), withIntermediateDirectories: true)
        // No plugins (so no management listener), no env file from /etc, a config of our own.
        try Data("[].\n".utf8).write(to: directory.appendingPathComponent("enabled_plugins"))
        try Data().write(to: directory.appendingPathComponent("rabbitmq-env.conf"))
        try Data("log.file.level = info\nloopback_users.guest = true\n".utf8).write(to: directory.appendingPathComponent("rabbitmq.conf"))
        // Our own cookie: the server and rabbitmqctl read it from HOME, which points here.
        let cookie = directory.appendingPathComponent(".erlang.cookie")
        try Data((0..<20).map { _ in UInt8.random(in: UInt8(ascii: "A")...UInt8(ascii: "Z")) }).write(to: cookie)
        try fm.setAttributes([.posixPermissions: 0o400], ofItemAtPath: cookie.path)

        var env = ProcessInfo.processInfo.environment
        let path = directory.path
        env["HOME"] = path
        env["RABBITMQ_NODENAME"] = nodeName
        env["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1"
        env["RABBITMQ_NODE_PORT"] = String(ports[0])
        env["RABBITMQ_DIST_PORT"] = String(ports[1])
        env["ERL_EPMD_PORT"] = String(ports[2])
        env["ERL_EPMD_ADDRESS"] = "127.0.0.1"
        env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}"
        env["RABBITMQ_MNESIA_BASE"] = path + "/mnesia"
        env["RABBITMQ_LOG_BASE"] = path + "/log"
        env["RABBITMQ_CONFIG_FILE"] = path + "/rabbitmq.conf"
        env["RABBITMQ_ADVANCED_CONFIG_FILE"] = path + "/advanced.config"
        env["RABBITMQ_CONF_ENV_FILE"] = path + "/rabbitmq-env.conf"
        env["RABBITMQ_ENABLED_PLUGINS_FILE"] = path + "/enabled_plugins"
        env["RABBITMQ_PID_FILE"] = path + "/node.pid"
        environment = env

        let output = directory.appendingPathComponent("startup.log")
        guard fm.createFile(atPath: output.path, contents: nil) else {
            throw PeerBrokerError.startFailed("cannot create \(output.path)")
        }
        let handle = try FileHandle(forWritingTo: output)
        process.executableURL = URL(fileURLWithPath: Self.serverScript)
        process.environment = env
        process.currentDirectoryURL = directory
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        log("starting RabbitMQ node \(nodeName) on 127.0.0.1:\(port) in \(path)")
        let started = peerMonotonicSeconds()
        do {
            try process.run()
            interrupt = Interrupt.onInterrupt { [weak self] in self?.stop(log: { _ in }) }
            try waitUntilReady(deadline: started + timeout)
        } catch {
            stop(log: log)
            throw error
        }
        startSeconds = peerMonotonicSeconds() - started
        log(String(format: "%@ ready after %.1f s", brokerName, startSeconds))
    }

    /// Polls with a full AMQP handshake: the TCP listener alone opens before the node has
    /// finished booting its virtual host.
    private func waitUntilReady(deadline: Double) throws {
        var lastError = "no attempt yet"
        while peerMonotonicSeconds() < deadline {
            guard process.isRunning else {
                throw PeerBrokerError.startFailed("rabbitmq-server exited with status \(process.terminationStatus)\n\(logTail())")
            }
            do {
                let probe = try AMQPConnection(port: port, user: "guest", password: "guest", timeout: 5)
                let product = probe.serverProperties["product"] ?? "RabbitMQ"
                brokerName = [product, probe.serverProperties["version"]].compactMap { $0 }.joined(separator: " ")
                try probe.closeConnection()
                return
            } catch {
                lastError = "\(error)"
                usleep(200_000)
            }
        }
        throw PeerBrokerError.startFailed("no AMQP handshake on port \(port) in time (last: \(lastError))\n\(logTail())")
    }

    /// The last lines of the console and node logs, for start-up errors.
    func logTail() -> String {
        let files = [directory.appendingPathComponent("startup.log"),
                     directory.appendingPathComponent("log").appendingPathComponent("\(nodeName).log")]
        return files.compactMap { url in
            (try? Data(contentsOf: url)).map { "--- \(url.lastPathComponent):\n" + String(decoding: $0.suffix(3000), as: UTF8.self) }
        }.joined(separator: "\n")
    }

    /// Stops the node (rabbitmqctl stop, then signals), the epmd it started on its private
    /// port, and removes its directory.
    func stop(log: (String) -> Void) {
        defer { Interrupt.done(interrupt) }
        if process.isRunning {
            let status = runQuietly(Self.ctlScript, ["-n", nodeName, "stop"], timeout: 30)
            if status != 0 { log("rabbitmqctl stop exited \(status); signalling the node") }
            if !waitForExit(seconds: 15) {
                process.terminate()
                if !waitForExit(seconds: 10) { killBeamFromPidFile() }
            }
        }
        // epmd listens on this node's private port, so it is ours alone to stop.
        _ = runQuietly("/usr/bin/epmd", ["-kill"], timeout: 10)
        try? FileManager.default.removeItem(at: directory)
    }

    private func waitForExit(seconds: Double) -> Bool {
        let deadline = peerMonotonicSeconds() + seconds
        while process.isRunning && peerMonotonicSeconds() < deadline { usleep(100_000) }
        return !process.isRunning
    }

    /// Last resort when the VM ignores SIGTERM: the Erlang VM is the start script's child, so
    /// kill it by the pid it wrote.
    private func killBeamFromPidFile() {
        let text = (try? String(contentsOf: directory.appendingPathComponent("node.pid"), encoding: .utf8)) ?? ""
        if let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 { kill(pid, SIGKILL) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs a helper with this node's environment, output discarded, killed after `timeout`.
    private func runQuietly(_ path: String, _ arguments: [String], timeout: Double) -> Int32 {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: path)
        child.arguments = arguments
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        child.standardInput = FileHandle.nullDevice
        do { try child.run() } catch { return -1 }
        let deadline = peerMonotonicSeconds() + timeout
        while child.isRunning && peerMonotonicSeconds() < deadline { usleep(50_000) }
        if child.isRunning { child.terminate(); child.waitUntilExit() }
        return child.terminationStatus
    }
}
