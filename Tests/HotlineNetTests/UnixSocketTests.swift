import Foundation
import Glibc
import Testing
@testable import HotlineNet

@Suite struct UnixSocketTests {
    init() { Net.ignoreSigpipe() }

    /// Short: sun_path holds 108 bytes and NSTemporaryDirectory() may be long.
    private func socketPath() throws -> String {
        try temporaryDirectory(base: "/tmp/", prefix: "hl-") + "/admin.sock"
    }

    @Test func requestIsAnsweredWithTheKernelsPeerCredentials() throws {
        let path = try socketPath()
        let server = UnixSocketServer(path: path) { request, peer in
            Array("\(peer.uid) \(peer.pid) \(peer.userName) ".utf8) + request.reversed()
        }
        try server.start()
        defer { server.stop() }
        let response = try UnixSocketClient.request(path: path, bytes: Array("abc".utf8))
        let expectedUser = PeerCredentials.userName(of: getuid())
        #expect(String(decoding: response, as: UTF8.self) == "\(getuid()) \(getpid()) \(expectedUser) cba")
        var status = stat()
        #expect(lstat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o660)
    }

    @Test func largeRequestAndResponseUpToTheCapPass() throws {
        let path = try socketPath()
        let server = UnixSocketServer(path: path) { request, _ in request + request }
        try server.start()
        defer { server.stop() }
        let request = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0) }
        let response = try UnixSocketClient.request(path: path, bytes: request)
        #expect(response == request + request)
    }

    @Test func oversizedRequestIsRefusedAndTheServerKeepsServing() throws {
        let path = try socketPath()
        let server = UnixSocketServer(path: path, maxRequestBytes: 16) { request, _ in request }
        try server.start()
        defer { server.stop() }
        #expect(throws: NetError.self) {
            try UnixSocketClient.request(path: path, bytes: [UInt8](repeating: 1, count: 100))
        }
        #expect(try UnixSocketClient.request(path: path, bytes: [9]) == [9])
    }

    @Test func staleSocketFileIsReplaced() throws {
        let path = try socketPath()
        // A socket file nobody listens on: what a killed daemon leaves behind.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let address = try UnixFraming.address(for: path)
        #expect(UnixFraming.withSockaddr(address, { bind(fd, $0, $1) }) == 0)
        Glibc.close(fd)
        #expect(FileManager.default.fileExists(atPath: path))

        let server = UnixSocketServer(path: path) { _, _ in Array("fresh".utf8) }
        try server.start()
        defer { server.stop() }
        #expect(try UnixSocketClient.request(path: path, bytes: []) == Array("fresh".utf8))
    }

    @Test func secondDaemonOnTheSameDirectoryIsRefused() throws {
        let path = try socketPath()
        let first = UnixSocketServer(path: path) { _, _ in [1] }
        try first.start()
        defer { first.stop() }
        let second = UnixSocketServer(path: path) { _, _ in [2] }
        #expect(throws: NetError.daemonAlreadyRunning(directory: UnixFraming.directory(of: path))) {
            try second.start()
        }
        #expect(try UnixSocketClient.request(path: path, bytes: []) == [1])
    }

    @Test func missingSocketSaysNoDaemonIsRunning() throws {
        let path = try socketPath()
        do {
            _ = try UnixSocketClient.request(path: path, bytes: [1])
            Issue.record("a request to a missing socket succeeded")
        } catch {
            #expect(error == .noDaemonRunning(directory: UnixFraming.directory(of: path)))
            #expect(error.description.contains("start it with `hotline-<role> serve --data"))
        }
    }

    @Test func stoppedServerRemovesItsSocketFile() throws {
        let path = try socketPath()
        let server = UnixSocketServer(path: path) { _, _ in [] }
        try server.start()
        #expect(try UnixSocketClient.request(path: path, bytes: []) == [])
        server.stop()
        let recorder = Recorder()
        #expect(recorder.wait { _ in !FileManager.default.fileExists(atPath: path) })
    }

    @Test func socketFileGetsTheConfiguredGroup() throws {
        let path = try socketPath()
        guard let entry = getgrgid(getgid()), let name = entry.pointee.gr_name else { return }
        let server = UnixSocketServer(path: path, mode: 0o600, group: String(cString: name)) { _, _ in [] }
        try server.start()
        defer { server.stop() }
        var status = stat()
        #expect(lstat(path, &status) == 0)
        #expect(status.st_gid == getgid())
        #expect(status.st_mode & 0o777 == 0o600)
    }

    @Test func unknownGroupIsRefusedAndLeavesNoSocketBehind() throws {
        let path = try socketPath()
        let server = UnixSocketServer(path: path, group: "no-such-group-hotline") { _, _ in [] }
        #expect(throws: NetError.unknownGroup("no-such-group-hotline")) { try server.start() }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func tooLongPathIsAClearError() {
        let path = "/tmp/" + String(repeating: "d", count: 120) + "/admin.sock"
        #expect(throws: NetError.unixPathTooLong(path: path, limit: 107)) {
            try UnixSocketClient.request(path: path, bytes: [])
        }
        #expect(throws: NetError.unixPathTooLong(path: path, limit: 107)) {
            try UnixSocketServer(path: path) { _, _ in [] }.start()
        }
    }
}
