import Foundation
import Testing
@testable import HotlineNet

@Suite struct PlainTCPTests {
    init() { Net.ignoreSigpipe() }

    @Test func largePayloadIsEchoedBackByteForByte() throws {
        let server = try RecordingListener(tls: nil)
        defer { server.listener.stop() }
        let client = Recorder()
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil, delegate: client)
        defer { connection.close() }
        let payload = (0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        #expect(connection.send(payload))
        client.wait { $0.receivedCount >= payload.count }
        #expect(client.received == payload)
        #expect(connection.peerIdentity == nil)
    }

    @Test func manySmallSendsArriveInOrder() throws {
        let server = try RecordingListener(tls: nil, echo: false)
        defer { server.listener.stop() }
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil, delegate: Recorder())
        defer { connection.close() }
        var expected: [UInt8] = []
        for index in 0..<5_000 {
            let message = Array("m\(index);".utf8)
            expected += message
            #expect(connection.send(message))
        }
        let peer = try #require(server.recorder(0))
        peer.wait { $0.receivedCount >= expected.count }
        #expect(peer.received == expected)
    }

    @Test func closeByClientIsReportedOnceOnBothSides() throws {
        let server = try RecordingListener(tls: nil)
        defer { server.listener.stop() }
        let client = Recorder()
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil, delegate: client)
        let peer = try #require(server.recorder(0))
        #expect(peer.wait { $0.established == 1 })
        connection.send(Array("last words".utf8))
        connection.close()
        connection.close()
        #expect(peer.wait { $0.closed.count == 1 })
        #expect(client.wait { $0.closed.count == 1 })
        #expect(peer.received == Array("last words".utf8))
        #expect(client.closed.count == 1 && client.closed[0] == nil)
        #expect(peer.closed.count == 1 && peer.closed[0] == nil)
        #expect(!connection.send([1]))
        #expect(client.established == 1)
    }

    @Test func closeByServerIsReportedOnceOnBothSides() throws {
        let server = try RecordingListener(tls: nil)
        let client = Recorder()
        _ = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil, delegate: client)
        let peer = try #require(server.recorder(0))
        #expect(peer.wait { $0.established == 1 })
        server.listener.stop()
        #expect(client.wait { $0.closed.count == 1 })
        #expect(peer.wait { $0.closed.count == 1 })
        #expect(client.closed.count == 1 && peer.closed.count == 1)
        #expect(peer.wait { _ in server.listener.openConnections.isEmpty })
    }

    @Test func manyLinksClosingAtOnceEachReportCloseExactlyOnce() throws {
        let server = try RecordingListener(tls: nil)
        let clients = (0..<20).map { _ in Recorder(echo: false) }
        let connections = try clients.map {
            try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil, delegate: $0)
        }
        for (index, connection) in connections.enumerated() {
            connection.send([UInt8(index)])
            if index.isMultiple(of: 2) { connection.close() }
        }
        #expect(server.recorder(19) != nil)
        server.listener.stop()
        for connection in connections { connection.close() }
        for client in clients {
            #expect(client.wait { $0.closed.count == 1 })
        }
        let peers = server.all
        #expect(peers.count == 20)
        for peer in peers {
            #expect(peer.wait { $0.closed.count == 1 })
        }
        usleep(100_000)
        #expect((clients + peers).allSatisfy { $0.closed.count == 1 })
    }

    @Test func sendBeyondTheOutgoingCapIsRefused() throws {
        let server = try RecordingListener(tls: nil)
        defer { server.listener.stop() }
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil,
                                            options: ConnectionOptions(outgoingCapBytes: 1024), delegate: Recorder())
        defer { connection.close() }
        #expect(!connection.send([UInt8](repeating: 7, count: 1025)))
        #expect(connection.send([UInt8](repeating: 7, count: 1024)))
    }

    @Test func ticksArriveWhileTheLinkIsIdle() throws {
        let server = try RecordingListener(tls: nil)
        defer { server.listener.stop() }
        let client = Recorder()
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil,
                                            options: ConnectionOptions(tickIntervalMilliseconds: 10), delegate: client)
        defer { connection.close() }
        #expect(client.wait { $0.ticks >= 3 })
    }

    @Test func dialingAClosedPortIsRefusedWithAClearError() throws {
        let server = try RecordingListener(tls: nil)
        let port = server.port
        server.listener.stop()
        usleep(50_000)
        #expect(throws: NetError.connectionRefused(host: "127.0.0.1", port: port)) {
            try Dialer.connect(host: "127.0.0.1", port: port, tls: nil, delegate: Recorder())
        }
    }

    @Test func ipv6LoopbackWorks() throws {
        let listener = TCPListener(host: "::1", port: 0, tls: nil) { _ in Recorder(echo: true) }
        do { try listener.start() } catch {
            // Some containers have no IPv6 loopback; nothing to prove there.
            return
        }
        defer { listener.stop() }
        let client = Recorder()
        let connection = try Dialer.connect(host: "::1", port: listener.boundPort, tls: nil, delegate: client)
        defer { connection.close() }
        connection.send([1, 2, 3])
        client.wait { $0.receivedCount >= 3 }
        #expect(client.received == [1, 2, 3])
        #expect(connection.remoteAddress.hasPrefix("[::1]:"))
    }
}
