import Foundation
@preconcurrency import Glibc

/// Accepts incoming links (a parent listening for its children). The accept loop runs on its own thread; every
/// accepted socket becomes a `Connection` on its own thread, which does the TLS handshake (bounded by
/// `options.handshakeTimeoutMilliseconds`) so a slow or plaintext client never holds up the next one.
///
/// At most `maxConnections` are open at once (handshakes in progress included): beyond that a new connection is
/// closed as soon as it is accepted. Each connection has a thread, and an unauthenticated client holds one for up
/// to the handshake timeout, so a flood of connections would otherwise grow threads without bound until the
/// process could make no more.
public final class TCPListener: @unchecked Sendable {
    // Safe to share: `lock` guards tls, connections, listenFd, stopped, refused, refusedSinceLog, lastRefusalLog;
    // lets are immutable.
    public let host: String
    public let requestedPort: Int
    public let options: ConnectionOptions
    public let maxConnections: Int
    /// Makes the delegate of each accepted connection; gets the peer's "ip:port".
    private let delegateFactory: @Sendable (String) -> any ConnectionDelegate
    /// Reports accept failures that do not stop the listener (e.g. out of file descriptors).
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var tls: TLSContext?
    private var connections: [UInt64: Connection] = [:]
    private var listenFd: Int32 = -1
    private var stopped = false
    private var wake: WakeSignal?
    private var port = 0
    private var refused = 0
    private var refusedSinceLog = 0
    private var lastRefusalLog: Int64?

    /// Refusals are logged at most once in this many milliseconds (a flood must not flood the log too).
    static let refusalLogInterval: Int64 = 10_000

    public init(host: String, port: Int, tls: TLSContext?, options: ConnectionOptions = ConnectionOptions(),
                maxConnections: Int = 1024, log: @escaping @Sendable (String) -> Void = { _ in },
                delegateFactory: @escaping @Sendable (_ remoteAddress: String) -> any ConnectionDelegate) {
        self.host = host
        requestedPort = port
        self.tls = tls
        self.options = options
        self.maxConnections = max(1, maxConnections)
        self.log = log
        self.delegateFactory = delegateFactory
    }

    /// The port actually bound (the ephemeral one when `port` was 0); 0 before `start()`.
    public var boundPort: Int {
        lock.withLock { port }
    }

    /// Connections accepted and not yet closed.
    public var openConnections: [Connection] {
        lock.withLock { Array(connections.values) }
    }

    /// Connections closed on arrival because `maxConnections` were open, since `start()`.
    public var refusedConnections: Int {
        lock.withLock { refused }
    }

    /// Binds (SO_REUSEADDR, so a restarted node gets its port back at once), listens and starts accepting.
    /// A listener runs once: after `stop()`, make a new one. Calling `start()` again while running does nothing.
    public func start() throws(NetError) {
        guard lock.withLock({ listenFd < 0 && !stopped }) else { return }
        guard let address = try SocketAddress.resolve(host: host, port: requestedPort, passive: true).first else {
            throw NetError.invalidAddress("\(host):\(requestedPort)")
        }
        let fd = try Net.syscall("socket") {
            socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let signal: WakeSignal
        do throws(NetError) {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            try Net.syscall("bind to \(host):\(requestedPort)") { address.withSockaddr { bind(fd, $0, $1) } }
            try Net.syscall("listen") { Glibc.listen(fd, 128) }
            try Net.setNonBlocking(fd)
            signal = try WakeSignal()
        } catch {
            Glibc.close(fd)
            throw error
        }
        lock.withLock {
            listenFd = fd
            wake = signal
            port = SocketAddress.localPort(of: fd)
        }
        NamedThread.start("accept-\(port)") { [self] in acceptLoop(fd: fd, wake: signal) }
    }

    /// Swaps the TLS context for connections accepted from now on; open connections keep theirs.
    public func updateTLS(_ context: TLSContext) {
        lock.withLock { tls = context }
    }

    /// Stops accepting and closes every open connection (each reports `connectionClosed`). Idempotent.
    public func stop() {
        let open = lock.withLock { () -> [Connection] in
            guard !stopped else { return [] }
            stopped = true
            wake?.signal()
            return Array(connections.values)
        }
        for connection in open { connection.close() }
    }

    private func acceptLoop(fd: Int32, wake: WakeSignal) {
        defer {
            lock.withLock {
                Glibc.close(fd)
                wake.closeDescriptor()
                self.wake = nil
            }
        }
        while !lock.withLock({ stopped }) {
            do {
                if try wake.waitForAccept(on: fd) { acceptPending(fd: fd) }
            } catch {
                log("listener on \(host):\(boundPort) stopped: \(error)")
                return
            }
        }
    }

    private func acceptPending(fd: Int32) {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EAGAIN, EWOULDBLOCK: return
                default:
                    // Out of descriptors or memory: keep serving; the client is re-tried by its own backoff.
                    log("accept on \(host):\(boundPort) failed: \(NetError.system(call: "accept", errno: errno))")
                    return
                }
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let (refuse, line) = full()
            if refuse {
                Glibc.close(client)
                if let line { log(line) }
                continue
            }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            adopt(client)
        }
    }

    /// Whether `maxConnections` are open, so the new one must be refused (counted), and the line to log about it
    /// when one is due.
    private func full() -> (refuse: Bool, log: String?) {
        let now = Net.monotonicMilliseconds()
        return lock.withLock {
            guard connections.count >= maxConnections else { return (false, nil) }
            refused += 1
            refusedSinceLog += 1
            if let last = lastRefusalLog, now - last < Self.refusalLogInterval { return (true, nil) }
            defer { lastRefusalLog = now; refusedSinceLog = 0 }
            return (true, "refused \(refusedSinceLog) connection(s) on \(host):\(port): \(connections.count) are open, the most "
                + "this listener keeps (handshakes in progress count); a flood of connections, or more clients than "
                + "this listener was sized for")
        }
    }

    private func adopt(_ client: Int32) {
        let context = lock.withLock { tls }
        do throws(NetError) {
            let session = try context.map { context throws(NetError) in
                try TLSSession(context: context, fd: client, isServer: true)
            }
            let connection = try Connection(
                fd: client, session: session, needsHandshake: session != nil,
                delegate: delegateFactory(SocketAddress.peerName(of: client)), options: options,
                onFinish: { [weak self] finished in
                    self?.lock.withLock { _ = self?.connections.removeValue(forKey: finished.id) }
                })
            let accepted = lock.withLock { () -> Bool in
                guard !stopped else { return false }
                connections[connection.id] = connection
                return true
            }
            connection.start()
            if !accepted { connection.close() }
        } catch {
            log("could not set up the connection from \(SocketAddress.peerName(of: client)): \(error)")
            Glibc.close(client)
        }
    }
}
