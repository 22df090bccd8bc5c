@preconcurrency import Glibc

/// Everything that can go wrong while moving bytes: sockets, addresses, TLS handshakes and the admin socket.
/// Each message says what happened and, where there is one, what the operator can do about it.
public enum NetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed; `errno` is kept so callers can tell e.g. ECONNREFUSED from EACCES.
    case system(call: String, errno: Int32)
    /// "host:port" could not be understood.
    case invalidAddress(String)
    case connectTimedOut(host: String, port: Int)
    case connectionRefused(host: String, port: Int)
    /// The TLS handshake did not complete; `reason` is OpenSSL's text (e.g. "certificate has expired").
    case tlsHandshakeFailed(reason: String)
    case tlsHandshakeTimedOut
    /// The peer's certificate is valid but names another node than the one expected on this link.
    case unexpectedPeer(expected: String, actual: [String])
    /// A TLS read or write failed after the handshake.
    case tlsIOFailed(reason: String)
    /// The peer reset the connection or the socket reported an error.
    case connectionReset(reason: String)
    /// `send` was refused because the outgoing buffer already holds `cap` bytes: slow down.
    case outgoingBufferFull(cap: Int)
    case unixPathTooLong(path: String, limit: Int)
    /// Nothing listens on the admin socket of the daemon owning `directory`.
    case noDaemonRunning(directory: String)
    /// Another live daemon already answers on the admin socket of `directory`.
    case daemonAlreadyRunning(directory: String)
    case permissionDenied(path: String)
    case requestTimedOut(path: String)
    /// A framed admin message was larger than the cap or cut short.
    case badAdminFrame(String)
    case unknownGroup(String)

    public var description: String {
        switch self {
        case let .system(call, code):
            return "\(call) failed: \(Net.errnoText(code)) (errno \(code))"
        case let .invalidAddress(text):
            return "invalid address \"\(text)\": use host:port, e.g. 127.0.0.1:7000 or [::1]:7000"
        case let .connectTimedOut(host, port):
            return "connecting to \(host):\(port) timed out: check that the peer is running and reachable"
        case let .connectionRefused(host, port):
            return "connection to \(host):\(port) refused: nothing listens there; start the peer or fix the topology"
        case let .tlsHandshakeFailed(reason):
            return "TLS handshake failed: \(reason)"
        case .tlsHandshakeTimedOut:
            return "TLS handshake failed: the peer sent no complete handshake in time (plaintext client or wrong port?)"
        case let .unexpectedPeer(expected, actual):
            return "peer certificate names \(actual) but this link expects \"\(expected)\": check the topology and the peer's certificate"
        case let .tlsIOFailed(reason):
            return "TLS connection failed: \(reason)"
        case let .connectionReset(reason):
            return "connection lost: \(reason)"
        case let .outgoingBufferFull(cap):
            return "outgoing buffer is full (\(cap) bytes): wait for the peer to read before sending more"
        case let .unixPathTooLong(path, limit):
            return "socket path \"\(path)\" is longer than \(limit) bytes: use a shorter data directory"
        case let .noDaemonRunning(directory):
            return "no daemon is running for \(directory) (socket missing): start it with `hotline-<role> serve --data \(directory)`"
        case let .daemonAlreadyRunning(directory):
            return "another daemon is running on \(directory): stop it first or use another data directory"
        case let .permissionDenied(path):
            return "permission denied on \(path): run as the daemon's user or a member of the socket's group"
        case let .requestTimedOut(path):
            return "the daemon behind \(path) did not answer in time: check its log"
        case let .badAdminFrame(reason):
            return "bad admin message: \(reason)"
        case let .unknownGroup(name):
            return "unknown group \"\(name)\": create it or choose an existing group for the admin socket"
        }
    }
}

/// Errors while loading certificates and keys into a `TLSContext`.
public enum TLSError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadableFile(path: String, reason: String)
    case invalidCertificate(path: String, reason: String)
    case invalidPrivateKey(path: String, reason: String)
    case keyDoesNotMatchCertificate(certificate: String, key: String)
    /// The node certificate does not verify against the given CA (wrong authority, expired, not yet valid).
    case certificateNotIssuedByCA(certificate: String, ca: String, reason: String)
    case openSSL(call: String, reason: String)
    /// `crl.pem` beside the authority's certificate cannot be used.
    case invalidRevocationList(path: String, reason: String)
    /// This node's own certificate is on the revocation list.
    case certificateRevoked(certificate: String, list: String)

    public var description: String {
        switch self {
        case let .invalidRevocationList(path, reason):
            return "\(path) is not a usable certificate revocation list: \(reason)"
        case let .certificateRevoked(certificate, list):
            return "certificate \(certificate) is revoked by \(list): install the certificate issued after the revocation (deploy/pki/make-pki.sh --revoke issues one)"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason); check the path and its permissions"
        case let .invalidCertificate(path, reason):
            return "\(path) is not a valid PEM certificate: \(reason)"
        case let .invalidPrivateKey(path, reason):
            return "\(path) is not a valid PEM private key: \(reason)"
        case let .keyDoesNotMatchCertificate(certificate, key):
            return "private key \(key) does not match certificate \(certificate): re-issue them together with deploy/pki/make-pki.sh"
        case let .certificateNotIssuedByCA(certificate, ca, reason):
            return "certificate \(certificate) does not verify against the authority \(ca): \(reason); re-issue it from this CA"
        case let .openSSL(call, reason):
            return "\(call) failed: \(reason)"
        }
    }
}
