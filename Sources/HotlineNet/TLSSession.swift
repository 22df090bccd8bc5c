import COpenSSL
@preconcurrency import Glibc

/// The outcome of one non-blocking read, write or handshake step, on TLS or on a plain socket.
enum IOStep: Sendable, Equatable {
    case transferred(Int)
    case wantRead
    case wantWrite
    /// The peer closed the stream in order (EOF or TLS close_notify).
    case closed
    case failed(String)
}

/// One TLS connection (an OpenSSL `SSL*`) over a non-blocking socket.
final class TLSSession: @unchecked Sendable {
    // Safe to share: the SSL* is confined to one thread at a time — the dialling thread until the handshake is
    // done, then the connection's own thread; the hand-over happens through Thread start (a happens-before edge).
    private let ssl: OpaquePointer
    /// Kept so the SSL_CTX outlives every SSL made from it, even after a reload swaps contexts.
    let context: TLSContext

    /// `SSL_write` cannot pass MSG_NOSIGNAL: a peer gone mid-write would raise SIGPIPE and kill the daemon, so the
    /// first TLS session ignores SIGPIPE for the process even if the owner forgot `Net.ignoreSigpipe()`.
    private static let sigpipeIgnored: Void = Net.ignoreSigpipe()

    init(context: TLSContext, fd: Int32, isServer: Bool) throws(NetError) {
        Self.sigpipeIgnored
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else {
            throw NetError.tlsHandshakeFailed(reason: OpenSSLErrors.drain())
        }
        self.ssl = ssl
        self.context = context
        guard SSL_set_fd(ssl, fd) == 1 else {
            throw NetError.tlsHandshakeFailed(reason: OpenSSLErrors.drain())
        }
        if isServer { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
    }

    deinit {
        SSL_free(ssl)
    }

    /// Drives the handshake to its end, waiting with poll() on `fd`, until `deadline` (monotonic ms).
    func handshake(fd: Int32, deadline: Int64) throws(NetError) {
        while let events = try handshakeStep() {
            if try Net.waitFor(fd, events: events, until: deadline) == 0 {
                throw NetError.tlsHandshakeTimedOut
            }
        }
    }

    /// One non-blocking handshake step: nil when the handshake is complete, else the poll events to wait for.
    func handshakeStep() throws(NetError) -> Int16? {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return nil }
        switch classify(result, during: "handshake") {
        case .wantRead: return Int16(POLLIN)
        case .wantWrite: return Int16(POLLOUT)
        case .closed: throw NetError.tlsHandshakeFailed(reason: "the peer closed the connection during the handshake")
        case let .failed(reason): throw NetError.tlsHandshakeFailed(reason: reason)
        case .transferred: return Int16(POLLIN | POLLOUT)
        }
    }

    var peerIdentity: PeerIdentity? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        return PeerIdentity(certificate: certificate)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> IOStep {
        ERR_clear_error()
        let result = SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
        return result > 0 ? .transferred(Int(result)) : classify(result, during: "read")
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> IOStep {
        ERR_clear_error()
        let result = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
        return result > 0 ? .transferred(Int(result)) : classify(result, during: "write")
    }

    /// Sends close_notify once, without waiting for the peer's: the socket is closed right after.
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    private func classify(_ result: Int32, during operation: String) -> IOStep {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let saved = errno
            let queued = ERR_peek_error() != 0 ? OpenSSLErrors.drain() : nil
            if let queued { return .failed(queued) }
            if saved == 0 || saved == ECONNRESET || saved == EPIPE {
                return operation == "read" ? .closed : .failed("the peer closed the connection")
            }
            return .failed("\(operation): \(Net.errnoText(saved))")
        default:
            var reason = OpenSSLErrors.drain()
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                reason = String(cString: X509_verify_cert_error_string(verify)) + " (" + reason + ")"
            }
            return .failed(reason)
        }
    }
}
