import Foundation
import Testing
import HotlineCore
import HotlineProfiles
@testable import HotlineNode

/// The profile a node names in its hello: the same rules give the same stamp however the file is laid out; a changed
/// rule, or another profile, gives another.
struct ProfileStampTests {
    @Test func theSameRulesInAnotherLayoutGiveTheSameStampAndAChangedRuleAnother() throws {
        let jinan = try ProfileLibrary.builtin("jinan-2018")
        let relaid = try JSONSerialization.data(withJSONObject: try JSONSerialization.jsonObject(with: JSONEncoder().encode(jinan)),
                                                options: [.prettyPrinted])
        let reread = try PolicyProfile.decode(relaid)
        #expect(ProfileStamp.of(reread) == ProfileStamp.of(jinan))
        #expect(ProfileStamp.of(jinan).hasPrefix("jinan-2018@") && ProfileStamp.of(jinan).count == "jinan-2018@".count + 12)

        var changed = jinan
        changed.handlingDefault?.value = .workingDays(3)
        #expect(ProfileStamp.of(changed) != ProfileStamp.of(jinan))
        #expect(ProfileStamp.problem(peer: "k", theirs: ProfileStamp.of(changed), ours: ProfileStamp.of(jinan))
            .contains("k decides by another version of jinan-2018"))
        let tonghua = try ProfileLibrary.builtin("tonghua-2021")
        #expect(ProfileStamp.problem(peer: "k", theirs: ProfileStamp.of(tonghua), ours: ProfileStamp.of(jinan))
            .contains("k decides by another profile (tonghua-2021@"))
    }
}
