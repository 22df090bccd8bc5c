/// Why a topology file was refused; every case names the node and the field to fix.
public enum TopologyError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(String, String)
    case notJSON(String)
    case missingNodes
    case field(node: String, field: String, problem: String)
    case noCity
    case severalCities([String])
    case duplicateId(String)
    case duplicateListen(String, [String])
    case noRoute(area: String, topic: String, candidates: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let why): return "cannot read the topology file \(path): \(why)"
        case .notJSON(let why): return "the topology is not valid JSON: \(why)"
        case .missingNodes: return "the topology has no \"nodes\" list"
        case .field(let node, let field, let problem): return "topology: node \(node), field \"\(field)\": \(problem)"
        case .noCity: return "topology: no node has kind \"city\"; exactly one must"
        case .severalCities(let ids): return "topology: exactly one city is allowed, found \(ids.joined(separator: ", "))"
        case .duplicateId(let id): return "topology: node id \(id) appears twice; ids must be unique"
        case .duplicateListen(let addr, let ids): return "topology: nodes \(ids.joined(separator: ", ")) share the listen address \(addr)"
        case .noRoute(let area, let topic, let candidates):
            return "no node of the topology handles \(topic) in \(area): choose one with --to (e.g. \(candidates))"
        }
    }
}
