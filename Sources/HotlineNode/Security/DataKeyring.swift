import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HotlineNet
import HotlineStore

/// The node's keys for personal data at rest (AES-256-GCM), in DIR/keys/data.key (mode 0600):
/// `{"callerTag": "<64 hex>", "current": "k-…", "keys": {"k-…": "<64 hex>"}}`. Every ticket, event and outbox body is
/// sealed under the current key; older keys stay only while `rotate-key` re-encrypts, then are dropped.
/// `callerTag` keys the caller key of the early warnings (`CallerTagger`); it is added to older files on first open and
/// is not rotated (a new one re-keys every ticket's caller key, see `TicketRepository.fillAlertColumns`).
///
/// Sealed blob: "HS1" · key-id length (1 byte) · key id · nonce (12) · tag (16) · ciphertext; the label (the row's
/// place) is the additional authenticated data. Blobs without the "HS1" mark are plaintext from before encryption
/// was enabled and are read as they are; `rotate-key` seals them.
final class DataKeyring: BlobSealer, @unchecked Sendable {
    // `lock` guards `currentID` and `keys`: the work loop seals and rotates, and a read-only command on the admin
    // thread opens at the same time. (A rotation that drops the old key while such a command still reads its
    // older snapshot makes that command fail with "missing key"; it can simply be run again.)
    private let lock = NSLock()
    private var currentID: String
    private var keys: [String: [UInt8]]
    /// Each key set up for sealing, with the blob prefix naming it, made at first use.
    private var ciphers: [String: (key: AESGCMKey, prefix: [UInt8])] = [:]
    var current: String { lock.withLock { currentID } }
    let callerTagger: CallerTagger
    let file: URL

    static let mark: [UInt8] = Array("HS1".utf8)

    struct FileFormat: Codable {
        var current: String
        var keys: [String: String]
        /// Absent in files written before the early warnings read columns.
        var callerTag: String?
    }

    private init(file: URL, current: String, keys: [String: [UInt8]], callerTag: [UInt8]) throws {
        self.file = file
        self.currentID = current
        self.keys = keys
        self.callerTagger = try CallerTagger(key: callerTag)
    }

    static func path(in dir: URL) -> URL { dir.appendingPathComponent("keys/data.key") }

    /// Loads DIR/keys/data.key, creating it with a fresh key when absent.
    static func open(dir: URL) throws -> DataKeyring {
        let file = path(in: dir)
        guard FileManager.default.fileExists(atPath: file.path) else {
            let ring = try DataKeyring(file: file, current: "", keys: [:], callerTag: try AESGCM.random(AESGCM.keyBytes))
            try ring.addKey()
            try ring.save()
            return ring
        }
        let data: Data
        do { data = try Data(contentsOf: file) } catch { throw KeyError.unreadable(file.path, "\(error.localizedDescription)") }
        guard let format = try? JSONDecoder().decode(FileFormat.self, from: data) else {
            throw KeyError.unreadable(file.path, "not a key file ({\"current\": …, \"keys\": {…}})")
        }
        var keys: [String: [UInt8]] = [:]
        for (id, hex) in format.keys {
            guard let bytes = Self.bytes(hex: hex), bytes.count == AESGCM.keyBytes, id.utf8.count < 256 else {
                throw KeyError.unreadable(file.path, "key \(id) is not 64 hex digits")
            }
            keys[id] = bytes
        }
        guard keys[format.current] != nil else { throw KeyError.unreadable(file.path, "the current key \(format.current) is missing") }
        let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
        if let mode = attributes?[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw KeyError.tooOpen(file.path, mode)
        }
        guard let hex = format.callerTag else {
            let ring = try DataKeyring(file: file, current: format.current, keys: keys, callerTag: try AESGCM.random(AESGCM.keyBytes))
            try ring.save()
            return ring
        }
        guard let tag = Self.bytes(hex: hex), tag.count == AESGCM.keyBytes else {
            throw KeyError.unreadable(file.path, "callerTag is not 64 hex digits")
        }
        return try DataKeyring(file: file, current: format.current, keys: keys, callerTag: tag)
    }

