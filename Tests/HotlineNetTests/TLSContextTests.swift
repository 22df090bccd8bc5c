import Foundation
import Testing
@testable import HotlineNet

@Suite struct TLSContextTests {
    @Test func missingFileIsReportedWithItsPath() throws {
        let pki = try TestPKI.shared.get()
        let dir = pki.directory("city")
        #expect(throws: TLSError.unreadableFile(path: dir + "/nope.crt", reason: "no such file")) {
            try TLSContext(caFile: dir + "/ca.crt", certificateFile: dir + "/nope.crt", privateKeyFile: dir + "/node.key")
        }
    }

    @Test func keyOfAnotherNodeIsRefused() throws {
        let pki = try TestPKI.shared.get()
        let city = pki.directory("city")
        let county = pki.directory("county-a")
        #expect(throws: TLSError.keyDoesNotMatchCertificate(certificate: city + "/node.crt", key: county + "/node.key")) {
            try TLSContext(caFile: city + "/ca.crt", certificateFile: city + "/node.crt", privateKeyFile: county + "/node.key")
        }
    }

    @Test func certificateFromAnotherAuthorityIsRefusedAtLoad() throws {
        let pki = try TestPKI.shared.get()
        let stranger = pki.directory("city", authority: "b")
        do {
            _ = try TLSContext(caFile: pki.directory("city") + "/ca.crt", certificateFile: stranger + "/node.crt",
                               privateKeyFile: stranger + "/node.key")
            Issue.record("a certificate from another authority was accepted")
        } catch {
            guard case .certificateNotIssuedByCA = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(error.description.contains("re-issue it from this CA"))
        }
    }

    @Test func expiredOwnCertificateIsRefusedAtLoad() throws {
        let pki = try TestPKI.shared.get()
        let dir = pki.directory("unit-1", authority: "expired")
        do {
            _ = try TLSContext(caFile: dir + "/ca.crt", certificateFile: dir + "/node.crt", privateKeyFile: dir + "/node.key")
            Issue.record("an expired certificate was accepted")
        } catch {
            #expect(error.description.contains("certificate has expired"))
        }
    }

    @Test func garbageCertificateFileIsRefused() throws {
        let pki = try TestPKI.shared.get()
        let dir = try temporaryDirectory()
        try "not a certificate".write(toFile: dir + "/bad.crt", atomically: true, encoding: .utf8)
        let city = pki.directory("city")
        do {
            _ = try TLSContext(caFile: city + "/ca.crt", certificateFile: dir + "/bad.crt", privateKeyFile: city + "/node.key")
            Issue.record("garbage was accepted as a certificate")
        } catch {
            guard case .invalidCertificate = error else {
                Issue.record("unexpected error \(error)")
                return
            }
        }
    }

    @Test func ownIdentityNamesTheNode() throws {
        let pki = try TestPKI.shared.get()
        let context = try TLSContext(directory: pki.directory("unit-1"))
        #expect(context.ownIdentity?.commonName == "unit-1")
        #expect(context.ownIdentity?.dnsNames == ["unit-1"])
        #expect(context.ownIdentity?.fingerprintSHA256.count == 64)
    }
}
