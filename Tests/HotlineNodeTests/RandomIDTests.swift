import Foundation
import Testing
@testable import HotlineNode

/// Message ids: UUID version 4 text, as Foundation's UUID() made them, without opening /dev/urandom. Event ids:
/// UUID version 7, time first, so the events table's unique index on them grows at its end.
struct RandomIDTests {
    @Test func idsAreVersion4UUIDTextThatFoundationParses() throws {
        for _ in 0..<1_000 {
            let id = RandomID.uuid()
            let uuid = try #require(UUID(uuidString: id), "\(id)")
            #expect(uuid.uuidString == id)
            let chars = Array(id)
            #expect(chars.count == 36 && chars[14] == "4" && "89AB".contains(chars[19]))
        }
    }

    @Test func idsDoNotRepeat() {
        let ids = (0..<20_000).map { _ in RandomID.uuid() }
        #expect(Set(ids).count == ids.count)
        // Every position varies except the four dashes and the version digit (the variant digit is one of 8, 9, A, B).
        let positions = (0..<36).filter { i in Set(ids.prefix(200).map { Array($0)[i] }).count > 1 }
        #expect(positions.count == 36 - 4 - 1)
        #expect(Set(ids.prefix(200).map { Array($0)[19] }) == ["8", "9", "A", "B"])
    }

    @Test func timeOrderedIdsAreVersion7WithTheMillisecondsFirst() throws {
        let at: Int64 = 1_772_413_200_123          // 2026-03-02T09:00:00.123+08:00
        for _ in 0..<1_000 {
            let id = RandomID.timeOrdered(unixMillis: at)
            let uuid = try #require(UUID(uuidString: id), "\(id)")
            #expect(uuid.uuidString == id)
            let chars = Array(id)
            #expect(chars[14] == "7" && "89AB".contains(chars[19]))
            let hex = String(chars[0..<8]) + String(chars[9..<13])
            #expect(Int64(hex, radix: 16) == at)
        }
        let ids = (0..<20_000).map { _ in RandomID.timeOrdered(unixMillis: at) }
        #expect(Set(ids).count == ids.count, "74 random bits within one millisecond")
    }

    @Test func timeOrderedIdsMadeLaterSortLater() {
        let earlier = (0..<100).map { _ in RandomID.timeOrdered(unixMillis: 1_772_413_200_000) }
        let later = (0..<100).map { _ in RandomID.timeOrdered(unixMillis: 1_772_413_200_001) }
        #expect(earlier.max()! < later.min()!)
        #expect(earlier.map { $0.lowercased() }.max()! < later.map { $0.lowercased() }.min()!, "as stored, lower case")
        let now = RandomID.currentUnixMillis()
        #expect(abs(now - Int64(Date().timeIntervalSince1970 * 1000)) < 60_000)
    }

    @Test func eventsANodeMakesCarryTimeOrderedIds() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let ticket = try city.intake()
        #expect(!ticket.events.isEmpty)
        for e in ticket.events { #expect(Array(e.id)[14] == "7", "\(e.id)") }
    }
}
