import Foundation
import HotlineCore

/// The built-in policy profiles (one JSON file per regulation in the bundled `profiles` folder) and a loader for
/// more: a sixth city is a new file.
public enum ProfileLibrary {
    /// The built-in profile names, which are also their ids.
    public static let builtinNames = ["jinan-2018", "anshan-2019", "tonghua-2021", "baoding-2022", "anshan-draft"]

    public static func builtin(_ name: String) throws(ProfileError) -> PolicyProfile {
        guard builtinNames.contains(name),
              let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "profiles") else {
            throw .notFound(name)
        }
        return try load(file: url)
    }

    public static func load(file: URL) throws(ProfileError) -> PolicyProfile {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw .notFound(file.path)
        }
        return try PolicyProfile.decode(data)
    }
}
