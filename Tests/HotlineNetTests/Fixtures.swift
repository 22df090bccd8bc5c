import Foundation
import Testing
@testable import HotlineNet

/// Runs a bash script and fails with its output when it exits non-zero.
func shell(_ script: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["-c", script]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ShellFailure(script: script, output: output)
    }
    return output
}

struct ShellFailure: Error, CustomStringConvertible {
    let script: String
    let output: String
    var description: String { "script failed:\n\(script)\n---\n\(output)" }
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A fresh directory under `base`, removed when the test process exits (the shared PKI outlives any one test, so
/// removal waits for the end of the run rather than the end of a test).
func temporaryDirectory(base: String = NSTemporaryDirectory(), prefix: String = "hotline-net-") throws -> String {
    let path = base + prefix + UUID().uuidString.prefix(8)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    ScratchDirectories.shared.add(path)
    return path
}

final class ScratchDirectories: @unchecked Sendable {
    static let shared = ScratchDirectories()
    private let lock = NSLock()
    private var paths: [String] = []

    private init() {
        atexit { ScratchDirectories.shared.removeAll() }
    }

    func add(_ path: String) { lock.withLock { paths.append(path) } }

    private func removeAll() {
        for path in lock.withLock({ paths }) { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// Two authorities ("a" is the city's, "b" a stranger's) made with deploy/pki/make-pki.sh, plus an expired
/// certificate for unit-1 signed by authority "a".
struct TestPKI: Sendable {
    let root: String

    static let shared = Result { try TestPKI.make() }

    static func make() throws -> TestPKI {
        let root = try temporaryDirectory()
        let topology = root + "/topology.json"
        try #"{"nodes":[{"id":"city"},{"id":"county-a"},{"id":"unit-1"}]}"#
            .write(toFile: topology, atomically: true, encoding: .utf8)
        let script = packageRoot + "/deploy/pki/make-pki.sh"
        _ = try shell("'\(script)' '\(topology)' '\(root)/a' && '\(script)' '\(topology)' '\(root)/b'")
        _ = try shell("""
            set -e; cd '\(root)'; mkdir -p expired && cd expired
            openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out node.key 2>/dev/null
            openssl req -new -key node.key -subj /CN=unit-1 -out node.csr
            touch index.txt; echo 01 > serial
            cat > ca.cnf <<CNF
            [ ca ]
            default_ca = test
            [ test ]
            database = index.txt
            new_certs_dir = .
            serial = serial
            default_md = sha256
            policy = anything
            x509_extensions = ext
            [ anything ]
            commonName = supplied
            [ ext ]
            basicConstraints = CA:FALSE
            extendedKeyUsage = serverAuth, clientAuth
            subjectAltName = DNS:unit-1
            CNF
            openssl ca -batch -config ca.cnf -cert ../a/ca.crt -keyfile ../a/ca.key -in node.csr -out node.crt \
                -startdate 20200101000000Z -enddate 20200102000000Z -notext 2>/dev/null
            cp ../a/ca.crt ca.crt
            """)
        return TestPKI(root: root)
    }

    func directory(_ node: String, authority: String = "a") -> String {
        authority == "expired" ? root + "/expired" : "\(root)/\(authority)/\(node)"
    }

    func context(_ node: String, authority: String = "a", trusting trusted: String? = nil) throws -> TLSContext {
        let dir = directory(node, authority: authority)
        let ca = trusted.map { "\(root)/\($0)/ca.crt" } ?? dir + "/ca.crt"
        return try TLSContext(caFile: ca, certificateFile: dir + "/node.crt", privateKeyFile: dir + "/node.key",
                              checkOwnCertificate: trusted == nil && authority != "expired")
    }
}

/// Records what a connection reports, and lets a test wait (bounded, never asserting on time) for a state.
final class Recorder: ConnectionDelegate, @unchecked Sendable {
    // Safe to share: every var is guarded by `lock`.
    private let lock = NSLock()
    private var establishedCount = 0
    private var bytes: [UInt8] = []
    private var closes: [NetError?] = []
    private var tickCount = 0
    private var identity: PeerIdentity?
    let echo: Bool

    init(echo: Bool = false) {
        self.echo = echo
    }

    func connectionEstablished(_ connection: Connection) {
        let names = connection.peerIdentity
        lock.withLock { establishedCount += 1; identity = names }
    }

    func connection(_ connection: Connection, received bytes: [UInt8]) {
        if echo { connection.send(bytes) }
        lock.withLock { self.bytes.append(contentsOf: bytes) }
    }

    func connectionTick(_ connection: Connection, now: Int64) {
        lock.withLock { tickCount += 1 }
    }

    func connectionClosed(_ connection: Connection, error: NetError?) {
        lock.withLock { closes.append(error) }
    }

    var established: Int { lock.withLock { establishedCount } }
    var received: [UInt8] { lock.withLock { bytes } }
    var receivedCount: Int { lock.withLock { bytes.count } }
    var closed: [NetError?] { lock.withLock { closes } }
    var ticks: Int { lock.withLock { tickCount } }
    var peer: PeerIdentity? { lock.withLock { identity } }

    /// Waits until `predicate` holds, at most `seconds` (generous: a bound against hangs, not a measurement).
    @discardableResult
    func wait(seconds: Double = 30, until predicate: (Recorder) -> Bool) -> Bool {
        eventually(seconds: seconds) { predicate(self) }
    }
}

/// Waits until `condition` holds, at most `seconds` (generous: a bound against hangs, not a measurement).
@discardableResult
func eventually(seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// A listener whose every accepted connection gets its own `Recorder`, kept in arrival order.
final class RecordingListener: @unchecked Sendable {
    // Safe to share: `lock` guards `recorders`.
    private let lock = NSLock()
    private var recorders: [Recorder] = []
    let listener: TCPListener

    init(tls: TLSContext?, echo: Bool = true, options: ConnectionOptions = ConnectionOptions(), maxConnections: Int = 1024,
         log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        let box = RecorderBox()
        listener = TCPListener(host: "127.0.0.1", port: 0, tls: tls, options: options, maxConnections: maxConnections,
                               log: log) { _ in
            box.make(echo: echo)
        }
        box.owner = self
        try listener.start()
    }

    func add(_ recorder: Recorder) {
        lock.withLock { recorders.append(recorder) }
    }

    var all: [Recorder] { lock.withLock { recorders } }
    var port: Int { listener.boundPort }

    /// Waits until the `index`-th accepted connection exists.
    func recorder(_ index: Int) -> Recorder? {
        for _ in 0..<3000 {
            if let found = lock.withLock({ recorders.count > index ? recorders[index] : nil }) { return found }
            usleep(10_000)
        }
        return nil
    }
}

final class RecorderBox: @unchecked Sendable {
    // Safe to share: set once before the listener accepts anything.
    weak var owner: RecordingListener?
    func make(echo: Bool) -> Recorder {
        let recorder = Recorder(echo: echo)
        owner?.add(recorder)
        return recorder
    }
}
