import COpenSSL
import Foundation

/// HMAC-SHA-256 through OpenSSL (never our own cryptography): keyed hashes that let a node compare a personal value
/// without storing it (the caller key of the early warnings).
public enum HMACSHA256 {
    public static let length = 32

    public static func mac(key: [UInt8], message: [UInt8]) throws(AESGCM.Failure) -> [UInt8] {
        try HMACSHA256Key(key).mac(message)
    }
}

/// One HMAC-SHA-256 key set up in OpenSSL once. Each `mac` takes a keyed context from a small pool (a copy of the
/// keyed one when the pool is empty), re-initialises it with the same key (`EVP_MAC_init` without a key keeps the key
/// it has) and gives it back. A one-shot `HMAC()` fetched the algorithm and set the key for every message: 13 % of
/// writing a ticket row on a unit's work loop (perf, hotline-bench hop), where every write tags the caller's phone;
/// copying and freeing a keyed context per message was still 3 %. Safe from several threads: a context is used by
/// one caller at a time. An empty key is refused (a keyed hash without a key hides nothing).
public final class HMACSHA256Key: @unchecked Sendable {
    private let keyed: OpaquePointer
    /// Contexts ready for another message; `lock` guards it. Kept to a few: more than that means many threads at
    /// once, which the nodes do not have.
    private var spare: [OpaquePointer] = []
    private let lock = NSLock()
    private static let kept = 4

    public init(_ key: [UInt8]) throws(AESGCM.Failure) {
        guard !key.isEmpty, let ctx = key.withUnsafeBufferPointer({ hotline_hmac_sha256_new($0.baseAddress, $0.count) }) else {
            throw .openssl("HMAC-SHA256 key setup")
        }
        keyed = ctx
    }

    deinit {
        for ctx in spare { EVP_MAC_CTX_free(ctx) }
        EVP_MAC_CTX_free(keyed)
    }

    public func mac(_ message: [UInt8]) throws(AESGCM.Failure) -> [UInt8] {
        let reused = lock.withLock { spare.popLast() }
        guard let ctx = reused ?? EVP_MAC_CTX_dup(keyed) else { throw .openssl("HMAC-SHA256 context copy") }
        var out = [UInt8](repeating: 0, count: HMACSHA256.length)
        var written = 0
        // A fresh copy is ready as it is; a reused one has been finalised and starts again under the same key.
        let ok = (reused == nil || EVP_MAC_init(ctx, nil, 0, nil) == 1) && message.withUnsafeBufferPointer { m in
            EVP_MAC_update(ctx, m.baseAddress, m.count) == 1
        } && out.withUnsafeMutableBufferPointer { o in
            EVP_MAC_final(ctx, o.baseAddress, &written, o.count) == 1
        }
        guard ok, written == HMACSHA256.length else {
            EVP_MAC_CTX_free(ctx)
            throw .openssl("HMAC-SHA256")
        }
        let returned = lock.withLock { () -> Bool in
            guard spare.count < Self.kept else { return false }
            spare.append(ctx)
            return true
        }
        if !returned { EVP_MAC_CTX_free(ctx) }
        return out
    }
}
