import COpenSSL

/// HMAC-SHA-256 through OpenSSL's one-shot `HMAC()` (never our own cryptography): keyed hashes that let a node
/// compare a personal value without storing it (the caller key of the early warnings).
public enum HMACSHA256 {
    public static let length = 32

    public static func mac(key: [UInt8], message: [UInt8]) throws(AESGCM.Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var written: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &written) != nil
            }
        }
        guard ok, written == UInt32(length) else { throw .openssl("HMAC-SHA256") }
        return Array(out.prefix(length))
    }
}
