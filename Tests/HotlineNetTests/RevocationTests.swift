import Foundation
import Testing
@testable import HotlineNet

/// A node whose key leaked is revoked (`make-pki.sh --revoke`): with the authority's revocation list beside `ca.crt`,
/// its neighbours refuse the old certificate and take the one issued after; a node never starts on a revoked one.
@Suite(.serialized) struct RevocationTests {
    init() { Net.ignoreSigpipe() }

    /// A city and a unit; the unit's first certificate kept aside, then revoked (a new one issued).
    struct Revoked {
        let root: String
        let oldUnit: String

        init() throws {
            root = try temporaryDirectory()
            try #"{"nodes":[{"id":"city"},{"id":"unit-1"}]}"#.write(toFile: root + "/topology.json", atomically: true, encoding: .utf8)
            _ = try shell("'\(packageRoot)/deploy/pki/make-pki.sh' '\(root)/topology.json' '\(root)/pki'")
            oldUnit = root + "/old-unit-1"
            _ = try shell("mkdir '\(oldUnit)' && cp '\(root)/pki/unit-1/'* '\(oldUnit)/'")
            _ = try shell("'\(packageRoot)/deploy/pki/make-pki.sh' '\(root)/topology.json' '\(root)/pki' --revoke unit-1")
        }

        func cleanup() { try? FileManager.default.removeItem(atPath: root) }
    }

    /// Dials `server` with `tls`; whether the server established the connection, and its error if it refused.
    func handshake(_ server: RecordingListener, _ tls: TLSContext) throws -> (accepted: Bool, error: String?) {
        // In TLS 1.3 the dial may succeed before the server judges the client's certificate: the server's side says.
        let connection = try? Dialer.connect(host: "127.0.0.1", port: server.port, tls: tls, delegate: Recorder())
        defer { connection?.close() }
        #expect(eventually { server.recorder(0) != nil })
        let peer = try #require(server.recorder(0))
        _ = peer.wait { $0.established == 1 || $0.closed.count == 1 }
        return (peer.established == 1, peer.closed.first.flatMap { $0?.description })
    }

    @Test func theRevokedCertificateIsRefusedAndTheOneIssuedAfterIsTaken() throws {
        let pki = try Revoked()
        defer { pki.cleanup() }
        #expect(FileManager.default.fileExists(atPath: pki.root + "/pki/city/crl.pem"), "make-pki.sh gives every node the list")
        let city = try TLSContext(directory: pki.root + "/pki/city")
        let list = try #require(city.revocationList)
        #expect(list.lists == 1 && list.file.hasSuffix("/pki/city/crl.pem"))

        let refused = try RecordingListener(tls: city)
        defer { refused.listener.stop() }
        // The old certificate still verifies against the authority; only the list tells it is revoked. (Its folder,
        // copied before the revocation, has no list: the thief's copy.)
        let old = try handshake(refused, try TLSContext(directory: pki.oldUnit))
        #expect(!old.accepted)
        #expect(old.error?.contains("certificate revoked") == true, "\(old.error ?? "nil")")

        let accepted = try RecordingListener(tls: city)
        defer { accepted.listener.stop() }
        #expect(try handshake(accepted, try TLSContext(directory: pki.root + "/pki/unit-1")).accepted)
    }

    @Test func withoutTheListTheOldCertificateIsStillTaken() throws {
        let pki = try Revoked()
        defer { pki.cleanup() }
        try FileManager.default.removeItem(atPath: pki.root + "/pki/city/crl.pem")
        let city = try TLSContext(directory: pki.root + "/pki/city")
        #expect(city.revocationList == nil)
        let server = try RecordingListener(tls: city)
        defer { server.listener.stop() }
        #expect(try handshake(server, try TLSContext(directory: pki.oldUnit)).accepted,
                "the list must be installed on every node: this is why make-pki.sh says so")
    }

    @Test func aNodeDoesNotStartOnItsOwnRevokedCertificateNorOnABrokenList() throws {
        let pki = try Revoked()
        defer { pki.cleanup() }
        // The old certificate with the list beside it: the node whose key leaked, given the new list.
        _ = try shell("cp '\(pki.root)/pki/crl.pem' '\(pki.oldUnit)/crl.pem'")
        #expect(throws: TLSError.certificateRevoked(certificate: pki.oldUnit + "/node.crt", list: pki.oldUnit + "/crl.pem")) {
            try TLSContext(directory: pki.oldUnit)
        }
        try "not a list".write(toFile: pki.root + "/pki/city/crl.pem", atomically: true, encoding: .utf8)
        #expect {
            try TLSContext(directory: pki.root + "/pki/city")
        } throws: { error in
            guard case .invalidRevocationList(let path, _) = error as? TLSError else { return false }
            return path.hasSuffix("/pki/city/crl.pem")
        }
    }

    @Test func theListsNextUpdateCountsAsTheChainsEnd() throws {
        let pki = try Revoked()
        defer { pki.cleanup() }
        _ = try shell("'\(packageRoot)/deploy/pki/make-pki.sh' '\(pki.root)/topology.json' '\(pki.root)/pki' --crl --crl-days 12")
        let expiry = try #require(try TLSContext(directory: pki.root + "/pki/city").expiry)
        #expect(expiry.file.hasSuffix("/pki/city/crl.pem"))
        #expect(abs(expiry.millis - (CertificateExpiryTests.nowMillis + 12 * CertificateExpiryTests.day)) < 2 * CertificateExpiryTests.day)
    }
}
