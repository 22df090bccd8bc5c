/// 诉求人 — everything personal about the caller, grouped so the node layer can mask it before a ticket goes to the
/// unit complained about (JN §32, AS19 §26, TH §23) or erase it.
public struct CallerInfo: Sendable, Equatable, Codable {
    public var name: String?
    public var phone: String?
    /// The caller asked that contact details be kept confidential (JN §16, BD §13).
    public var confidential: Bool
    /// The caller asked for no reply (JN §24).
    public var noReply: Bool
    /// Vulnerable groups the caller belongs to, e.g. "minor", "elderly", "disabled", "women", "migrant-worker" (AS19 §9).
    public var vulnerable: [String]

    public init(name: String? = nil, phone: String? = nil, confidential: Bool = false, noReply: Bool = false,
                vulnerable: [String] = []) {
        self.name = name
        self.phone = phone
        self.confidential = confidential
        self.noReply = noReply
        self.vulnerable = vulnerable
    }
}

/// 区域 — where the matter is: district (区县) and street or town (街道/乡镇).
public struct Area: Sendable, Hashable, Codable {
    public var district: String
    public var street: String
    public init(district: String, street: String) {
        self.district = district
        self.street = street
    }
}

/// 附件 — a reference to a file the caller supplied; the bytes travel elsewhere.
public struct Attachment: Sendable, Equatable, Codable {
    public var kind: String
    public var name: String
    public var size: Int
    public var sha256: String
    public init(kind: String, name: String, size: Int, sha256: String) {
        self.kind = kind
        self.name = name
        self.size = size
        self.sha256 = sha256
    }
}
