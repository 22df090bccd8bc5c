import Foundation
import HotlineCore

/// Finds the bundled data folders (`profiles`, `calendars`) without `Bundle.module`, whose generated accessor
/// aborts the process when the bundle is not next to the executable (e.g. a binary copied to /usr/local/bin).
/// Looked up, in order: `$HOTLINE_RESOURCES/<name>`, the SwiftPM resource bundle beside the executable,
/// `<executable dir>/../share/hotline/<name>`, and the source tree this was built from.
public enum BundledResources {
    public static func directory(_ name: String) -> URL? {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["HOTLINE_RESOURCES"], !env.isEmpty {
            candidates.append(URL(fileURLWithPath: env).appendingPathComponent(name))
        }
        let exe = Bundle.main.bundleURL
        candidates.append(exe.appendingPathComponent("hotline_HotlineProfiles.resources").appendingPathComponent(name))
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("share/hotline").appendingPathComponent(name))
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(name)
        candidates.append(source)
        var isDir: ObjCBool = false
        return candidates.first { FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDir) && isDir.boolValue }
    }

    /// The files of a bundled folder with the given extension, sorted by name.
    public static func files(_ name: String, extension ext: String) -> [URL] {
        guard let dir = directory(name),
              let items = try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return items.filter { $0.pathExtension == ext }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}

/// The built-in policy profiles (one JSON file per regulation in the bundled `profiles` folder) and a loader for
/// more: a sixth city is a new file.
public enum ProfileLibrary {
    /// The built-in profile names, which are also their ids.
    public static let builtinNames = ["jinan-2018", "anshan-2019", "tonghua-2021", "baoding-2022", "anshan-draft"]

    /// The raw JSON of a built-in profile (what `init` copies into a node's data directory).
    public static func builtinData(_ name: String) throws(ProfileError) -> Data {
        guard builtinNames.contains(name), let dir = BundledResources.directory("profiles") else { throw .notFound(name) }
        do {
            return try Data(contentsOf: dir.appendingPathComponent(name + ".json"))
        } catch {
            throw .notFound(name)
        }
    }

    public static func builtin(_ name: String) throws(ProfileError) -> PolicyProfile {
        try PolicyProfile.decode(try builtinData(name))
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

/// The working-day calendars: one JSON file per year (State Council holiday notice), bundled in `calendars`.
public enum CalendarLibrary {
    /// The bundled year files as (file name, contents), e.g. ("2026.json", …).
    public static func builtinFiles() -> [(name: String, data: Data)] {
        BundledResources.files("calendars", extension: "json").compactMap { url in
            (try? Data(contentsOf: url)).map { (url.lastPathComponent, $0) }
        }
    }

    public static func builtin() throws(CalendarError) -> WorkingCalendar {
        try WorkingCalendar.decode(yearFiles: builtinFiles().map(\.data))
    }

    /// Every `*.json` file in a directory (a node's `calendars/`), e.g. to add next year's notice.
    public static func load(directory: URL) throws(CalendarError) -> WorkingCalendar {
        let items: [URL]
        do {
            items = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        } catch {
            throw .unreadable(file: 0, detail: "cannot list \(directory.path): \(error.localizedDescription)")
        }
        var files: [Data] = []
        for url in items.filter({ $0.pathExtension == "json" }).sorted(by: { $0.lastPathComponent < $1.lastPathComponent }) {
            do {
                files.append(try Data(contentsOf: url))
            } catch {
                throw .unreadable(file: files.count, detail: "cannot read \(url.path)")
            }
        }
        return try WorkingCalendar.decode(yearFiles: files)
    }
}
