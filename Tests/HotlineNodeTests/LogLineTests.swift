import Foundation
import Testing
@testable import HotlineNode

/// Log lines are `key=value` pairs operators grep and the bench parses: one line per record, whatever the values.
struct LogLineTests {
    final class Lines: @unchecked Sendable {
        var all: [String] = []
    }

    @Test func aLineHasAChinaTimeStampAndQuotesOnlyValuesThatNeedIt() throws {
        let lines = Lines()
        let log = Log(node: "jn-water", sink: { lines.all.append($0) })
        log.info("ticket-assigned", ["ticket": "JN-20260302-000001", "name": "供水 集团", "note": "a\"b=c\\d",
                                     "multi": "一\r\n二\t三", "empty": "", "plain": "历下区",
                                     "last": "解放路街道JN-20260302-000001 ", "first": "=解放路街道JN-20260302-000001"])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false, "one line")
        let ts = try #require(line.split(separator: " ").first)
        #expect(ts.range(of: #"^ts=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$"#, options: .regularExpression) != nil, "\(ts)")
        #expect(line.contains(#" level=info node=jn-water event=ticket-assigned ticket=JN-20260302-000001 "#))
        #expect(line.contains(#" name="供水 集团" "#))
        #expect(line.contains(#" note="a\"b=c\\d" "#))
        #expect(line.contains(#" multi="一\r\n二\t三" "#))
        #expect(line.contains(#" empty="" plain=历下区"#))
        #expect(line.contains(#" last="解放路街道JN-20260302-000001 " first="=解放路街道JN-20260302-000001""#),
                "a long value is checked to its last byte and from its first")
    }

    @Test func theTimeStampIsNowInChinaStandardTime() throws {
        let ts = Log.timestamp()
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(parser.date(from: ts))
        #expect(abs(date.timeIntervalSinceNow) < 5)
        #expect(ts.hasSuffix("+08:00"))
    }
}

extension LogLineTests {
    /// A log of node `node` writing to a fresh temporary file, and what the file holds so far; the file goes when
    /// `body` returns.
    func withLogFile(node: String, _ body: (Log, () -> String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        try body(Log(node: node, output: fd), { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" })
    }

    /// Lines logged inside `batched` reach the output together at its end, in order, with nothing before; a line
    /// outside it is written at once.
    @Test func batchedLinesAreWrittenTogetherAtTheEndInOrder() throws {
        try withLogFile(node: "b-east-1") { log, written in
            var insideBatch = ""
            log.batched {
                log.info("ticket-assigned", ["ticket": "T-1"])
                log.info("ticket-assigned", ["ticket": "T-2"])
                insideBatch = written()
            }
            #expect(insideBatch.isEmpty)
            let lines = written().split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first?.hasSuffix("ticket=T-1") == true && lines.last?.hasSuffix("ticket=T-2") == true)
            log.info("stopped")
            #expect(written().split(separator: "\n").count == 3)
        }
    }
}

extension LogLineTests {
    /// Inside `batched` a line is written straight into the batch; it must be the line written outside it, byte for
    /// byte after the time stamp, whatever its values need (quotes, escapes, Chinese, empty), and with the node's
    /// name as it is when the line is logged.
    @Test func aBatchedLineIsTheLineWrittenAlone() throws {
        try withLogFile(node: "jn-water") { log, written in
            let records: [(String, [(String, String)])] = [
                ("ticket-assigned", [("ticket", "JN-20260302-000001"), ("name", "供水 集团"), ("note", "a\"b=c\\d")]),
                ("link", [("multi", "一\r\n二\t三"), ("empty", ""), ("plain", "历下区"), ("first", "=解放路街道")]),
                ("ready", []),
            ]
            func logAll() { for (event, fields) in records { log.info(event, fields) } }
            logAll()
            log.batched {
                logAll()
                log.node = "jn-water-2"
                log.info("ready", [])
            }
            let lines = written().split(separator: "\n").map {
                String($0.drop(while: { $0 != " " }))   // without the time stamp
            }
            #expect(lines.count == 7)
            #expect(Array(lines[0..<3]) == Array(lines[3..<6]))
            #expect(lines[6] == lines[2].replacingOccurrences(of: "node=jn-water ", with: "node=jn-water-2 "))
        }
    }
}

extension LogLineTests {
    /// The time stamp is written by calendar arithmetic, not `gmtime_r`: the same text as the C library's calendar
    /// for instants from 1970 to 2100, with the milliseconds always present (".000" included).
    @Test func theTimeStampMatchesTheCLibraryCalendarEveryFewDaysFor130Years() {
        var mismatches: [String] = []
        var millis: Int64 = 0
        var step: Int64 = 0
        while millis < 4_102_444_800_000 {
            var out: [UInt8] = []
            Log.appendTimestamp(millis: millis, to: &out)
            let ours = String(decoding: out, as: UTF8.self)
            var secs = time_t(millis / 1000 + 8 * 3600)
            var t = tm()
            gmtime_r(&secs, &t)
            let reference = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03d+08:00", Int(t.tm_year) + 1900,
                                   Int(t.tm_mon) + 1, Int(t.tm_mday), Int(t.tm_hour), Int(t.tm_min), Int(t.tm_sec),
                                   Int(millis % 1000))
            if ours != reference { mismatches.append("\(millis): \(ours) ≠ \(reference)") }
            // Steps of about three days that keep changing the time of day, and every fourth one a whole second.
            step += 1
            millis += 3 * 86_400_000 + 3_607_123 + (step % 4 == 0 ? 0 : 1)
            if step % 4 == 0 { millis -= millis % 1000 }
        }
        #expect(step > 15_000)
        let differing = mismatches.count
        #expect(differing == 0, "first: \(mismatches.first ?? "")")
    }
}
