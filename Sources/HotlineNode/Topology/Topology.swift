import Foundation

/// The network: every node, its kind, parent, name, address, areas and topics (one JSON file shared by all nodes).
/// Nodes route messages along this tree and check that a peer is who the tree says it is.
public struct Topology: Sendable {
    public var city: TopologyNode? { nodes.first { $0.kind == .city } }
    public let nodes: [TopologyNode]
    /// The city's name and the default policy profile, when the file gives them.
    public let cityName: String?
    public let profile: String?
    private let byId: [String: TopologyNode]
    private let childrenById: [String: [TopologyNode]]

    public init(nodes: [TopologyNode], cityName: String? = nil, profile: String? = nil) throws(TopologyError) {
        try TopologyValidator.validate(nodes)
        self.nodes = nodes
        self.cityName = cityName
        self.profile = profile
        var by: [String: TopologyNode] = [:]
        var children: [String: [TopologyNode]] = [:]
        for n in nodes {
            by[n.id] = n
            if let p = n.parent { children[p, default: []].append(n) }
        }
        byId = by
        childrenById = children
    }

    public static func load(file: URL) throws -> Topology {
        let data: Data
        do { data = try Data(contentsOf: file) } catch {
            throw TopologyError.unreadable(file.path, error.localizedDescription)
        }
        return try load(data: data)
    }

    public static func load(data: Data) throws(TopologyError) -> Topology {
        try TopologyDecoder.decode(data)
    }

    public func node(_ id: String) -> TopologyNode? { byId[id] }
    public func children(of id: String) -> [TopologyNode] { childrenById[id] ?? [] }
    public func parent(of id: String) -> TopologyNode? { byId[id]?.parent.flatMap { byId[$0] } }

    /// The node and its ancestors up to the city.
    public func ancestry(of id: String) -> [String] {
        var out: [String] = []
        var current: String? = id
        while let c = current, let n = byId[c] {
            out.append(c)
            current = n.parent
        }
        return out
    }

    /// The nodes on the tree path from `a` to `b`, both included.
    public func path(from a: String, to b: String) -> [String] {
        let up = ancestry(of: a), down = ancestry(of: b)
        guard let common = up.first(where: { down.contains($0) }),
              let i = up.firstIndex(of: common), let j = down.firstIndex(of: common) else { return [] }
        return Array(up[...i]) + Array(down[..<j].reversed())
    }

    /// The neighbour of `from` on the way to `to`; nil when they are the same node or unrelated.
    public func nextHop(from: String, to: String) -> String? {
        let p = path(from: from, to: to)
        return p.count >= 2 ? p[1] : nil
    }

    /// `ancestry(of: id).contains(root)`, walked without building the list (every message a node receives is
    /// checked with it).
    public func isInSubtree(_ id: String, of root: String) -> Bool {
        var current: String? = id
        while let c = current, let n = byId[c] {
            if c == root { return true }
            current = n.parent
        }
        return false
    }

    public func subtree(of root: String) -> Set<String> {
        Set(nodes.map(\.id).filter { isInSubtree($0, of: root) })
    }

    /// The county station a unit belongs to, if any.
    public func county(of id: String) -> String? {
        ancestry(of: id).first { byId[$0]?.kind == .county }
    }

    public var allAddressesAreLoopback: Bool { nodes.allSatisfy { $0.listen?.isLoopback ?? true } }

    /// Where a ticket goes when the operator does not say (`dispatch` without `--to`): the unit whose topics include
    /// the topic and whose areas cover the area most specifically (a street or district unit before a city-wide
    /// one such as the water utility); else the county station covering the district (it re-dispatches inside the
    /// county). Ties go to the smallest id.
    public func route(area: String, topic: String) throws(TopologyError) -> RouteDecision {
        let units = nodes.filter { $0.kind == .unit && $0.topics.contains(topic) }
            .compactMap { n in n.specificity(for: area).map { (n, $0) } }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.id < $1.0.id }
        if let (best, s) = units.first, s > 0 {
            return RouteDecision(nodeId: best.id, reason: "\(best.name) handles \(topic) in \(area)")
        }
        if let (best, _) = units.first {
            return RouteDecision(nodeId: best.id, reason: "\(best.name) handles \(topic) city-wide")
        }
        let district = String(area.split(separator: "/").first ?? Substring(area))
        if let county = nodes.filter({ $0.kind == .county && $0.covers(area: district) }).min(by: { $0.id < $1.id }) {
            return RouteDecision(nodeId: county.id, reason: "\(county.name) covers \(district)")
        }
        let candidates = nodes.filter { $0.kind != .city }.map(\.id).prefix(12).joined(separator: ", ")
        throw .noRoute(area: area, topic: topic, candidates: candidates)
    }
}

public struct RouteDecision: Sendable, Equatable {
    public var nodeId: String
    public var reason: String
}
