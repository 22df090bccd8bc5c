import Foundation
import HotlineCore

/// What a node is in the tree.
public enum NodeKind: String, Sendable, Codable, CaseIterable {
    /// 市热线工作机构 — the city's hotline centre, the root and system of record.
    case city
    /// 县区工作站 — a county (district) station.
    case county
    /// 承办单位 — a handling unit: a street office, a town, a department, a utility.
    case unit
}

/// A `host:port` a node listens on.
public struct Endpoint: Sendable, Hashable, Codable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Parses "127.0.0.1:7400", "[::1]:7400" or "hotline.example:7400".
    public init?(parsing text: String) {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, let p = Int(port), (1...65535).contains(p) else { return nil }
        self.host = String(host)
        self.port = p
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// One node of the topology file.
public struct TopologyNode: Sendable, Equatable {
    public var id: String
    public var kind: NodeKind
    public var parent: String?
    /// The Chinese name operators read, e.g. 历下区12345工作站.
    public var name: String
    public var listen: Endpoint?
    /// "区" or "区/街道" entries; "*" covers everything (city-level agencies).
    public var areas: [String]
    public var topics: [String]

    /// Whether an area entry of this node covers `area` ("历下区" covers "历下区/解放路街道").
    public func covers(area: String) -> Bool {
        areas.contains { $0 == "*" || $0 == area || area.hasPrefix($0 + "/") }
    }

    /// How specific the best matching area entry is: 2 for a street, 1 for a district, 0 for "*", nil for none.
    func specificity(for area: String) -> Int? {
        var best: Int?
        for a in areas {
            let s: Int?
            if a == "*" { s = 0 } else if a == area || area.hasPrefix(a + "/") { s = a.split(separator: "/").count } else { s = nil }
            if let s { best = max(best ?? s, s) }
        }
        return best
    }
}

extension NodeKind {
    /// The lifecycle role a node of this kind acts in.
    public var coreRole: Role {
        switch self {
        case .city: return .city
        case .county: return .county
        case .unit: return .unit
        }
    }
}
