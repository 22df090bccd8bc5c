import Foundation
import HotlineCore
import HotlineNet

/// What a node tells its neighbours about the rules it decides by: the profile's id and the first 12 hex digits of
/// the SHA-256 of its rules (the profile as sorted-key JSON, so the file's layout does not count), e.g.
/// `jinan-2018@f97b16ccd6fd`. Every node of a network must decide by the same profile: one initialised with another
/// (`init --profile`), or with another version of the same one (a node initialised from a later release, whose
/// bundled file changed), refuses steps its neighbours take or takes steps they refuse, and counts deadlines its own
/// way. Nothing compared this before; now each side logs `profile-mismatch` at the hello and `status --check` says it.
enum ProfileStamp {
    static func of(_ profile: PolicyProfile) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(profile)).map { [UInt8]($0) } ?? []
        return "\(profile.id)@\(SHA256.hex(bytes).prefix(12))"
    }

    static func id(_ stamp: String) -> Substring { stamp.split(separator: "@", maxSplits: 1).first ?? Substring(stamp) }

    /// The problem, with what to do: the centre's `profile.json` is the network's.
    static func problem(peer: String, theirs: String, ours: String) -> String {
        let what = id(theirs) == id(ours)
            ? "another version of \(id(ours)) (\(theirs) there, \(ours) here: initialised from different releases)"
            : "another profile (\(theirs) there, \(ours) here)"
        return "\(peer) decides by \(what): the two apply different rules to the same tickets; give every node the centre's profile.json (copy it into the node's data directory and restart the node)"
    }
}
