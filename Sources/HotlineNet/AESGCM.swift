import COpenSSL

/// AES-256-GCM through OpenSSL's EVP interface (never our own cryptography), for personal data at rest: the sizes,
/// the errors and random bytes; `AESGCMKey` seals and opens.
public enum AESGCM {
    public static let keyBytes = 32
    public static let nonceBytes = 12
    public static let tagBytes = 16

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case badKey
        case openssl(String)
        /// The tag did not verify: wrong key, or the data was altered.
        case authenticationFailed

        public var description: String {
            switch self {
            case .badKey: return "an AES-256 key is 32 bytes"
            case .openssl(let what): return "OpenSSL failed: \(what)"
            case .authenticationFailed: return "the data does not authenticate under this key (wrong key, or altered)"
            }
        }
    }

    /// Cryptographically random bytes (RAND_bytes).
    public static func random(_ count: Int) throws(Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&out, Int32(count)) == 1 else { throw .openssl("RAND_bytes") }
        return out
    }
}
