import Foundation
import Testing
@testable import HotlineNet

@Suite struct MakePKITests {
    private let script = packageRoot + "/deploy/pki/make-pki.sh"

    private func topology(_ json: String) throws -> (dir: String, file: String) {
        let dir = try temporaryDirectory()
        try json.write(toFile: dir + "/topology.json", atomically: true, encoding: .utf8)
        return (dir, dir + "/topology.json")
    }

    @Test func secondRunKeepsValidCertificatesAndKeysArePrivate() throws {
        let (dir, file) = try topology(#"{"nodes":[{"id":"city","kind":"city"},{"id":"unit-9","parent":"city"}]}"#)
        _ = try shell("'\(script)' '\(file)' '\(dir)/pki'")
        let first = try TLSContext(caFile: "\(dir)/pki/unit-9/ca.crt", certificateFile: "\(dir)/pki/unit-9/node.crt",
                                   privateKeyFile: "\(dir)/pki/unit-9/node.key")
        let output = try shell("'\(script)' '\(file)' '\(dir)/pki'")
        #expect(output.contains("kept \(dir)/pki/unit-9/node.crt"))
        let second = try TLSContext(caFile: "\(dir)/pki/unit-9/ca.crt", certificateFile: "\(dir)/pki/unit-9/node.crt",
                                    privateKeyFile: "\(dir)/pki/unit-9/node.key")
        #expect(first.ownIdentity == second.ownIdentity)
        #expect(second.ownIdentity?.names == ["unit-9"])
        let modes = try shell("stat -c '%a' '\(dir)/pki/ca.key' '\(dir)/pki/unit-9/node.key' '\(dir)/pki/unit-9/node.crt'")
        #expect(modes.split(separator: "\n") == ["600", "600", "644"])
    }

    @Test func aRevocationIsKeptAcrossRunsAndTheListGoesToEveryNode() throws {
        let (dir, file) = try topology(#"{"nodes":[{"id":"city","kind":"city"},{"id":"unit-9","parent":"city"}]}"#)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: ShellFailure.self, "nothing revoked yet: no list to write") { try shell("'\(script)' '\(file)' '\(dir)/pki' --crl") }
        _ = try shell("'\(script)' '\(file)' '\(dir)/pki'")
        let revokedSerial = try shell("openssl x509 -in '\(dir)/pki/unit-9/node.crt' -noout -serial").split(separator: "=").last
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        let revoke = try shell("'\(script)' '\(file)' '\(dir)/pki' --revoke unit-9")
        #expect(revoke.contains("revoked \(dir)/pki/unit-9/node.crt (serial \(revokedSerial))") && revoke.contains("issued \(dir)/pki/unit-9/node.crt"))
        // A later run keeps both certificates (the new one is not on the list) and gives each node the list.
        let again = try shell("'\(script)' '\(file)' '\(dir)/pki'")
        #expect(again.contains("kept \(dir)/pki/unit-9/node.crt") && again.contains("kept \(dir)/pki/city/node.crt"))
        for node in ["city", "unit-9"] {
            #expect(try TLSContext(directory: "\(dir)/pki/\(node)").revocationList?.lists == 1)
        }
        #expect(try String(contentsOfFile: "\(dir)/pki/revoked.txt", encoding: .utf8).hasPrefix("\(revokedSerial) unit-9 "))
    }

    @Test func nodeIdThatIsNotDNSSafeIsRefused() throws {
        let (dir, file) = try topology(#"{"nodes":[{"id":"City_Centre"}]}"#)
        #expect(throws: ShellFailure.self) { try shell("'\(script)' '\(file)' '\(dir)/pki'") }
        #expect(!FileManager.default.fileExists(atPath: dir + "/pki/ca.key"))
    }

    @Test func topologyWithoutNodesIsRefused() throws {
        let (dir, file) = try topology(#"{"links":[]}"#)
        do {
            _ = try shell("'\(script)' '\(file)' '\(dir)/pki'")
            Issue.record("a topology without nodes was accepted")
        } catch let failure as ShellFailure {
            #expect(failure.output.contains("no \"nodes\" list"))
        }
    }
}
