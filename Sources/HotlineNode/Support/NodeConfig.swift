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
    /// Data frames sent on a link and not yet acknowledged. 2,048 rather than the wire library's 256: with 1,024 a
    /// unit catching up on a backlog waited for the county's next frames (its work loop busy 85 %: the county had
    /// sent its window and was waiting for the acknowledgement the unit's commit would give); with 2,048 it is busy
    /// 92 % and drains 100,000 messages about a tenth sooner (hotline-bench catchup, alternating pairs: 5.82 / 5.65 s
    /// → 5.27 / 5.07 s), for about 6 MB more memory at each end while it lasts. 4,096 was no faster (4.87 / 3.99 s
    /// against 4.57 / 4.36 s) and held 10-15 MB more. (256 → 1,024 had drained 15 % sooner.)
    public var window: Int = 2048
    /// The longest wait between two dials of the parent (exponential backoff with jitter up to this).
    public var redialCapSeconds: Int = 30
    /// Where to dial the parent when it is not the topology's `listen` address (a gateway or port forward in
    /// between; the fault-injecting proxy of the chaos test). The peer is still checked by its certificate.
    public var parentAddress: String?
    /// 自动签收 — a unit whose own system takes tickets in (an agency gateway) signs for each ticket it leads as it
    /// stores it, in the same transaction; the sign-for clock then stops at arrival.
    public var autoSign: Bool = false
    /// A work-loop round (every input that arrived, one transaction, one commit) that takes this long or longer
    /// is logged as `slow-round`, with where its time went, and counted in `status`.
    public var slowRoundMilliseconds: Int = 1000

    public init(nodeId: String, role: NodeKind) {
        self.nodeId = nodeId
        self.role = role
    }

    /// Fields missing from an older node.json take their defaults, so an upgrade needs no config edit.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(nodeId: try c.decode(String.self, forKey: .nodeId), role: try c.decode(NodeKind.self, forKey: .role))
        clock = try c.decodeIfPresent(String.self, forKey: .clock) ?? clock
        insecure = try c.decodeIfPresent(Bool.self, forKey: .insecure) ?? insecure
        tlsCA = try c.decodeIfPresent(String.self, forKey: .tlsCA) ?? tlsCA
        tlsCert = try c.decodeIfPresent(String.self, forKey: .tlsCert) ?? tlsCert
        tlsKey = try c.decodeIfPresent(String.self, forKey: .tlsKey) ?? tlsKey
        adminGroup = try c.decodeIfPresent(String.self, forKey: .adminGroup)
        retentionDays = try c.decodeIfPresent(Int.self, forKey: .retentionDays) ?? retentionDays
        heartbeatSeconds = try c.decodeIfPresent(Int.self, forKey: .heartbeatSeconds) ?? heartbeatSeconds
        deadAfterSeconds = try c.decodeIfPresent(Int.self, forKey: .deadAfterSeconds) ?? deadAfterSeconds
        synchronous = try c.decodeIfPresent(String.self, forKey: .synchronous) ?? synchronous
        maxFrameBytes = try c.decodeIfPresent(Int.self, forKey: .maxFrameBytes) ?? maxFrameBytes
        window = try c.decodeIfPresent(Int.self, forKey: .window) ?? window
        redialCapSeconds = try c.decodeIfPresent(Int.self, forKey: .redialCapSeconds) ?? redialCapSeconds
        parentAddress = try c.decodeIfPresent(String.self, forKey: .parentAddress)
        autoSign = try c.decodeIfPresent(Bool.self, forKey: .autoSign) ?? autoSign
        slowRoundMilliseconds = try c.decodeIfPresent(Int.self, forKey: .slowRoundMilliseconds) ?? slowRoundMilliseconds
        try validate()
    }

    /// Refuses values that would make the node misbehave, naming the field.
    func validate() throws {
        func bad(_ field: String, _ why: String) -> ConfigError { .invalid("node.json", "\(field): \(why)") }
        guard ["system", "manual"].contains(clock) else { throw bad("clock", "use \"system\" or \"manual\"") }
        guard ["full", "normal"].contains(synchronous) else { throw bad("synchronous", "use \"full\" or \"normal\"") }
        guard heartbeatSeconds >= 1 else { throw bad("heartbeatSeconds", "at least 1") }
        guard deadAfterSeconds > heartbeatSeconds else { throw bad("deadAfterSeconds", "must exceed heartbeatSeconds") }
        guard maxFrameBytes >= 64 * 1024 else { throw bad("maxFrameBytes", "at least 65536") }
        guard (1...100_000).contains(window) else { throw bad("window", "between 1 and 100000") }
        if let a = parentAddress, Endpoint(parsing: a) == nil { throw bad("parentAddress", "must be \"host:port\", e.g. \"127.0.0.1:7400\"") }
        guard redialCapSeconds >= 1 else { throw bad("redialCapSeconds", "at least 1") }
        guard retentionDays >= 0 else { throw bad("retentionDays", "0 or more") }
        guard slowRoundMilliseconds >= 1 else { throw bad("slowRoundMilliseconds", "at least 1") }
        guard !autoSign || role == .unit else { throw bad("autoSign", "only a handling unit (承办单位) signs for tickets") }
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
