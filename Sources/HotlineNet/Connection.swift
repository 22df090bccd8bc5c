import Foundation
@preconcurrency import Glibc

/// One TCP link (plain or TLS) served by its own dedicated thread running a poll() loop over the socket and a
/// wake pipe. All socket and OpenSSL calls happen on that thread; other threads only queue bytes or ask to close.
public final class Connection: @unchecked Sendable {
    // Safe to share: `lock` guards every field marked (lock); the remaining vars are touched only by the
    // connection's own thread (thread); lets are immutable.
    public let id: UInt64
    public let remoteAddress: String
    public let options: ConnectionOptions
    private let fd: Int32
    private let session: TLSSession?
    private let needsHandshake: Bool
    private let wake: WakeSignal
    private let lock = NSLock()
    private var delegate: (any ConnectionDelegate)?  // (lock) released when closed, to break reference cycles
    private var outgoing: [UInt8] = []               // (lock) bytes queued by `send`; the thread takes from the head
    private var outgoingHead = 0                     // (lock) index of the first byte not yet taken
    private var queuedBytes = 0                      // (lock) outgoing + the thread's unwritten chunk
    private var closeRequested = false               // (lock)
    private var finished = false                     // (lock)
    private var identity: PeerIdentity?              // (lock)
    private var onFinish: (@Sendable (Connection) -> Void)?  // (lock) lets a listener forget the connection
    private var chunk: [UInt8] = []                  // (thread) being written; kept unchanged for SSL retries
    private var chunkOffset = 0                      // (thread)

    private static let chunkSize = 256 << 10
    private static let idLock = NSLock()
    nonisolated(unsafe) private static var lastId: UInt64 = 0  // guarded by idLock

    init(fd: Int32, session: TLSSession?, needsHandshake: Bool, delegate: any ConnectionDelegate,
         options: ConnectionOptions, onFinish: (@Sendable (Connection) -> Void)? = nil) throws(NetError) {
        Self.idLock.lock()
        Self.lastId += 1
        id = Self.lastId
        Self.idLock.unlock()
        self.fd = fd
        self.session = session
        self.needsHandshake = needsHandshake
        self.delegate = delegate
        self.options = options
        self.onFinish = onFinish
        remoteAddress = SocketAddress.peerName(of: fd)
        wake = try WakeSignal()
        if !needsHandshake { identity = session?.peerIdentity }
    }

    func start() {
        NamedThread.start("conn-\(id)") { [self] in run() }
    }

    /// Names from the peer's verified certificate; nil on plaintext links and before the handshake.
    public var peerIdentity: PeerIdentity? {
        lock.withLock { identity }
    }

    /// Bytes queued and not yet written to the socket.
    public var outgoingBytes: Int {
        lock.withLock { queuedBytes }
    }

    public var isClosed: Bool {
        lock.withLock { finished || closeRequested }
    }

