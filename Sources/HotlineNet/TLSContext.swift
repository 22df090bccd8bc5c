import COpenSSL
import Foundation

/// The TLS settings of one node, loaded from PEM files: the city's private authority (CA), the node's certificate
/// and its private key. One context serves both directions (listening for children, dialling the parent):
/// TLS 1.3 only, mutual authentication, peers verified against ONLY the given CA — never the system trust store.
///
/// To rotate certificates, build a new context from the files and hand it to `TCPListener.updateTLS(_:)` and to
/// the next `Dialer.connect`; connections already open keep the context they were made with.
public final class TLSContext: @unchecked Sendable {
    // Safe to share: after init the SSL_CTX is only read (SSL_new takes a reference under OpenSSL's own lock),
    // and it is freed in deinit when no connection holds this object any more.
    let context: OpaquePointer
    public let caFile: String
    public let certificateFile: String
    public let privateKeyFile: String
    /// The authority's certificate revocation list(s), `crl.pem` beside `ca.crt`, when there is one: a peer whose
    /// certificate it lists is refused (a node whose key leaked, `make-pki.sh --revoke`). Nil without the file.
    public private(set) var revocationList: RevocationList?

    public struct RevocationList: Equatable, Sendable {
        public var file: String
        /// How many lists the file holds (one per authority in `ca.crt`).
        public var lists: Int
        /// The earliest `nextUpdate` of them (ms since 1970-01-01T00:00Z): after it OpenSSL refuses every peer.
        public var nextUpdateMillis: Int64?
        /// The file as loaded, to tell a changed list on reload.
        public var content: Data
    }

    public convenience init(caFile: String, certificateFile: String, privateKeyFile: String) throws(TLSError) {
        try self.init(caFile: caFile, certificateFile: certificateFile, privateKeyFile: privateKeyFile,
                      checkOwnCertificate: true)
    }

    /// Loads the files a node keeps in its data directory, as laid out by deploy/pki/make-pki.sh:
    /// `ca.crt`, `node.crt`, `node.key`.
    public convenience init(directory: String) throws(TLSError) {
        try self.init(caFile: directory + "/ca.crt", certificateFile: directory + "/node.crt",
                      privateKeyFile: directory + "/node.key")
    }

