import COpenSSL

/// AES-256-GCM through OpenSSL's EVP interface (never our own cryptography), for personal data at rest.
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

    /// Encrypts and authenticates `plaintext` and `aad`; returns ciphertext and tag.
    public static func seal(key: [UInt8], nonce: [UInt8], plaintext: [UInt8], aad: [UInt8]) throws(Failure) -> (ciphertext: [UInt8], tag: [UInt8]) {
        guard key.count == keyBytes, nonce.count == nonceBytes else { throw .badKey }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .openssl("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw .openssl("EncryptInit") }
        var n: Int32 = 0
        if !aad.isEmpty {
            guard EVP_EncryptUpdate(ctx, nil, &n, aad, Int32(aad.count)) == 1 else { throw .openssl("EncryptUpdate(aad)") }
        }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var total: Int32 = 0
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(ctx, &out, &n, plaintext, Int32(plaintext.count)) == 1 else { throw .openssl("EncryptUpdate") }
            total = n
        }
        let finished = out.withUnsafeMutableBufferPointer { buf in
            EVP_EncryptFinal_ex(ctx, buf.baseAddress! + Int(total), &n)
        }
        guard finished == 1 else { throw .openssl("EncryptFinal") }
        total += n
        var tag = [UInt8](repeating: 0, count: tagBytes)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagBytes), &tag) == 1 else { throw .openssl("GET_TAG") }
        return (Array(out[0..<Int(total)]), tag)
    }

    /// Verifies and decrypts; throws `authenticationFailed` when anything does not match.
    public static func open(key: [UInt8], nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) throws(Failure) -> [UInt8] {
        guard key.count == keyBytes, nonce.count == nonceBytes, tag.count == tagBytes else { throw .badKey }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw .openssl("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw .openssl("DecryptInit") }
        var n: Int32 = 0
        if !aad.isEmpty {
            guard EVP_DecryptUpdate(ctx, nil, &n, aad, Int32(aad.count)) == 1 else { throw .openssl("DecryptUpdate(aad)") }
        }
        var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var total: Int32 = 0
        if !ciphertext.isEmpty {
            guard EVP_DecryptUpdate(ctx, &out, &n, ciphertext, Int32(ciphertext.count)) == 1 else { throw .openssl("DecryptUpdate") }
            total = n
        }
        var expected = tag
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagBytes), &expected) == 1 else { throw .openssl("SET_TAG") }
        let verified = out.withUnsafeMutableBufferPointer { buf in
            EVP_DecryptFinal_ex(ctx, buf.baseAddress! + Int(total), &n)
        }
        guard verified == 1 else { throw .authenticationFailed }
        total += n
        return Array(out[0..<Int(total)])
    }
}
