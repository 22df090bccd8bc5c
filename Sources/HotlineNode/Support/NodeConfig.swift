import Foundation

/// A node's configuration, DIR/node.json, written by `init` and read by `serve`.
public struct NodeConfig: Codable, Sendable, Equatable {
    public var nodeId: String
    public var role: NodeKind
    /// "system" or "manual" (training and tests).
    public var clock: String = "system"
    /// Plaintext links (loopback-only topologies); logged loudly.
    public var insecure: Bool = false
    public var tlsCA: String = ""
    public var tlsCert: String = ""
    public var tlsKey: String = ""
    /// The group allowed to use the admin socket (mode 0660).
    public var adminGroup: String?
    /// Days a closed ticket's personal fields are kept at counties and units (the city keeps them).
    public var retentionDays: Int = 180
    public var heartbeatSeconds: Int = 5
    public var deadAfterSeconds: Int = 15
    /// "full" (default: acknowledged = survives power loss) or "normal".
    public var synchronous: String = "full"
    public var maxFrameBytes: Int = 4 << 20
    public var window: Int = 256

    public init(nodeId: String, role: NodeKind) {
        self.nodeId = nodeId
        self.role = role
    }

    public static func load(dir: URL) throws -> NodeConfig {
        let file = dir.appendingPathComponent("node.json")
        guard let data = try? Data(contentsOf: file) else {
            throw ConfigError.missing(dir.path)
        }
        do { return try JSONDecoder().decode(NodeConfig.self, from: data) } catch {
            throw ConfigError.invalid(file.path, "\(error)")
        }
    }

    public func save(dir: URL) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try e.encode(self).write(to: dir.appendingPathComponent("node.json"), options: .atomic)
    }
}

public enum ConfigError: Error, CustomStringConvertible {
    case missing(String)
    case invalid(String, String)

    public var description: String {
        switch self {
        case .missing(let dir):
            return "\(dir)/node.json is missing: run `hotline-<role> init --topology FILE --id NODE --data \(dir)` first"
        case .invalid(let file, let why): return "\(file) is not a valid node configuration: \(why)"
        }
    }
}
