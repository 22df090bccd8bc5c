import HotlineNet

/// 诉求人标识 — what stands for a caller's phone number where the node must compare callers without reading documents
/// (the repeat-caller and cluster warnings): HMAC-SHA-256 of the number under the key file's `callerTag` key,
/// 16 bytes in hex. Equal numbers give equal keys; without the key file a key names no number (a phone number has
/// too few digits to hide behind an unkeyed hash). The key links one caller's tickets to each other, nothing more.
struct CallerTagger: Sendable {
    let key: [UInt8]
    /// The key set up in OpenSSL once (every ticket write tags its caller).
    private let keyed: HMACSHA256Key

    init(key: [UInt8]) throws {
        self.key = key
        keyed = try HMACSHA256Key(key)
    }

    /// The caller key of a phone number; nil when there is none.
    func tag(_ phone: String?) throws -> String? {
        guard let phone, !phone.isEmpty else { return nil }
        return Self.hex(try mac("caller-phone:" + phone))
    }

    /// Names the key without revealing it: stored next to the caller keys, so a changed key is noticed and they are
    /// recomputed.
    func id() throws -> String { Self.hex(try mac("caller-tag-key-id")) }

    private func mac(_ text: String) throws -> [UInt8] {
        Array(try keyed.mac(Array(text.utf8)).prefix(16))
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
