import COpenSSL

/// Who is on the other end of a TLS link, as stated by its verified certificate: the subject common name and the
/// DNS names of the subject alternative name. The node layer compares them with the node id the topology expects
/// on that link; this module only reports them.
public struct PeerIdentity: Sendable, Hashable, CustomStringConvertible {
    public var commonName: String?
    public var dnsNames: [String]
    /// SHA-256 of the certificate (DER), lowercase hex: tells two certificates for the same node apart in logs.
    public var fingerprintSHA256: String

    public init(commonName: String?, dnsNames: [String], fingerprintSHA256: String) {
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.fingerprintSHA256 = fingerprintSHA256
    }

    /// Every name the certificate carries (CN first), without duplicates.
    public var names: [String] {
        var all: [String] = []
        for name in [commonName].compactMap({ $0 }) + dnsNames where !all.contains(name) {
            all.append(name)
        }
        return all
    }

    /// True when the certificate names `nodeId` (exact, case-sensitive: node ids are lowercase by rule).
    public func names(contain nodeId: String) -> Bool {
        names.contains(nodeId)
    }

    public var description: String {
        "\(names.joined(separator: ",")) sha256:\(fingerprintSHA256.prefix(16))"
    }

    init(certificate: OpaquePointer) {
        commonName = Self.commonName(of: certificate)
        dnsNames = Self.dnsNames(of: certificate)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        if X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 {
            fingerprintSHA256 = digest.prefix(Int(length)).map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined()
        } else {
            fingerprintSHA256 = ""
        }
    }

    private static func commonName(of certificate: OpaquePointer) -> String? {
        guard let subject = X509_get_subject_name(certificate) else { return nil }
        let index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(subject, index),
              let data = X509_NAME_ENTRY_get_data(entry) else { return nil }
        return string(of: data)
    }

    private static func dnsNames(of certificate: OpaquePointer) -> [String] {
        guard let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) else { return [] }
        let stack = OpaquePointer(raw)
        defer { GENERAL_NAMES_free(stack) }
        var names: [String] = []
        for index in 0..<OPENSSL_sk_num(stack) {
            guard let item = OPENSSL_sk_value(stack, index) else { continue }
            let general = item.assumingMemoryBound(to: GENERAL_NAME.self)
            if general.pointee.type == GEN_DNS, let dns = general.pointee.d.dNSName,
               let name = string(of: dns) {
                names.append(name)
            }
        }
        return names
    }

    private static func string(of data: UnsafePointer<ASN1_STRING>) -> String? {
        guard let bytes = ASN1_STRING_get0_data(data) else { return nil }
        let count = Int(ASN1_STRING_length(data))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    private static func string(of data: UnsafeMutablePointer<ASN1_STRING>) -> String? {
        string(of: UnsafePointer(data))
    }
}
