import Foundation
import Testing
import HotlineCore
import HotlineWire
@testable import HotlineNode

/// A message over the links' frame limit (`maxFrameBytes`, 4 MiB) is refused before it is stored: the next hop
/// closes the link on such a frame at every offer, so in an outbox it would hold up everything queued behind it.
struct OversizeMessageTests {
    /// A caller's text that makes the ticket's assignment larger than 4 MiB.
    static let hugeText = String(repeating: "停水", count: 800_000)

    @Test func aDispatchWhoseAssignmentIsOverTheFrameLimitIsRefusedAndStoresNothing() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let id = "JN-20260302-000001"
        _ = try city.perform(.receive(TicketIntake(id: id, channel: "phone", kind: "complain", topic: "噪声扰民",
                                                   area: Area(district: "历下区", street: "解放路街道"), address: "",
                                                   text: Self.hugeText, caller: CallerInfo())), on: nil)
        let before = try city.ticket(id)
        let error = #expect(throws: ServiceError.self) { try city.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: id) }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("ticket.assign") && text.contains("maxFrameBytes") && text.contains("nothing was stored"), "\(text)")
        let after = try city.ticket(id)
        #expect(after.status == .received && after.events.count == before.events.count)
        #expect(try city.context.links.pendingCount(link: "k") == 0)
        // A ticket of ordinary size still goes: the refusal is about the size alone.
        _ = try city.perform(.receive(TicketIntake(id: "JN-20260302-000002", channel: "phone", kind: "complain", topic: "噪声扰民",
                                                   area: Area(district: "历下区", street: "解放路街道"), address: "",
                                                   text: "夜间施工噪音", caller: CallerInfo())), on: nil)
        _ = try city.perform(.dispatch(lead: "s1", assisting: [], tier: nil), on: "JN-20260302-000002")
        #expect(try city.context.links.pendingCount(link: "k") == 1)
    }

    @Test func aRelayedMessageOverTheFrameLimitIsRefusedAndTheOriginIsTold() throws {
        let county = try NodeFixture(id: "k", role: .county)
        let body = Array("{\"note\":\"\(Self.hugeText)\"}".utf8)
        let m = DataMessage(id: UUID().uuidString, seq: 1, origin: "c", dest: "s1", kind: AppMessageKind.ticketEvent.rawValue,
                            body: body, at: county.now.millis)
        let refusal = try county.context.db.transaction { try county.service.handleIncoming(m, from: "c", now: county.now) }
        #expect(refusal?.contains("maxFrameBytes") == true)
        #expect(try county.context.links.pendingCount(link: "s1") == 0, "nothing queued for the unit")
        #expect(try county.context.links.pendingCount(link: "c") == 1, "a notice for the centre")
        #expect(county.log.contains { $0.contains("message-refused") && $0.contains("maxFrameBytes") })
    }
}
