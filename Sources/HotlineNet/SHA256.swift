import COpenSSL
import Foundation

/// SHA-256 through OpenSSL (never our own cryptography): a fingerprint of a document two nodes compare without
/// sending it, such as the policy profile each runs (`hello.profile`).
public enum SHA256 {
    public static func hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBufferPointer { b in
            digest.withUnsafeMutableBufferPointer { d in EVP_Digest(b.baseAddress, b.count, d.baseAddress, &length, EVP_sha256(), nil) }
        }
        guard ok == 1 else { return "" }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
