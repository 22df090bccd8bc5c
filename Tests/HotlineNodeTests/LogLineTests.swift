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
                                     "multi": "一\r\n二\t三", "empty": "", "plain": "历下区"])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false, "one line")
        let ts = try #require(line.split(separator: " ").first)
        #expect(ts.range(of: #"^ts=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$"#, options: .regularExpression) != nil, "\(ts)")
        #expect(line.contains(#" level=info node=jn-water event=ticket-assigned ticket=JN-20260302-000001 "#))
        #expect(line.contains(#" name="供水 集团" "#))
        #expect(line.contains(#" note="a\"b=c\\d" "#))
        #expect(line.contains(#" multi="一\r\n二\t三" "#))
        #expect(line.contains(#" empty="" plain=历下区"#))
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
    /// Lines logged inside `batched` reach the output together at its end, in order, with nothing before; a line
    /// outside it is written at once.
    @Test func batchedLinesAreWrittenTogetherAtTheEndInOrder() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        func written() -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        let log = Log(node: "b-east-1", output: fd)
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
