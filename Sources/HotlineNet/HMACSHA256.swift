import COpenSSL

/// HMAC-SHA-256 through OpenSSL (never our own cryptography): keyed hashes that let a node compare a personal value
/// without storing it (the caller key of the early warnings).
public enum HMACSHA256 {
    public static let length = 32

    public static func mac(key: [UInt8], message: [UInt8]) throws(AESGCM.Failure) -> [UInt8] {
        try HMACSHA256Key(key).mac(message)
    }
}

/// One HMAC-SHA-256 key set up in OpenSSL once; each `mac` works on a copy of the keyed context. A one-shot `HMAC()`
/// fetched the algorithm and set the key for every message: 13 % of writing a ticket row on a unit's work loop
/// (perf, hotline-bench hop), where every write tags the caller's phone. Safe to use from several threads: the keyed
/// context is only ever copied. An empty key is refused (a keyed hash without a key hides nothing).
public final class HMACSHA256Key: @unchecked Sendable {
    private let keyed: OpaquePointer

    public init(_ key: [UInt8]) throws(AESGCM.Failure) {
        guard !key.isEmpty, let ctx = key.withUnsafeBufferPointer({ hotline_hmac_sha256_new($0.baseAddress, $0.count) }) else {
            throw .openssl("HMAC-SHA256 key setup")
        }
        keyed = ctx
    }

    deinit { EVP_MAC_CTX_free(keyed) }

    public func mac(_ message: [UInt8]) throws(AESGCM.Failure) -> [UInt8] {
        guard let ctx = EVP_MAC_CTX_dup(keyed) else { throw .openssl("HMAC-SHA256 context copy") }
        defer { EVP_MAC_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: HMACSHA256.length)
        var written = 0
        let ok = message.withUnsafeBufferPointer { m in
            EVP_MAC_update(ctx, m.baseAddress, m.count) == 1
        } && out.withUnsafeMutableBufferPointer { o in
            EVP_MAC_final(ctx, o.baseAddress, &written, o.count) == 1
        }
        guard ok, written == HMACSHA256.length else { throw .openssl("HMAC-SHA256") }
        return out
    }
}
