import Testing
import HotlineCore

/// `Lifecycle.merge`: what a county station's or unit's copy adds to a restored centre's record.
struct CopyMergeTests {
    @Test func aCopyAddsOnlyTheEventsTheRecordLacksInItsOrder() throws {
        var h = try Harness("jinan-2018")
        try h.dispatched()
        let record = h.t                       // the backup: received, dispatched
        try h.run(.sign, by: waterUnit, at: at("2026-03-02T10:00"))
        try h.run(.reply(result: "Pipe repaired", callerContacted: true), by: waterUnit, at: at("2026-03-04T15:00"))
        let copy = h.t                         // the unit's copy: two steps more
        let merge = Lifecycle.merge(copy: copy, into: record)
        #expect(merge.added.map(\.type) == [.signed, .replied])
        #expect(merge.ticket == copy)
        #expect(merge.stoppedAt == nil)
        // The same copy again adds nothing; a record that lacks the ticket is rebuilt from the copy alone.
        #expect(Lifecycle.merge(copy: copy, into: copy).added.isEmpty)
        #expect(Lifecycle.merge(copy: copy, into: nil).ticket == copy)
    }

    @Test func takingStopsAtTheFirstEventTheRecordCannotTake() throws {
        var h = try Harness("jinan-2018")
        try h.dispatched()
        let record = h.t
        try h.run(.sign, by: waterUnit, at: at("2026-03-02T10:00"))
        var copy = h.t
        // A copy whose history skips the sign-for: the reply cannot follow a dispatch, and nothing after it is taken.
        let signed = copy.events.removeLast()
        try h.run(.reply(result: "Pipe repaired", callerContacted: true), by: waterUnit, at: at("2026-03-04T15:00"))
        copy.events.append(h.t.events.last!)
        copy.events.append(signed)
        let merge = Lifecycle.merge(copy: copy, into: record)
        #expect(merge.added.isEmpty)
        #expect(merge.stoppedAt?.event.type == .replied)
        #expect(merge.ticket == record)
    }
}
