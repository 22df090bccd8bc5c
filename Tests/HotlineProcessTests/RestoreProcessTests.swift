import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A unit's disk is lost and its database put back from a backup taken while it ran: the links resume (the
/// restored node continues its numbering after what the county holds, the county skips what it no longer holds),
/// the centre's `resync` brings back the tickets changed since the backup, and work goes on in both directions.
@Suite("Backup and restore across processes", .serialized)
struct RestoreProcessTests {
    @Test func aUnitRestoredFromABackupRejoinsTheNetworkAndGetsBackWhatItLost() throws {
        let net = try TestNetwork(name: "restore")
        let first = try net.intake()
        try net.ok("t-city", "dispatch", first, "--to", "t-county")
        try net.waitStatus("t-county", first, "dispatched")
        try net.ok("t-county", "forward", first, "--to", "u-street")
        try net.waitStatus("u-street", first, "dispatched")

        // The backup, taken while the unit runs.
        let backup = net.harness.dir.appendingPathComponent("backups/u-street-0302").path
        try FileManager.default.createDirectory(atPath: net.harness.dir.appendingPathComponent("backups").path,
                                                withIntermediateDirectories: true)
        let written = try net.ok("u-street", "backup", "--out", backup)
        #expect(written["path"] as? String == backup)
        for file in ["node.db", "keys/data.key", "node.json", "topology.json", "backup.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(backup)/\(file)"), "\(file) in the backup")
        }
        let keyMode = (try FileManager.default.attributesOfItem(atPath: "\(backup)/keys/data.key")[.posixPermissions] as? NSNumber)?.intValue
        #expect(keyMode == 0o600)
        let again = try net.run("u-street", "backup", "--out", backup)
        #expect(again.status != 0 && again.stderr.contains("already exists"))

        // Work the backup does not hold: the unit signs the first ticket (its message 1 to the county), and
        // receives a second one (the county's message 2 to it).
        try net.ok("u-street", "sign", first)
        try net.waitStatus("t-city", first, "signed")
        let second = try net.intake(text: "工地凌晨施工")
        try net.ok("t-city", "dispatch", second, "--to", "t-county")
        try net.waitStatus("t-county", second, "dispatched")
        try net.ok("t-county", "forward", second, "--to", "u-street")
        try net.waitStatus("u-street", second, "dispatched")

        // Restore refuses what would do harm, and changes nothing.
        let running = try net.run("u-street", "restore", "--from", backup)
        #expect(running.status != 0 && running.stderr.contains("is running"))
        let otherNode = try net.run("u-street2", "restore", "--from", backup)
        #expect(otherNode.status != 0 && otherNode.stderr.contains("belongs to u-street2"))

        // The disk is lost (a crash, not a stop), and the backup goes back in. First the county deletes the rows
        // the unit acknowledged (with its next round that writes, or within a second): it then no longer holds the
        // second ticket's assignment, which only the centre's record can bring back.
        sleep(3)
        net.stop("u-street", kill: true)
        let topologyFile = net.harness.dataDir("u-street") + "/topology.json"
        try Data("{\"edited\": \"after the backup\"}".utf8).write(to: URL(fileURLWithPath: topologyFile + ".probe"))
        let topologyBefore = try FileManager.default.attributesOfItem(atPath: topologyFile)[.modificationDate] as? Date
        let restored = try net.run("u-street", "restore", "--from", backup)
        try ProcessHarness.expectOK(restored, "restore")
        #expect(restored.stdout.contains("hotline-city resync --node u-street --since 2026-03-02"))
        let kept = try FileManager.default.contentsOfDirectory(atPath: net.harness.dataDir("u-street")).filter { $0.hasPrefix("replaced-") }
        #expect(kept.count == 1, "the replaced database is kept")
        // Configuration already there is kept (a topology may have changed since the backup), and so is any other file.
        #expect(try FileManager.default.attributesOfItem(atPath: topologyFile)[.modificationDate] as? Date == topologyBefore)
        #expect(FileManager.default.fileExists(atPath: topologyFile + ".probe"))
        try net.start("u-street")
        let restoredStatus = try net.ok("u-street", "status")
        // The backup put back is the database's last backup (the copy itself held the one before it, here none).
        #expect((restoredStatus["lastBackup"] as? [String: Any])?["path"] as? String == backup)
        let links = restoredStatus["links"] as? [[String: Any]] ?? []
        #expect(links.first { $0["peer"] as? String == "t-county" }?["restored"] as? Bool == true)
        #expect(net.status(at: "u-street", of: second) == nil, "the backup predates the second ticket")
        #expect(net.status(at: "u-street", of: first) == "dispatched", "the backup predates the sign-for")

        // The centre sends back what changed since the backup's day.
        let resync = try net.ok("t-city", "resync", "--node", "u-street", "--since", "2026-03-02")
        #expect(resync["node"] as? String == "u-street" && resync["started"] as? Bool == true, "\(resync)")
        try net.waitStatus("u-street", second, "dispatched")
        try net.waitStatus("u-street", first, "signed")
        // The sweep that sent them is over, and says how many tickets it sent.
        let cityLog = try String(contentsOf: net.harness.dir.appendingPathComponent("t-city.log"), encoding: .utf8)
        #expect(cityLog.contains("event=resync-done node=u-street since=2026-03-02 tickets=2"), "\(cityLog.suffix(2_000))")
        #expect((try net.ok("t-city", "status")["sweeps"] as? [Any])?.isEmpty == true)

        // Work goes on both ways: the unit's new messages are numbered after what the county holds (reused numbers
        // would be dropped there as duplicates), and the county's reach it.
        try net.ok("u-street", "sign", second)
        try net.ok("u-street", "reply", first, "--text", "已责令施工方停止夜间施工", "--contacted")
        try net.waitStatus("t-city", second, "signed")
        try net.waitStatus("t-city", first, "replied")
        try net.ok("t-city", "review", first, "--pass")
        try net.ok("t-city", "callback", first, "--satisfaction", "satisfied")
        try net.waitStatus("u-street", first, "closed")

        let unitLog = try String(contentsOf: net.harness.dir.appendingPathComponent("u-street.log"), encoding: .utf8)
        let countyLog = try String(contentsOf: net.harness.dir.appendingPathComponent("t-county.log"), encoding: .utf8)
        #expect(unitLog.contains("link-reseated") && unitLog.contains("link-gap-accepted") && unitLog.contains("link-restore-finished"))
        #expect(countyLog.contains("link-gap-skipped"))
        #expect(!countyLog.contains("seq-from-future") && !unitLog.contains("seq-from-future"))
        // Once data has come in, the link is an ordinary one again: a later restart resumes without the flag.
        let after = try net.ok("u-street", "status")["links"] as? [[String: Any]] ?? []
        #expect(after.first { $0["peer"] as? String == "t-county" }?["restored"] as? Bool == false)
        net.stop("u-street")
        try net.start("u-street")
        let third = try net.intake(text: "夜间装修噪音")
        try net.ok("t-city", "dispatch", third, "--to", "t-county")
        try net.waitStatus("t-county", third, "dispatched")
        try net.ok("t-county", "forward", third, "--to", "u-street")
        try net.waitStatus("u-street", third, "dispatched")
    }

    @Test func aRestoredCentreResumesItsLinksTakesBackWhatItsBackupLackedAndNeverGivesOutANumberAgain() throws {
        let net = try TestNetwork(name: "restore-city")
        let first = try net.intake()
        let backup = net.harness.dir.appendingPathComponent("city-backup").path
        try net.ok("t-city", "backup", "--out", backup)
        // Numbers the backup does not know, and an assignment the county holds from the lost database.
        let second = try net.intake(text: "工地凌晨施工")
        try net.ok("t-city", "dispatch", second, "--to", "t-county")
        try net.waitStatus("t-county", second, "dispatched")
        sleep(3)   // the county's acknowledgement reaches the centre and its row is deleted there
        net.stop("t-city", kill: true)
        try ProcessHarness.expectOK(try net.run("t-city", "restore", "--from", backup), "restore")
        try net.start("t-city")
        // The next number is above the restore's floor, never the second ticket's again.
        let third = try net.intake(text: "夜间装修噪音")
        #expect(first.hasSuffix("-000001") && second.hasSuffix("-000002"))
        #expect(third.hasSuffix("-100001"), "\(third)")
        // The centre's link to the county resumes in both directions.
        try net.ok("t-city", "dispatch", third, "--to", "t-county")
        try net.waitStatus("t-county", third, "dispatched")
        try net.ok("t-county", "forward", third, "--to", "u-street")
        try net.waitStatus("t-city", third, "dispatched")
        try net.waitEvent("t-city", third, "forwarded")
        let cityLog = try String(contentsOf: net.harness.dir.appendingPathComponent("t-city.log"), encoding: .utf8)
        #expect(cityLog.split(separator: "\n").contains { $0.contains("event=link-reseated") && $0.contains("peer=t-county") })
        // The ticket taken in after the backup is not in the restored record; `recover` takes it back from the
        // county station's copy, dispatch and all.
        #expect(net.status(at: "t-city", of: second) == nil)
        let digits = Array(first.split(separator: "-")[1])
        let day = "\(String(digits[0..<4]))-\(String(digits[4..<6]))-\(String(digits[6..<8]))"
        try net.ok("t-city", "recover", "--since", day)
        try net.waitStatus("t-city", second, "dispatched")
        try net.waitEvent("t-city", second, "dispatched")
        // Restored again from the same, older backup (which knows nothing of the first restore): the numbers the
        // first restored database gave out are not given out again either.
        net.stop("t-city", kill: true)
        try ProcessHarness.expectOK(try net.run("t-city", "restore", "--from", backup), "second restore")
        try net.start("t-city")
        let fourth = try net.intake(text: "楼上漏水")
        #expect(fourth.hasSuffix("-200001"), "\(fourth)")
    }
}
