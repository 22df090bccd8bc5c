import Foundation
@preconcurrency import Glibc

/// Who is on the other end of the admin socket, from the kernel (SO_PEERCRED), not from anything the client says:
/// the audit log of personal-data reads records this operating-system user.
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
    /// The login name of `uid`, or "uid:<n>" when the user database has no entry.
    public var userName: String

    public init(pid: Int32, uid: UInt32, gid: UInt32, userName: String) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.userName = userName
    }

    public var description: String { "\(userName) (uid \(uid), pid \(pid))" }

    static func of(_ fd: Int32) throws(NetError) -> PeerCredentials {
        // Glibc's Swift module hides `struct ucred` (it needs _GNU_SOURCE), so read its fixed Linux layout
        // { pid_t pid; uid_t uid; gid_t gid; } — three 4-byte fields — from a raw buffer.
        var raw = [UInt8](repeating: 0, count: 12)
        var length = socklen_t(raw.count)
        try Net.syscall("getsockopt(SO_PEERCRED)") { getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &raw, &length) }
        let (pid, uid, gid) = raw.withUnsafeBytes { bytes in
            (bytes.loadUnaligned(fromByteOffset: 0, as: Int32.self),
             bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self),
             bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        }
        return PeerCredentials(pid: pid, uid: uid, gid: gid, userName: userName(of: uid))
    }

    /// The login name of `uid`, remembered for a minute: every operator command asks, and each lookup reads
    /// /etc/passwd (or asks NSS) again.
    static func userName(of uid: UInt32) -> String {
        let now = Net.monotonicMilliseconds()
        if let hit = names.withLock({ $0[uid] }), now - hit.at < 60_000 { return hit.name }
        let name = lookUpUserName(uid)
        names.withLock { cache in
            if cache.count > 1_000 { cache.removeAll() }
            cache[uid] = (name, now)
        }
        return name
    }

    private static let names = LockedNames()

    static func lookUpUserName(_ uid: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let status = getpwuid_r(uid, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil, let name = entry.pw_name else { return "uid:\(uid)" }
        return String(cString: name)
    }
}

/// uid → (name, when looked up), shared by the admin socket's connection threads.
final class LockedNames: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: [UInt32: (name: String, at: Int64)] = [:]

    func withLock<T>(_ body: (inout [UInt32: (name: String, at: Int64)]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&cache)
    }
}
