import Foundation
import Testing
@testable import HotlineNet

@Suite(.serialized) struct MutualTLSTests {
    init() { Net.ignoreSigpipe() }

    @Test func nodesWithCertificatesFromTheCityAuthorityTalkAndKnowEachOther() throws {
        let pki = try TestPKI.shared.get()
        let server = try RecordingListener(tls: try pki.context("city"))
        defer { server.listener.stop() }
        let client = Recorder()
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: try pki.context("county-a"),
                                            expectedPeer: "city", delegate: client)
        defer { connection.close() }
        let payload = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(connection.send(payload))
        client.wait { $0.receivedCount >= payload.count }
        #expect(client.received == payload)
        #expect(connection.peerIdentity?.names(contain: "city") == true)
        #expect(connection.peerIdentity?.commonName == "city")
        let peer = try #require(server.recorder(0))
        #expect(peer.wait { $0.peer != nil })
        #expect(peer.peer?.names == ["county-a"])
        #expect(peer.peer?.names(contain: "unit-1") == false)
    }

    @Test func clientCertificateFromAnotherAuthorityIsRefusedByTheListener() throws {
        let pki = try TestPKI.shared.get()
        let server = try RecordingListener(tls: try pki.context("city"))
        defer { server.listener.stop() }
        // Trusts the city's CA (so it accepts the server) but presents a stranger's certificate.
        let stranger = try pki.context("unit-1", authority: "b", trusting: "a")
        let client = Recorder()
        // In TLS 1.3 the client finishes its half of the handshake before the server judges its certificate,
        // so the dial may succeed and the refusal arrives as an alert right after.
        if let connection = try? Dialer.connect(host: "127.0.0.1", port: server.port, tls: stranger, delegate: client) {
            #expect(client.wait { $0.closed.count == 1 })
            #expect(client.closed.first??.description.contains("alert") == true)
            connection.close()
        }
        let peer = try #require(server.recorder(0))
        #expect(peer.wait { $0.closed.count == 1 })
        #expect(peer.established == 0)
        let error = try #require(peer.closed.first ?? nil)
        #expect(error.description.hasPrefix("TLS handshake failed:"))
        #expect(error.description.contains("unable to get local issuer certificate"))
    }

    @Test func expiredClientCertificateIsRefusedByTheListener() throws {
        let pki = try TestPKI.shared.get()
        let server = try RecordingListener(tls: try pki.context("city"))
        defer { server.listener.stop() }
        let expired = try pki.context("unit-1", authority: "expired")
        let client = Recorder()
        if let connection = try? Dialer.connect(host: "127.0.0.1", port: server.port, tls: expired, delegate: client) {
            #expect(client.wait { $0.closed.count == 1 })
            connection.close()
        }
        let peer = try #require(server.recorder(0))
        #expect(peer.wait { $0.closed.count == 1 })
        #expect(peer.established == 0)
        let error = try #require(peer.closed.first ?? nil)
        #expect(error.description.contains("certificate has expired"))
    }

    @Test func serverCertificateFromAnotherAuthorityIsRefusedByTheDialer() throws {
        let pki = try TestPKI.shared.get()
        let server = try RecordingListener(tls: try pki.context("city", authority: "b"))
        defer { server.listener.stop() }
        let clientTLS = try pki.context("county-a")
        do {
            _ = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: clientTLS, delegate: Recorder())
            Issue.record("the dialer accepted a server certificate from another authority")
        } catch {
            guard case let .tlsHandshakeFailed(reason) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(reason.contains("certificate verify failed"))
        }
    }

    @Test func dialerRefusesAPeerThatIsNotTheExpectedNode() throws {
        let pki = try TestPKI.shared.get()
        let server = try RecordingListener(tls: try pki.context("county-a"))
        defer { server.listener.stop() }
        #expect(throws: NetError.unexpectedPeer(expected: "city", actual: ["county-a"])) {
            try Dialer.connect(host: "127.0.0.1", port: server.port, tls: try pki.context("unit-1"),
                               expectedPeer: "city", delegate: Recorder())
        }
    }

    @Test func plaintextToATLSListenerFailsTheHandshakeAndTheNextGoodClientIsServed() throws {
        let pki = try TestPKI.shared.get()
        let server = try RecordingListener(tls: try pki.context("city"))
        defer { server.listener.stop() }
        let plain = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil, delegate: Recorder())
        plain.send(Array("{\"type\":\"hello\",\"node\":\"unit-1\"}\n".utf8) + [UInt8](repeating: 0x20, count: 64))
        let first = try #require(server.recorder(0))
        #expect(first.wait { $0.closed.count == 1 })
        #expect(first.established == 0)
        let error = try #require(first.closed.first ?? nil)
        #expect(error.description.hasPrefix("TLS handshake failed:"))
        plain.close()

        let good = Recorder()
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: try pki.context("unit-1"),
                                            delegate: good)
        defer { connection.close() }
        connection.send([42])
        #expect(good.wait { $0.received == [42] })
    }

    @Test func silentClientIsDroppedAfterTheHandshakeTimeout() throws {
        let pki = try TestPKI.shared.get()
        let server = try RecordingListener(tls: try pki.context("city"),
                                           options: ConnectionOptions(handshakeTimeoutMilliseconds: 200))
        defer { server.listener.stop() }
        let silent = Recorder()
        let connection = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil, delegate: silent)
        defer { connection.close() }
        let peer = try #require(server.recorder(0))
        #expect(peer.wait { $0.closed.count == 1 })
        #expect(peer.closed.first == .some(.tlsHandshakeTimedOut))
        #expect(silent.wait { $0.closed.count == 1 })
    }

    @Test func stoppingTheListenerInterruptsAPendingHandshake() throws {
        let pki = try TestPKI.shared.get()
        let server = try RecordingListener(tls: try pki.context("city"),
                                           options: ConnectionOptions(handshakeTimeoutMilliseconds: 600_000))
        let silent = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: nil, delegate: Recorder())
        defer { silent.close() }
        let peer = try #require(server.recorder(0))
        server.listener.stop()
        #expect(peer.wait { $0.closed.count == 1 })
        // Closed by the stop (no error), not by the ten-minute handshake timeout.
        #expect(peer.closed.first == .some(nil))
        #expect(peer.established == 0)
    }

    @Test func reloadedListenerPresentsTheNewCertificateWhileOldLinksContinue() throws {
        let pki = try TestPKI.shared.get()
        // A private copy of the city's files, so re-issuing does not disturb the other tests.
        let dir = try temporaryDirectory()
        _ = try shell("cp -r '\(pki.root)/a/.' '\(dir)/'")
        let files = { (node: String) in ("\(dir)/\(node)/ca.crt", "\(dir)/\(node)/node.crt", "\(dir)/\(node)/node.key") }
        let (ca, cert, key) = files("city")
        let before = try TLSContext(caFile: ca, certificateFile: cert, privateKeyFile: key)
        let server = try RecordingListener(tls: before)
        defer { server.listener.stop() }
        let (clientCA, clientCert, clientKey) = files("unit-1")
        let clientTLS = try TLSContext(caFile: clientCA, certificateFile: clientCert, privateKeyFile: clientKey)

        let old = Recorder()
        let oldLink = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: clientTLS, delegate: old)
        defer { oldLink.close() }
        oldLink.send([1])
        #expect(old.wait { $0.received == [1] })
        let oldFingerprint = try #require(oldLink.peerIdentity?.fingerprintSHA256)

        let topology = dir + "/topology.json"
        try #"{"nodes":[{"id":"city"}]}"#.write(toFile: topology, atomically: true, encoding: .utf8)
        _ = try shell("'\(packageRoot)/deploy/pki/make-pki.sh' '\(topology)' '\(dir)' --force --node city")
        server.listener.updateTLS(try TLSContext(caFile: ca, certificateFile: cert, privateKeyFile: key))

        let fresh = Recorder()
        let newLink = try Dialer.connect(host: "127.0.0.1", port: server.port, tls: clientTLS, delegate: fresh)
        defer { newLink.close() }
        let newFingerprint = try #require(newLink.peerIdentity?.fingerprintSHA256)
        #expect(newFingerprint != oldFingerprint)
        #expect(newLink.peerIdentity?.names(contain: "city") == true)

        oldLink.send([2])
        #expect(old.wait { $0.received == [1, 2] })
        #expect(old.closed.isEmpty)
    }
}
