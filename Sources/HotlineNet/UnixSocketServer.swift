import Foundation
@preconcurrency import Glibc

/// The daemon's admin socket: operator commands (`hotline-city audit`, `… status`) connect, send ONE framed
/// request, get ONE framed response, and the connection closes. Each client is served on a thread of its own
/// (reused from a client served before, `ThreadReuse`), because the handler may block (a database query) and one
/// slow command must not stall the others.
/// Only the local machine can connect, and the kernel says who did (`PeerCredentials`).
public final class UnixSocketServer: @unchecked Sendable {
    public typealias Handler = @Sendable (_ request: [UInt8], _ peer: PeerCredentials) -> [UInt8]

    // Safe to share: `lock` guards listenFd, wake, stopped; lets are immutable.
    public let path: String
    public let mode: mode_t
    public let group: String?
    /// A request larger than this is refused (and the client disconnected) before it is read.
    public let maxRequestBytes: Int
    /// How long a client may take to send its request and to read the response.
    public let clientTimeoutMilliseconds: Int64
    private let handler: Handler
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var wake: WakeSignal?
    private var stopped = false
    private let clients = ThreadReuse(name: "admin-client")

    public init(path: String, mode: mode_t = 0o660, group: String? = nil, maxRequestBytes: Int = 1 << 20,
                clientTimeoutMilliseconds: Int64 = 10_000, log: @escaping @Sendable (String) -> Void = { _ in },
                handler: @escaping Handler) {
        self.path = path
        self.mode = mode
        self.group = group
        self.maxRequestBytes = maxRequestBytes
        self.clientTimeoutMilliseconds = clientTimeoutMilliseconds
        self.log = log
        self.handler = handler
    }

    /// Removes a stale socket file left by a crashed daemon (only when nothing answers on it), binds, sets the
    /// mode and group, and starts accepting. Throws `daemonAlreadyRunning` when a live daemon answers.
    public func start() throws(NetError) {
        let address = try UnixFraming.address(for: path)
        try removeStaleSocket(address)
        let fd = try Net.syscall("socket(AF_UNIX)") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let signal: WakeSignal
        do throws(NetError) {
            try Net.syscall("bind \(path)") { UnixFraming.withSockaddr(address) { bind(fd, $0, $1) } }
            // Before listen(): no client can connect while the socket still has the umask's permissions.
            try Net.syscall("chmod \(path)") { chmod(path, mode) }
            if let group { try setGroup(group) }
            try Net.syscall("listen \(path)") { Glibc.listen(fd, 16) }
            try Net.setNonBlocking(fd)
            signal = try WakeSignal()
        } catch {
            Glibc.close(fd)
            unlink(path)
            throw error
        }
        lock.withLock { wake = signal }
        NamedThread.start("admin-accept") { [self] in acceptLoop(fd: fd, wake: signal) }
    }

    /// Stops accepting and removes the socket file; clients being served finish. Idempotent.
    public func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            wake?.signal()
        }
    }

    private func removeStaleSocket(_ address: sockaddr_un) throws(NetError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw NetError.system(call: "bind \(path) (a file that is not a socket is in the way)", errno: EEXIST)
        }
        let probe = try Net.syscall("socket(AF_UNIX)") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        defer { Glibc.close(probe) }
        if UnixFraming.withSockaddr(address, { Glibc.connect(probe, $0, $1) }) == 0 {
            throw NetError.daemonAlreadyRunning(directory: UnixFraming.directory(of: path))
        }
        if errno == ECONNREFUSED {
            log("removing stale admin socket \(path) left by a daemon that is no longer running")
            unlink(path)
        }
    }

    private func setGroup(_ name: String) throws(NetError) {
        var entry = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else {
            throw NetError.unknownGroup(name)
        }
        try Net.syscall("chown \(path) to group \(name)") { chown(path, uid_t.max, entry.gr_gid) }
    }

    private func acceptLoop(fd: Int32, wake: WakeSignal) {
        defer {
            Glibc.close(fd)
            unlink(path)
            lock.withLock {
                wake.closeDescriptor()
                self.wake = nil
            }
        }
        while !lock.withLock({ stopped }) {
            do {
                guard try wake.waitForAccept(on: fd) else { continue }
            } catch {
                log("admin socket \(path) stopped: \(error)")
                return
            }
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED {
                    log("admin socket \(path): \(NetError.system(call: "accept", errno: errno))")
                }
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            clients.run { [self] in serve(client) }
        }
    }

    private func serve(_ client: Int32) {
        defer { Glibc.close(client) }
        do throws(NetError) {
            let peer = try PeerCredentials.of(client)
            let deadline = Net.monotonicMilliseconds() + clientTimeoutMilliseconds
            let request = try UnixFraming.readFrame(client, cap: maxRequestBytes, deadline: deadline, path: path)
            let response = handler(request, peer)
            try UnixFraming.writeFrame(client, response,
                                       deadline: Net.monotonicMilliseconds() + clientTimeoutMilliseconds, path: path)
        } catch {
            log("admin client on \(path) dropped: \(error)")
        }
    }
}