    /// `checkOwnCertificate: false` exists only so tests can play a misbehaving peer (expired or foreign
    /// certificate) and prove the other side refuses it.
    init(caFile: String, certificateFile: String, privateKeyFile: String,
         checkOwnCertificate: Bool) throws(TLSError) {
        OPENSSL_init_ssl(0, nil)
        for path in [caFile, certificateFile, privateKeyFile] {
            guard FileManager.default.isReadableFile(atPath: path) else {
                let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
                throw TLSError.unreadableFile(path: path, reason: reason)
            }
        }
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_method()) else {
            throw TLSError.openSSL(call: "SSL_CTX_new", reason: OpenSSLErrors.drain())
        }
        self.context = context
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        // From here on deinit frees `context` if a check below throws.
        guard hotline_SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) == 1,
              hotline_SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) == 1 else {
            throw TLSError.openSSL(call: "SSL_CTX_set_min/max_proto_version", reason: OpenSSLErrors.drain())
        }
        // Partial writes and a moving buffer let the connection thread write from its own queue without copying.
        _ = hotline_SSL_CTX_set_mode(context, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        // Links are long-lived and re-dials are rare: session tickets would only add state to reason about.
        SSL_CTX_set_num_tickets(context, 0)
        guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
            throw TLSError.invalidCertificate(path: caFile, reason: OpenSSLErrors.drain())
        }
        try loadRevocationList()
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
            throw TLSError.invalidCertificate(path: certificateFile, reason: OpenSSLErrors.drain())
        }
        guard SSL_CTX_use_PrivateKey_file(context, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            let reason = OpenSSLErrors.drain()
            if reason.contains("values mismatch") || reason.contains("key values mismatch") {
                throw TLSError.keyDoesNotMatchCertificate(certificate: certificateFile, key: privateKeyFile)
            }
            throw TLSError.invalidPrivateKey(path: privateKeyFile, reason: reason)
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            ERR_clear_error()
            throw TLSError.keyDoesNotMatchCertificate(certificate: certificateFile, key: privateKeyFile)
        }
        if checkOwnCertificate { try verifyOwnCertificate() }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// Loads `crl.pem` beside the authority's certificate into the store peers are verified against, and makes
    /// OpenSSL check each peer's certificate against it. Every authority in `ca.crt` then needs its list in the file
    /// (OpenSSL refuses a certificate whose issuer has none): make-pki.sh writes one per authority it signs with.
    private func loadRevocationList() throws(TLSError) {
        let file = URL(fileURLWithPath: caFile).deletingLastPathComponent().appendingPathComponent("crl.pem").path
        guard FileManager.default.fileExists(atPath: file) else { return }
        guard FileManager.default.isReadableFile(atPath: file), let bytes = FileManager.default.contents(atPath: file) else {
            throw TLSError.unreadableFile(path: file, reason: "permission denied")
        }
        var count: Int32 = 0
        var next: Int64 = 0
        guard let store = SSL_CTX_get_cert_store(context),
              bytes.withUnsafeBytes({ hotline_crl_load(store, $0.baseAddress, Int32($0.count), &count, &next) }) == 1 else {
            let reason = OpenSSLErrors.drain()
            throw TLSError.invalidRevocationList(path: file, reason: reason.isEmpty || count == 0 ? "no PEM certificate revocation list in it" : reason)
        }
        // The leaf's list only (the chain is a node certificate under the authority): on the store, which our own
        // check uses, and on the context's parameters, which each handshake's check starts from.
        X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK))
        X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(context), UInt(X509_V_FLAG_CRL_CHECK))
        revocationList = RevocationList(file: file, lists: Int(count), nextUpdateMillis: next > 0 ? next * 1000 : nil,
                                        content: bytes)
    }

    /// Fails early, at load time, when our own certificate would be refused by every peer: issued by another
    /// authority, expired or not yet valid. Better a clear error at start than a handshake failure per link.
    private func verifyOwnCertificate() throws(TLSError) {
        guard let certificate = SSL_CTX_get0_certificate(context),
              let store = SSL_CTX_get_cert_store(context),
              let check = X509_STORE_CTX_new() else {
            throw TLSError.openSSL(call: "X509_STORE_CTX_new", reason: OpenSSLErrors.drain())
        }
        defer { X509_STORE_CTX_free(check) }
        guard X509_STORE_CTX_init(check, store, certificate, nil) == 1 else {
            throw TLSError.openSSL(call: "X509_STORE_CTX_init", reason: OpenSSLErrors.drain())
        }
        if X509_verify_cert(check) != 1 {
            let code = X509_STORE_CTX_get_error(check)
            ERR_clear_error()
            if code == X509_V_ERR_CERT_REVOKED, let list = revocationList {
                throw TLSError.certificateRevoked(certificate: certificateFile, list: list.file)
            }
            if code == X509_V_ERR_CRL_HAS_EXPIRED, let list = revocationList {
                throw TLSError.invalidRevocationList(path: list.file, reason: "it has expired (its nextUpdate is past): every peer would be refused; make a new one with deploy/pki/make-pki.sh TOPOLOGY PKI-DIR --crl")
            }
            throw TLSError.certificateNotIssuedByCA(
                certificate: certificateFile, ca: caFile,
                reason: String(cString: X509_verify_cert_error_string(Int(code))))
        }
        // The links stop when the first certificate of the chain expires: the node's own or the authority's.
        for i in 0..<hotline_chain_count(check) {
            var seconds: Int64 = 0
            guard let certificate = hotline_chain_at(check, i), hotline_not_after_posix(certificate, &seconds) == 1 else { continue }
            if expiry.map({ seconds * 1000 < $0.millis }) ?? true {
                expiry = Expiry(millis: seconds * 1000, file: i == 0 ? certificateFile : caFile)
            }
        }
        // So do they all when the revocation list passes its nextUpdate.
        if let list = revocationList, let next = list.nextUpdateMillis, expiry.map({ next < $0.millis }) ?? true {
            expiry = Expiry(millis: next, file: list.file)
        }
    }

    /// When this node's certificate chain stops being valid: the earliest `notAfter` of its own certificate and the
    /// authority's, and the file that holds that certificate. Nil for a context that skipped the check (tests).
    public private(set) var expiry: Expiry?

    public struct Expiry: Equatable, Sendable {
        /// ms since 1970-01-01T00:00Z.
        public var millis: Int64
        public var file: String
        public init(millis: Int64, file: String) {
            self.millis = millis
            self.file = file
        }
    }

    /// Names and fingerprint of the certificate this node presents.
    public var ownIdentity: PeerIdentity? {
        SSL_CTX_get0_certificate(context).map { PeerIdentity(certificate: $0) }
    }
}

/// Reads OpenSSL's per-thread error queue into one human line.
enum OpenSSLErrors {
    static func drain() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no OpenSSL error recorded" : messages.joined(separator: "; ")
    }
}
