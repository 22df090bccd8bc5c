import Foundation
import Testing
@testable import HotlineNode

/// Event and message ids: UUID version 4 text, as Foundation's UUID() made them, without opening /dev/urandom.
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
}
