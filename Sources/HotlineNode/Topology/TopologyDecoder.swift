import Foundation

/// Reads the topology JSON by hand so that every error names the node and the field (Codable's messages do not).
enum TopologyDecoder {
    static func decode(_ data: Data) throws(TopologyError) -> Topology {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw .notJSON(error.localizedDescription)
        }
        guard let root = object as? [String: Any], let list = root["nodes"] as? [Any] else { throw .missingNodes }
        var nodes: [TopologyNode] = []
        for (index, item) in list.enumerated() {
            guard let o = item as? [String: Any] else {
                throw .field(node: "#\(index + 1)", field: "nodes", problem: "each node must be a JSON object")
            }
            guard let id = o["id"] as? String, !id.isEmpty else {
                throw .field(node: "#\(index + 1)", field: "id", problem: "missing or not a string")
            }
            guard let kindText = o["kind"] as? String, let kind = NodeKind(rawValue: kindText) else {
                throw .field(node: id, field: "kind", problem: "must be \"city\", \"county\" or \"unit\"")
            }
            var parent: String?
            if let p = o["parent"], !(p is NSNull) {
                guard let ps = p as? String else { throw .field(node: id, field: "parent", problem: "must be a node id or null") }
                parent = ps
            }
            guard let name = o["name"] as? String, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .field(node: id, field: "name", problem: "missing: give the Chinese name operators read")
            }
            var listen: Endpoint?
            if let l = o["listen"], !(l is NSNull) {
                guard let ls = l as? String, let e = Endpoint(parsing: ls) else {
                    throw .field(node: id, field: "listen", problem: "must be \"host:port\" with a port 1–65535, e.g. \"127.0.0.1:7400\"")
                }
                listen = e
            }
            let areas = try strings(o["areas"], node: id, field: "areas")
            let topics = try strings(o["topics"], node: id, field: "topics")
            nodes.append(TopologyNode(id: id, kind: kind, parent: parent, name: name, listen: listen, areas: areas, topics: topics))
        }
        return try Topology(nodes: nodes, cityName: root["city"] as? String, profile: root["profile"] as? String)
    }

    private static func strings(_ value: Any?, node: String, field: String) throws(TopologyError) -> [String] {
        guard let value, !(value is NSNull) else { return [] }
        guard let list = value as? [Any], list.allSatisfy({ $0 is String }) else {
            throw .field(node: node, field: field, problem: "must be a list of strings")
        }
        return list.compactMap { $0 as? String }
    }
}

/// The rules of a well-formed tree.
enum TopologyValidator {
    static func validate(_ nodes: [TopologyNode]) throws(TopologyError) {
        var seen: [String: TopologyNode] = [:]
        for n in nodes {
            guard isDNSSafe(n.id) else {
                throw .field(node: n.id, field: "id", problem: "use 1–63 lowercase letters, digits and '-' (it is also the certificate name)")
            }
            guard seen[n.id] == nil else { throw .duplicateId(n.id) }
            seen[n.id] = n
        }
        let cities = nodes.filter { $0.kind == .city }
        if cities.isEmpty { throw .noCity }
        if cities.count > 1 { throw .severalCities(cities.map(\.id)) }
        var listens: [String: [String]] = [:]
        for n in nodes {
            switch n.kind {
            case .city:
                if let p = n.parent { throw .field(node: n.id, field: "parent", problem: "the city has no parent (found \(p)); use null") }
            case .county:
                guard let p = n.parent, let parent = seen[p] else {
                    throw .field(node: n.id, field: "parent", problem: "must name the city (\(n.parent ?? "missing") is not a node)")
                }
                if parent.kind != .city { throw .field(node: n.id, field: "parent", problem: "a county's parent must be the city, not \(p)") }
            case .unit:
                guard let p = n.parent, let parent = seen[p] else {
                    throw .field(node: n.id, field: "parent", problem: "must name the city or a county (\(n.parent ?? "missing") is not a node)")
                }
                if parent.kind == .unit { throw .field(node: n.id, field: "parent", problem: "a unit's parent must be the city or a county, not the unit \(p)") }
            }
            if let l = n.listen { listens[l.description, default: []].append(n.id) }
        }
        for n in nodes where n.listen == nil && nodes.contains(where: { $0.parent == n.id }) {
            throw .field(node: n.id, field: "listen", problem: "a node with children must listen (\"host:port\"): its children dial it")
        }
        if let (addr, ids) = listens.first(where: { $0.value.count > 1 }) { throw .duplicateListen(addr, ids.sorted()) }
    }

    static func isDNSSafe(_ id: String) -> Bool {
        guard (1...63).contains(id.count), !id.hasPrefix("-"), !id.hasSuffix("-") else { return false }
        return id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}
