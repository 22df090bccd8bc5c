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

    /// `send` wakes the connection's thread only when its queue was empty: bytes queued while it writes are found by
    /// its `flush`. Bursts of sends from two threads, with pauses long enough for the thread to go back to `poll`,
    /// must each arrive without a tick to push them (ticks are a minute apart here: a lost wake-up stalls the burst
    /// until the wait gives up), in each sender's order; over TLS too, where a write may stop for the socket.
    @Test(arguments: [false, true])
    func burstsOfSendsFromTwoThreadsArriveWithoutWaitingForATick(tls: Bool) throws {
        let pki = tls ? try TestPKI.shared.get() : nil
        let noTicks = ConnectionOptions(tickIntervalMilliseconds: 60_000)
        let server = try RecordingListener(tls: try pki?.context("city"), echo: false, options: noTicks)
        defer { server.listener.stop() }
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: try pki?.context("county-a"),
                                            expectedPeer: tls ? "city" : nil, options: noTicks, delegate: Recorder())
        defer { connection.close() }
        let peer = try #require(server.recorder(0))
        var rng = SystemRandomNumberGenerator()
        var total = 0
        for burst in 0..<120 {
            let sizes = (0..<2).map { _ in Int.random(in: 1...40, using: &rng) }
            DispatchQueue.concurrentPerform(iterations: 2) { sender in
                for k in 0..<sizes[sender] {
                    // Each message names its sender, burst and place: "a12.7;" (letters keep the senders apart).
                    let filler = String(repeating: "x", count: (burst * 7 + k * 13) % 300)
                    _ = connection.send(Array("\(sender == 0 ? "a" : "b")\(burst).\(k)\(filler);".utf8))
                }
            }
            total += sizes.reduce(0, +)
            let arrived = peer.wait(seconds: 20) { String(decoding: $0.received, as: UTF8.self).split(separator: ";").count >= total }
            #expect(arrived, "burst \(burst) did not arrive: a wake-up was lost")
            guard arrived else { return }
            if burst % 3 == 0 { usleep(UInt32.random(in: 200...3_000, using: &rng)) }
        }
        let messages = String(decoding: peer.received, as: UTF8.self).split(separator: ";")
        #expect(messages.count == total)
        for letter in ["a", "b"] {
            let mine = messages.filter { $0.hasPrefix(letter) }.map { $0.dropFirst().prefix { $0 != "x" } }
            let places = mine.map { $0.split(separator: ".").map { Int($0)! } }
            #expect(places == places.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }, "\(letter)'s messages out of order")
        }
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