    /// Queues bytes for sending; thread-safe. Returns false, queueing nothing, when the connection is closing or
    /// when the bytes would push the queue over `options.outgoingCapBytes` — then wait (e.g. for the next tick)
    /// and try again.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        lock.withLock {
            guard !finished, !closeRequested, queuedBytes + bytes.count <= options.outgoingCapBytes else {
                return false
            }
            // Only bytes queued to an idle connection need to wake its thread: while any are unwritten, the thread is
            // writing (its `flush` takes chunks until the queue is empty) or waiting for the socket to take more, and
            // finds these with the rest. A round that sends many frames wrote to the wake pipe once for each.
            let idle = queuedBytes == 0
            outgoing.append(contentsOf: bytes)
            queuedBytes += bytes.count
            if idle { wake.signal() }
            return true
        }
    }

    /// Closes the connection after a best-effort flush of queued bytes; thread-safe and idempotent.
    /// `connectionClosed` follows on the connection's thread.
    public func close() {
        lock.withLock {
            guard !finished, !closeRequested else { return }
            closeRequested = true
            wake.signal()
        }
    }

    // MARK: - The connection's thread

    private func run() {
        if let session, needsHandshake {
            do {
                guard try handshake(session) else {
                    finish(error: nil, graceful: false)
                    return
                }
            } catch {
                finish(error: error, graceful: false)
                return
            }
            let names = session.peerIdentity
            lock.withLock { identity = names }
        }
        currentDelegate()?.connectionEstablished(self)
        var nextTick = Net.monotonicMilliseconds() + options.tickIntervalMilliseconds
        var closeDeadline: Int64?
        var readBuffer = [UInt8](repeating: 0, count: 64 << 10)
        var moreToRead = false
        while true {
            let (wantOutput, writeError) = flush()
            if let writeError {
                finish(error: writeError, graceful: false)
                return
            }
            let now = Net.monotonicMilliseconds()
            let (closing, drained) = lock.withLock { (closeRequested, queuedBytes == 0) }
            if closing {
                let deadline = closeDeadline ?? now + options.closeFlushMilliseconds
                closeDeadline = deadline
                if drained || now >= deadline {
                    finish(error: nil, graceful: true)
                    return
                }
            }
            var fds = [pollfd(fd: fd, events: Int16(POLLIN) | (wantOutput ? Int16(POLLOUT) : 0), revents: 0),
                       pollfd(fd: wake.fd, events: Int16(POLLIN), revents: 0)]
            let timeout = moreToRead ? 0 : max(0, min(nextTick, closeDeadline ?? nextTick) - now)
            let ready = poll(&fds, 2, Int32(timeout))
            if ready < 0 && errno != EINTR {
                finish(error: .system(call: "poll", errno: errno), graceful: false)
                return
            }
            if fds[1].revents != 0 { wake.drain() }
            if fds[0].revents != 0 || moreToRead {
                switch readAvailable(into: &readBuffer) {
                case .drained: moreToRead = false
                case .more: moreToRead = true
                case let .ended(error):
                    finish(error: error, graceful: error == nil)
                    return
                }
            }
            let afterPoll = Net.monotonicMilliseconds()
            if afterPoll >= nextTick {
                currentDelegate()?.connectionTick(self, now: afterPoll)
                nextTick = afterPoll + options.tickIntervalMilliseconds
            }
        }
    }

    /// The server side of the TLS handshake, bounded by the handshake timeout and interruptible by `close()`
    /// (a listener that stops must not wait for half-open handshakes). Returns false when closed meanwhile.
    private func handshake(_ session: TLSSession) throws(NetError) -> Bool {
        let deadline = Net.monotonicMilliseconds() + options.handshakeTimeoutMilliseconds
        while let events = try session.handshakeStep() {
            if lock.withLock({ closeRequested }) { return false }
            let remaining = deadline - Net.monotonicMilliseconds()
            if remaining <= 0 { throw NetError.tlsHandshakeTimedOut }
            var fds = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: wake.fd, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, Int32(min(remaining, Int64(Int32.max)))) < 0 && errno != EINTR {
                throw NetError.system(call: "poll", errno: errno)
            }
            if fds[1].revents != 0 { wake.drain() }
        }
        return true
    }

    private func currentDelegate() -> (any ConnectionDelegate)? {
        lock.withLock { delegate }
    }

    /// Takes up to `chunkSize` bytes from the head of the queue; the queue is compacted only when the taken
    /// prefix dominates it, so a deep backlog costs amortised O(1) per byte instead of a memmove per chunk.
    private func takeChunk() -> [UInt8] {
        let end = min(outgoing.count, outgoingHead + Self.chunkSize)
        let taken = Array(outgoing[outgoingHead..<end])
        outgoingHead = end
        if outgoingHead == outgoing.count {
            outgoing.removeAll(keepingCapacity: outgoing.capacity <= 4 << 20)
            outgoingHead = 0
        } else if outgoingHead > outgoing.count / 2 {
            outgoing.removeFirst(outgoingHead)
            outgoingHead = 0
        }
        return taken
    }

    /// Writes as much as the socket takes. Returns whether to wait for POLLOUT, or the error that ends the link.
    private func flush() -> (wantOutput: Bool, error: NetError?) {
        while true {
            if chunkOffset >= chunk.count {
                chunk = lock.withLock { takeChunk() }
                chunkOffset = 0
                if chunk.isEmpty { return (false, nil) }
            }
            let step = chunk.withUnsafeBytes { raw in
                writeSome(UnsafeRawBufferPointer(rebasing: raw[chunkOffset...]))
            }
            switch step {
            case let .transferred(count):
                chunkOffset += count
                lock.withLock { queuedBytes -= count }
            case .wantWrite: return (true, nil)
            case .wantRead: return (false, nil)
            case .closed: return (false, .connectionReset(reason: "the peer closed the connection while we were writing"))
            case let .failed(reason): return (false, session == nil ? .connectionReset(reason: reason) : .tlsIOFailed(reason: reason))
            }
        }
    }

    private enum ReadOutcome {
        case drained
        /// Stopped early so writes, ticks and close requests get a turn; TLS may hold decrypted bytes.
        case more
        /// `nil` for an orderly close by the peer.
        case ended(NetError?)
    }

    private func readAvailable(into buffer: inout [UInt8]) -> ReadOutcome {
        for _ in 0..<64 {
            let step = buffer.withUnsafeMutableBytes { readSome($0) }
            switch step {
            case let .transferred(count):
                currentDelegate()?.connection(self, received: Array(buffer[0..<count]))
            case .wantRead, .wantWrite: return .drained
            case .closed: return .ended(nil)
            case let .failed(reason):
                return .ended(session == nil ? .connectionReset(reason: reason) : .tlsIOFailed(reason: reason))
            }
        }
        return .more
    }

    private func readSome(_ buffer: UnsafeMutableRawBufferPointer) -> IOStep {
        if let session { return session.read(into: buffer) }
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { return .transferred(count) }
            if count == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wantRead
            case ECONNRESET: return .closed
            default: return .failed(Net.errnoText(errno))
            }
        }
    }

    private func writeSome(_ bytes: UnsafeRawBufferPointer) -> IOStep {
        if let session { return session.write(bytes) }
        while true {
            let count = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            if count >= 0 { return .transferred(count) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wantWrite
            default: return .failed(Net.errnoText(errno))
            }
        }
    }

    private func finish(error: NetError?, graceful: Bool) {
        let (owner, forget) = lock.withLock { () -> ((any ConnectionDelegate)?, (@Sendable (Connection) -> Void)?) in
            finished = true
            let taken = (delegate, onFinish)
            delegate = nil
            onFinish = nil
            return taken
        }
        if graceful { session?.shutdown() }
        Glibc.close(fd)
        owner?.connectionClosed(self, error: error)
        forget?(self)
        lock.withLock { wake.closeDescriptor() }
    }
}
