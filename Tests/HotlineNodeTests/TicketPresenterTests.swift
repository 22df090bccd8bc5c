import Foundation
import HotlineCore
import HotlineWire
import Testing
@testable import HotlineNode

/// The summary every command that changes a ticket answers with, written straight to JSON, against the dictionary
/// that `list` and `show` still build: the same bytes.
struct TicketPresenterTests {
    @Test func theSummaryWrittenDirectlyIsTheBytesOfTheDictionaryWritten() throws {
        var maker = TicketJSONTests.Maker(g: Simulation.Rng(state: 20261202))
        for n in 0..<300 {
            let t = maker.ticket()
            // Before and after its deadlines (overdue or not), and at the instant of one.
            for now in [t.receivedAt, t.deadlines.handleBy ?? t.receivedAt, Timestamp(millis: t.receivedAt.millis + 400 * 86_400_000)] {
                let direct = TicketPresenter.summaryJSON(t, now: now)
                let written = try #require(JSONValueWriter.encode(TicketPresenter.summary(t, now: now)))
                #expect(direct == written, "ticket \(n):\n\(String(decoding: direct, as: UTF8.self))\n\(String(decoding: written, as: UTF8.self))")
            }
        }
    }
}