    /// Makes a new key current (the old ones stay until `dropOldKeys`).
    func addKey() throws {
        let id = "k-" + (try AESGCM.random(6)).map { String(format: "%02x", $0) }.joined()
        let key = try AESGCM.random(AESGCM.keyBytes)
        lock.withLock {
            keys[id] = key
            currentID = id
        }
    }

    func dropOldKeys() {
        lock.withLock {
            keys = keys.filter { $0.key == currentID }
            ciphers = ciphers.filter { $0.key == currentID }
        }
    }

    /// The key `id` set up for sealing, and the prefix of its blobs; nil when the ring does not hold it.
    private func cipher(_ id: String) throws -> (key: AESGCMKey, prefix: [UInt8])? {
        try lock.withLock {
            if let known = ciphers[id] { return known }
            guard let key = keys[id] else { return nil }
            let made = (key: try AESGCMKey(key), prefix: Self.mark + [UInt8(id.utf8.count)] + Array(id.utf8))
            ciphers[id] = made
            return made
        }
    }

    var keyCount: Int { lock.withLock { keys.count } }

    /// Writes the key file atomically with mode 0600 (written to a temporary file first, then renamed).
    func save() throws {
        let fm = FileManager.default
        try fm.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true,
                               attributes: [.posixPermissions: 0o700])
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        let format = lock.withLock { FileFormat(current: currentID, keys: keys.mapValues(hex), callerTag: hex(callerTagger.key)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temp = file.appendingPathExtension("new")
        // A failure here surfaces as the open error just below, which names the file.
        _ = fm.createFile(atPath: temp.path, contents: nil, attributes: [.posixPermissions: 0o600])
        let handle = try FileHandle(forWritingTo: temp)
        try handle.write(contentsOf: try encoder.encode(format))
        try handle.synchronize()
        try handle.close()
        guard rename(temp.path, file.path) == 0 else {
            throw KeyError.unreadable(file.path, "cannot replace it: \(String(cString: strerror(errno)))")
        }
    }

    func seal(_ plaintext: [UInt8], label: String) throws -> [UInt8] {
        try seal(plaintext, label: label, key: current)
    }

    /// Sealed under the key `keyID` (one `current` named), for a caller that notes which key it used.
    func seal(_ plaintext: [UInt8], label: String, key keyID: String) throws -> [UInt8] {
        guard let cipher = try cipher(keyID) else { throw KeyError.missingKey(keyID) }
        return try cipher.key.seal(plaintext, aad: Array(label.utf8), prefix: cipher.prefix)
    }

    func open(_ blob: [UInt8], label: String) throws -> [UInt8] {
        guard Self.isSealed(blob) else { return blob }
        let idLength = Int(blob[3])
        let idEnd = 4 + idLength
        guard blob.count >= idEnd + AESGCM.nonceBytes + AESGCM.tagBytes else { throw KeyError.damaged(label) }
        let id = String(decoding: blob[4..<idEnd], as: UTF8.self)
        guard let cipher = try cipher(id) else { throw KeyError.missingKey(id) }
        do {
            return try cipher.key.open(blob, nonceAt: idEnd, aad: Array(label.utf8))
        } catch {
            throw KeyError.damaged(label)
        }
    }

    static func isSealed(_ blob: [UInt8]) -> Bool { blob.count > 4 && Array(blob[0..<3]) == mark }

    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let b = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            i += 2
        }
        return out
    }
}

enum KeyError: Error, CustomStringConvertible {
    case unreadable(String, String)
    case tooOpen(String, Int)
    case missingKey(String)
    case damaged(String)

    var description: String {
        switch self {
        case .unreadable(let path, let why): return "the data key file \(path) cannot be used: \(why); restore it from backup (without it the personal data in node.db cannot be read)"
        case .tooOpen(let path, let mode): return "the data key file \(path) has mode \(String(mode, radix: 8)); run: chmod 600 \(path)"
        case .missingKey(let id): return "data sealed under key \(id), which the key file no longer holds: restore the key file from backup"
        case .damaged(let label): return "the sealed data of \(label) does not authenticate: the database or the key file is damaged"
        }
    }
}
