import Foundation
import Testing
@testable import HotlineNet

/// A node reads when its certificate chain stops being valid, so that it can warn before every link stops.
struct CertificateExpiryTests {
    static let day: Int64 = 86_400_000
    static var nowMillis: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test func theChainEndsWithTheNodesOwnCertificateWhenTheAuthorityOutlivesIt() throws {
        let pki = try TestPKI.shared.get()
        let expiry = try #require(try pki.context("county-a").expiry)
        #expect(expiry.file.hasSuffix("/county-a/node.crt"))
        // make-pki.sh issues node certificates for 825 days (the authority for 3,650).
        #expect(abs(expiry.millis - (Self.nowMillis + 825 * Self.day)) < 2 * Self.day)
    }

    @Test func theChainEndsWithTheAuthorityWhenItExpiresFirst() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try #"{"nodes":[{"id":"city"},{"id":"unit-1"}]}"#.write(toFile: root + "/topology.json", atomically: true, encoding: .utf8)
        _ = try shell("'\(packageRoot)/deploy/pki/make-pki.sh' '\(root)/topology.json' '\(root)/pki' --days 825 --ca-days 20")
        let expiry = try #require(try TLSContext(directory: root + "/pki/unit-1").expiry)
        #expect(expiry.file.hasSuffix("/pki/unit-1/ca.crt"))
        #expect(abs(expiry.millis - (Self.nowMillis + 20 * Self.day)) < 2 * Self.day)
    }

    @Test func aContextThatSkippedTheCheckHasNoExpiry() throws {
        #expect(try TestPKI.shared.get().context("unit-1", authority: "expired").expiry == nil)
    }
}
