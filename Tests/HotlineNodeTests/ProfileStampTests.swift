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
        // The README's and protocols/README.md's example is the bundled file's: a changed profile is a new version,
        // which nodes initialised before it will report (update both, and the golden vector, with the file).
        #expect(ProfileStamp.of(jinan) == "jinan-2018@f97b16ccd6fd")

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
