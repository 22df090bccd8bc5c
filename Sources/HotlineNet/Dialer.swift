@preconcurrency import Glibc

/// Opens outgoing links (a child dialling its parent). Blocking: the node runs its dial loop on its own thread
/// and waits here, with `Backoff` between failed attempts.
public enum Dialer {
    /// Connects to `host:port` within `timeoutMilliseconds` (TCP connect + TLS handshake), checks the peer
    /// certificate names `expectedPeer` when given, then starts the connection's thread and returns it;
    /// `delegate.connectionEstablished` is called on that thread right after.
    ///
    /// TLS 1.3 lets the client finish its half of the handshake before the server has judged the client's
    /// certificate: when the parent refuses ours (wrong authority, expired), `connect` may still return and the
    /// refusal arrives at once as `connectionClosed(error: .tlsIOFailed("… alert …"))`. A refused server
    /// certificate, or a peer that is not `expectedPeer`, makes `connect` throw.
    /// - Parameter tls: the node's current context (take the newest one at each dial, so a reload applies);
    ///   nil for a plaintext link (only on loopback, by the node's rule).
    public static func connect(host: String, port: Int, tls: TLSContext?, expectedPeer: String? = nil,
                               timeoutMilliseconds: Int64 = 10_000, options: ConnectionOptions = ConnectionOptions(),
                               delegate: any ConnectionDelegate) throws(NetError) -> Connection {
        let deadline = Net.monotonicMilliseconds() + timeoutMilliseconds
        let addresses = try SocketAddress.resolve(host: host, port: port)
        var lastError = NetError.invalidAddress("\(host):\(port)")
        for address in addresses {
            let fd: Int32
            do {
                fd = try connectSocket(to: address, host: host, port: port, deadline: deadline)
            } catch {
                lastError = error
                continue
            }
            do throws(NetError) {
                var session: TLSSession?
                if let tls {
                    let made = try TLSSession(context: tls, fd: fd, isServer: false)
                    try made.handshake(fd: fd, deadline: deadline)
                    if let expectedPeer {
                        let names = made.peerIdentity?.names ?? []
                        guard names.contains(expectedPeer) else {
                            throw NetError.unexpectedPeer(expected: expectedPeer, actual: names)
                        }
                    }
                    session = made
                }
                let connection = try Connection(fd: fd, session: session, needsHandshake: false,
                                                delegate: delegate, options: options)
                connection.start()
                return connection
            } catch {
                Glibc.close(fd)
                throw error
            }
        }
        throw lastError
    }

    private static func connectSocket(to address: SocketAddress, host: String, port: Int,
                                      deadline: Int64) throws(NetError) -> Int32 {
        let fd = try Net.syscall("socket") {
            socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do throws(NetError) {
            try Net.setNonBlocking(fd)
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let status = address.withSockaddr { Glibc.connect(fd, $0, $1) }
            if status != 0 && errno != EINPROGRESS && errno != EINTR {
                throw connectError(errno, host: host, port: port)
            }
            if status != 0 {
                if try Net.waitFor(fd, events: Int16(POLLOUT), until: deadline) == 0 {
                    throw NetError.connectTimedOut(host: host, port: port)
                }
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                if code != 0 { throw connectError(code, host: host, port: port) }
            }
            return fd
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    private static func connectError(_ code: Int32, host: String, port: Int) -> NetError {
        switch code {
        case ECONNREFUSED: return .connectionRefused(host: host, port: port)
        case ETIMEDOUT: return .connectTimedOut(host: host, port: port)
        default: return .system(call: "connect to \(host):\(port)", errno: code)
        }
    }
}
