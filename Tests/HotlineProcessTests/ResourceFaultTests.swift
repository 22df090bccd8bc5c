import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 6, point 4: a full disk under a unit. The unit stops acknowledging, says why in its log and to operators,
/// the city keeps what it sent, and everything arrives once space is free again — with no restart.
@Suite("Resource faults", .serialized)
struct ResourceFaultTests {
    static func sh(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// A small tmpfs stands in for a full disk; mounting one needs root (CI runs as root in its container).
    static let canMountTmpfs: Bool = {
        let dir = NSTemporaryDirectory() + "hl-mount-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { _ = sh("umount '\(dir)'; rmdir '\(dir)'") }
        return sh("mount -t tmpfs -o size=64k tmpfs '\(dir)'") == 0
    }()

    @Test(.enabled(if: canMountTmpfs, "mounting a tmpfs needs root"))
    func fullDiskStopsAcknowledgingLosesNothingAndResumesByItself() throws {
        let net = try TestNetwork(name: "diskfull", start: false)
        let data = net.harness.dataDir("u-water")
        // Move the unit's data directory onto a 4 MB tmpfs.
        try FileManager.default.moveItem(atPath: data, toPath: data + ".init")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        #expect(Self.sh("mount -t tmpfs -o size=4m tmpfs '\(data)' && cp -a '\(data).init/.' '\(data)/'") == 0)
        defer {
            for (id, _) in TestNetwork.nodes { net.stop(id) }
            _ = Self.sh("umount '\(data)'")
        }
        for (id, _) in TestNetwork.nodes { try net.start(id) }
        try ProcessHarness.eventually("u-water to be up") { (try net.run("u-water", "status")).status == 0 }
        try ProcessHarness.eventually("the city's link to u-water to be up") {
            (try net.ok("t-city", "status")["links"] as? [[String: Any]])?.contains { $0["peer"] as? String == "u-water" && $0["up"] as? Bool == true } == true
        }

        // Fill the disk to the last byte.
        let filler = data + "/filler"
        _ = Self.sh("dd if=/dev/zero of='\(filler)' bs=64k 2>/dev/null; sync")
        var ids: [String] = []
        for i in 1...3 {
            let id = try net.intake(text: "第\(i)栋楼停水，已经两天了，请尽快处理。" + String(repeating: "情况说明。", count: 200),
                                    area: "历下区/泉城路街道", topic: "供水")
            try net.ok("t-city", "dispatch", id, "--to", "u-water")
            ids.append(id)
        }
        // The unit cannot store them: it says so to operators and in its log, and acknowledges nothing.
        try ProcessHarness.eventually("u-water to report the storage failure") {
            ((try net.ok("u-water", "status")["storageFailure"] as? String) ?? "").isEmpty == false
        }
        let log = try String(contentsOf: net.harness.dir.appendingPathComponent("u-water.log"), encoding: .utf8)
        #expect(log.contains("event=storage-failed") && log.contains("nothing is acknowledged"))
        let pending = (try net.ok("t-city", "status")["links"] as? [[String: Any]])?.first { $0["peer"] as? String == "u-water" }?["pending"] as? Int
        #expect((pending ?? 0) >= 3, "the city keeps every unacknowledged message")
        #expect(net.status(at: "u-water", of: ids[0]) == nil)

        // Space comes back: the unit resumes by itself and every ticket arrives once.
        try FileManager.default.removeItem(atPath: filler)
        for id in ids { try net.waitStatus("u-water", id, "dispatched", timeout: 60) }
        try ProcessHarness.eventually("u-water to report healthy storage") {
            (try net.ok("u-water", "status")["storageFailure"] as? String) == ""
        }
        let after = try String(contentsOf: net.harness.dir.appendingPathComponent("u-water.log"), encoding: .utf8)
        #expect(after.contains("event=storage-recovered"))
        try ProcessHarness.eventually("the city's queue to u-water to drain") {
            (try net.ok("t-city", "status")["links"] as? [[String: Any]])?.first { $0["peer"] as? String == "u-water" }?["pending"] as? Int == 0
        }
        let inbox = try net.run("u-water", "list", "--json").list
        #expect(inbox.filter { ids.contains($0["id"] as? String ?? "") }.count == 3)
    }
}
