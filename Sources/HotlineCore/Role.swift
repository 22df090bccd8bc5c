/// The three kinds of node in the network, as the regulations name them: the city hotline centre
/// (市热线工作机构), a county station (县区工作站) and a handling unit (承办单位).
public enum Role: String, Sendable, Codable, CaseIterable {
    case city, county, unit
}

/// Who issues a command: the node's id from the topology file and its role.
public struct Actor: Sendable, Hashable, Codable {
    public var node: String
    public var role: Role
    public init(node: String, role: Role) {
        self.node = node
        self.role = role
    }
}
