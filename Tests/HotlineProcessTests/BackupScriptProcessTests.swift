import Foundation
import Testing

/// deploy/systemd/hotline-backup, which the nightly timer runs: a backup of the running node in a dated folder, then
/// the node's backups older than the days to keep removed — only folders `backup` wrote, never the new one.
struct BackupScriptProcessTests {
    func script(_ args: [String], harness: ProcessHarness) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [ProcessHarness.repoRoot.appendingPathComponent("deploy/systemd/hotline-backup").path] + args
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = ProcessHarness.binDir.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["HOTLINE_DATA_ROOT"] = harness.dir.path
        env["HOTLINE_BACKUP_ROOT"] = harness.dir.appendingPathComponent("backups").path
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func theNightlyBackupWritesADatedCopyAndRemovesOnlyOldBackups() throws {
        let harness = try ProcessHarness(name: "backup-script")
        defer { harness.cleanup() }
        let port = ProcessHarness.freePortBase(count: 1)
        let topology = try harness.writeCityTopology(port: port)
        try harness.initNode("hotline-city", "t-city", topology: topology, ["--insecure"])
        let city = try harness.serve("hotline-city", node: "t-city")
        defer { city.terminate(); city.waitUntilExit() }

        let backups = harness.dir.appendingPathComponent("backups/t-city")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let fm = FileManager.default
        let old = backups.appendingPathComponent("2026-01-01T023000"), notOurs = backups.appendingPathComponent("keep-me")
        for dir in [old, notOurs] { try fm.createDirectory(at: dir, withIntermediateDirectories: true) }
        try Data("{}".utf8).write(to: old.appendingPathComponent("backup.json"))
        let monthAgo = Date().addingTimeInterval(-30 * 86_400)
        for dir in [old, notOurs] { try fm.setAttributes([.modificationDate: monthAgo], ofItemAtPath: dir.path) }

        let run = try script(["t-city", "14"], harness: harness)
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("removed \(old.path) (older than 14 days)"), "\(run.out)")
        let left = try fm.contentsOfDirectory(atPath: backups.path).sorted()
        #expect(left.count == 2 && left.contains("keep-me"), "\(left)")
        let written = try #require(left.first { $0 != "keep-me" })
        #expect(fm.fileExists(atPath: backups.appendingPathComponent(written).appendingPathComponent("node.db").path))
        let mode = try fm.attributesOfItem(atPath: backups.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o700)
        let status = try ProcessHarness.run("hotline-city", ["status", "--data", harness.dataDir("t-city")])
        #expect(status.stdout.contains("last backup: ") && status.stdout.contains(written), "\(status.stdout)")

        let bad = try script(["no-such-node"], harness: harness)
        #expect(bad.status == 2 && bad.err.contains("is not a node's data directory"))
        let badDays = try script(["t-city", "two"], harness: harness)
        #expect(badDays.status == 2 && badDays.err.contains("whole number of days"))
    }
}
