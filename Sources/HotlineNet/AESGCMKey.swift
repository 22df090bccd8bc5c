import COpenSSL
import Foundation

/// One AES-256-GCM key, set up once in OpenSSL (its key schedule and GHASH tables) for every message sealed or
/// opened under it; each message sets only its nonce. Setting the key up per message, and fetching each 12-byte nonce
/// from `RAND_bytes`, were most of what sealing cost a node's work loop (perf, `hotline-bench --scenario latency`).
///
/// Sealed layout, written into one array: `prefix` · nonce (12) · tag (16) · ciphertext. Nonces are random (96 bits,
/// safe for 2^32 messages a key), taken from a buffer that `RAND_bytes` refills 4 KB at a time. Thread-safe: one lock
/// per key, held for the few microseconds of one message.
public final class AESGCMKey: @unchecked Sendable {
    // `lock` guards the two contexts and the nonce buffer.
    private let lock = NSLock()
    private let encryptor: OpaquePointer
    private let decryptor: OpaquePointer
    private var random: [UInt8] = []
    private var used = 0

    public init(_ key: [UInt8]) throws(AESGCM.Failure) {
        guard key.count == AESGCM.keyBytes else { throw .badKey }
        guard let e = EVP_CIPHER_CTX_new() else { throw .openssl("EVP_CIPHER_CTX_new") }
        guard let d = EVP_CIPHER_CTX_new() else {
            EVP_CIPHER_CTX_free(e)
            throw .openssl("EVP_CIPHER_CTX_new")
        }
        encryptor = e
        decryptor = d
        guard EVP_EncryptInit_ex(e, EVP_aes_256_gcm(), nil, key, nil) == 1 else { throw .openssl("EncryptInit") }
        guard EVP_DecryptInit_ex(d, EVP_aes_256_gcm(), nil, key, nil) == 1 else { throw .openssl("DecryptInit") }
    }

    deinit {
        EVP_CIPHER_CTX_free(encryptor)
        EVP_CIPHER_CTX_free(decryptor)
    }

    /// `prefix` · nonce · tag · ciphertext of `plaintext`, authenticated with `aad`.
    public func seal(_ plaintext: [UInt8], aad: [UInt8], prefix: [UInt8] = []) throws(AESGCM.Failure) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        let nonceAt = prefix.count, tagAt = nonceAt + AESGCM.nonceBytes, textAt = tagAt + AESGCM.tagBytes
        if used + AESGCM.nonceBytes > random.count {
            random = try AESGCM.random(4096)
            used = 0
        }
        let nonce = used
        used += AESGCM.nonceBytes
        var failure: AESGCM.Failure?
        // GCM is a stream mode: the ciphertext is exactly as long as the plaintext, and Final writes nothing.
        let out = [UInt8](unsafeUninitializedCapacity: textAt + plaintext.count) { buffer, count in
            let base = buffer.baseAddress!
            prefix.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: $0.count) }
            random.withUnsafeBufferPointer { (base + nonceAt).update(from: $0.baseAddress! + nonce, count: AESGCM.nonceBytes) }
            var n: Int32 = 0
            guard EVP_EncryptInit_ex(encryptor, nil, nil, nil, base + nonceAt) == 1 else { failure = .openssl("EncryptInit(nonce)"); return }
            if !aad.isEmpty, EVP_EncryptUpdate(encryptor, nil, &n, aad, Int32(aad.count)) != 1 { failure = .openssl("EncryptUpdate(aad)"); return }
            if !plaintext.isEmpty {
                guard EVP_EncryptUpdate(encryptor, base + textAt, &n, plaintext, Int32(plaintext.count)) == 1, n == Int32(plaintext.count)
                else { failure = .openssl("EncryptUpdate"); return }
            }
            var none: UInt8 = 0
            guard EVP_EncryptFinal_ex(encryptor, &none, &n) == 1, n == 0 else { failure = .openssl("EncryptFinal"); return }
            guard EVP_CIPHER_CTX_ctrl(encryptor, EVP_CTRL_GCM_GET_TAG, Int32(AESGCM.tagBytes), base + tagAt) == 1 else {
                failure = .openssl("GET_TAG")
                return
            }
            // Only now is every byte written.
            count = textAt + plaintext.count
        }
        if let failure { throw failure }
        return out
    }

    /// The plaintext of a sealed array whose nonce starts at `nonceAt` (after its prefix); throws
    /// `authenticationFailed` when the key, the data or `aad` do not match.
    public func open(_ sealed: [UInt8], nonceAt: Int, aad: [UInt8]) throws(AESGCM.Failure) -> [UInt8] {
        let tagAt = nonceAt + AESGCM.nonceBytes, textAt = tagAt + AESGCM.tagBytes
        guard nonceAt >= 0, sealed.count >= textAt else { throw .authenticationFailed }
        let length = sealed.count - textAt
        lock.lock()
        defer { lock.unlock() }
        var failure: AESGCM.Failure?
        let out = sealed.withUnsafeBufferPointer { input in
            let source = input.baseAddress!
            return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                var n: Int32 = 0
                guard EVP_DecryptInit_ex(decryptor, nil, nil, nil, source + nonceAt) == 1 else { failure = .openssl("DecryptInit(nonce)"); return }
                if !aad.isEmpty, EVP_DecryptUpdate(decryptor, nil, &n, aad, Int32(aad.count)) != 1 { failure = .openssl("DecryptUpdate(aad)"); return }
                if length > 0 {
                    guard EVP_DecryptUpdate(decryptor, buffer.baseAddress!, &n, source + textAt, Int32(length)) == 1, n == Int32(length)
                    else { failure = .openssl("DecryptUpdate"); return }
                }
                // SET_TAG only copies the tag (the pointer is not const in the C signature).
                guard EVP_CIPHER_CTX_ctrl(decryptor, EVP_CTRL_GCM_SET_TAG, Int32(AESGCM.tagBytes),
                                          UnsafeMutableRawPointer(mutating: source + tagAt)) == 1 else {
                    failure = .openssl("SET_TAG")
                    return
                }
                var none: UInt8 = 0
                guard EVP_DecryptFinal_ex(decryptor, &none, &n) == 1 else {
                    failure = .authenticationFailed
                    return
                }
                count = length
            }
        }
        if let failure { throw failure }
        return out
    }
}
