import Foundation
import Testing
@preconcurrency import Glibc
@testable import HotlineNet

/// A listener keeps at most `maxConnections` open (handshakes in progress count): a flood of connections is closed
/// on arrival instead of growing a thread per connection until the process can make no more.
@Suite struct ConnectionLimitTests {
    init() { Net.ignoreSigpipe() }

    @Test func connectionsBeyondTheLimitAreClosedOnArrivalAndRoomIsMadeByAClose() throws {
        let lines = LogLines()
        let server = try RecordingListener(tls: nil, echo: false, maxConnections: 3, log: { lines.add($0) })
        defer { server.listener.stop() }
        var sockets = try (0..<6).map { _ in try Self.connect(port: server.port) }
        defer { sockets.forEach { Glibc.close($0) } }
        #expect(eventually { server.listener.refusedConnections == 3 && server.listener.openConnections.count == 3 })
        // The three refused see the end of the stream; the three kept do not.
        #expect(eventually { sockets.filter(Self.atEnd).count == 3 })
        #expect(server.all.count == 3)
        // One refusal line for the burst, naming the limit's reason.
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.contains("refused 1 connection(s)") == true)
        #expect(lines.all.first?.contains("3 are open") == true)

        // A kept client leaves: its place is free for the next one.
        let kept = try #require(sockets.first { !Self.atEnd($0) })
        Glibc.close(kept)
        sockets.removeAll { $0 == kept }
        #expect(eventually { server.listener.openConnections.count == 2 })
        let next = try Self.connect(port: server.port)
        sockets.append(next)
        #expect(eventually { server.listener.openConnections.count == 3 && server.all.count == 4 })
        #expect(server.listener.refusedConnections == 3)
        #expect(!Self.atEnd(next))
    }

    @Test func aConnectedClientStillExchangesDataAtTheLimit() throws {
        let server = try RecordingListener(tls: nil, echo: true, maxConnections: 1)
        defer { server.listener.stop() }
        let client = Recorder()
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil, delegate: client)
        defer { connection.close() }
        let extra = try Self.connect(port: server.port)
        defer { Glibc.close(extra) }
        #expect(eventually { Self.atEnd(extra) })
        #expect(connection.send([1, 2, 3]))
        #expect(client.wait { $0.received == [1, 2, 3] })
    }

    /// A blocking loopback connect; the kernel completes it before the listener accepts.
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NetError.system(call: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            Glibc.close(fd)
            throw NetError.system(call: "connect", errno: errno)
        }
        return fd
    }

    /// Whether the server closed this socket (readable, and reading gives the end of the stream or a reset).
    static func atEnd(_ fd: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) <= 0
    }

    final class LogLines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ s: String) { lock.withLock { lines.append(s) } }
        var all: [String] { lock.withLock { lines } }
    }
}
