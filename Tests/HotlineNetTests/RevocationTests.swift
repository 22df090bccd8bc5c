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

    /// A list received over the links (`pki.crl`) is checked before a node installs it: signed by an authority of the
    /// node's own ca.crt (not another city's, not altered), and not older than the list in use.
    @Test func aReceivedListIsTakenOnlyWhenItsAuthoritySignedItAndItIsNotOlder() throws {
        let pki = try Revoked()
        defer { pki.cleanup() }
        func read(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
        let ca = try read(pki.root + "/pki/city/ca.crt")
        let first = try read(pki.root + "/pki/crl.pem")
        let older = try RevocationListFile(pem: first, authorities: ca, source: "first")
        #expect(older.lists.count == 1 && older.lists[0].authority == 0 && older.lists[0].nextUpdate != nil)
        sleep(1)  // the list's lastUpdate is in whole seconds
        _ = try shell("'\(packageRoot)/deploy/pki/make-pki.sh' '\(pki.root)/topology.json' '\(pki.root)/pki' --crl")
        let newer = try RevocationListFile(pem: try read(pki.root + "/pki/crl.pem"), authorities: ca, source: "second")
        let now = Int64(Date().timeIntervalSince1970)
        #expect(newer.refusal(replacing: older, now: now) == nil)
        #expect(newer.refusal(replacing: nil, now: now) == nil)
        #expect(older.refusal(replacing: newer, now: now)?.contains("older than the list in use") == true)
        #expect(newer.refusal(replacing: newer, now: try #require(newer.lists[0].nextUpdate))?.contains("nextUpdate") == true)

        // Another city's authority.
        let other = pki.root + "/other"
        let make = "'\(packageRoot)/deploy/pki/make-pki.sh' '\(pki.root)/topology.json' '\(other)'"
        _ = try shell("\(make) && \(make) --revoke unit-1")
        #expect(throws: TLSError.self) { try RevocationListFile(pem: try read(other + "/crl.pem"), authorities: ca, source: "other") }
        do {
            _ = try RevocationListFile(pem: try read(other + "/crl.pem"), authorities: ca, source: "other")
        } catch {
            #expect("\(error)".contains("not in this node's ca.crt"), "\(error)")
        }
        // The signature's last byte changed.
        let pem = String(decoding: first, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        var der = [UInt8](try #require(Data(base64Encoded: pem)))
        der[der.count - 1] ^= 0x01
        let altered = "-----BEGIN X509 CRL-----\n\(Data(der).base64EncodedString(options: .lineLength64Characters))\n-----END X509 CRL-----\n"
        do {
            _ = try RevocationListFile(pem: Array(altered.utf8), authorities: ca, source: "altered")
            Issue.record("an altered list was taken")
        } catch {
            #expect("\(error)".contains("does not verify"), "\(error)")
        }
        #expect(throws: TLSError.invalidRevocationList(path: "text", reason: "no PEM certificate revocation list in it")) {
            try RevocationListFile(pem: Array("not a list".utf8), authorities: ca, source: "text")
        }
    }
}
