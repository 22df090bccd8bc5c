import Foundation
import HotlineCore
import HotlineNet

/// Warns before the node's certificate chain expires. A city issues every node's certificate on the same day
/// (`make-pki.sh`, 825 days by default), so they all expire on the same day too, and every link of the network stops
/// at once: the peers refuse the handshake. From `warnDays` before, the node logs `certificate-expiring` once a day
/// (and at start and at each reload); past it, `certificate-expired` as an error. The machine's clock is read, not
/// the node's business clock: OpenSSL checks certificates against the machine's.
struct CertificateWatch {
    static let warnDays: Int64 = 30
    static let day: Int64 = 86_400_000

    private var lastDay: Int64?

    enum Notice: Equatable {
        case expiring(daysLeft: Int64)
        case expired(daysAgo: Int64)
    }

    /// Whole days left before `expiry` (0 on its last day); negative once it has passed.
    static func daysLeft(_ expiry: TLSContext.Expiry, now: Int64) -> Int64 {
        let left = expiry.millis - now
        return left >= 0 ? left / day : -((-left + day - 1) / day)
    }

    /// What to log now: at the first check (start; a reload starts a new watch), then at most once a calendar day
    /// (UTC).
    mutating func check(_ expiry: TLSContext.Expiry?, now: Int64) -> Notice? {
        guard let expiry else { return nil }
        let today = now / Self.day
        guard lastDay != today else { return nil }
        lastDay = today
        if now >= expiry.millis { return .expired(daysAgo: -Self.daysLeft(expiry, now: now)) }
        let left = Self.daysLeft(expiry, now: now)
        return left < Self.warnDays ? .expiring(daysLeft: left) : nil
    }

    /// The log line for a notice, with what to do: a node's certificate is issued again for that node alone; the
    /// authority's expiry is the whole network's, renewed in a cross-trust period (deploy/pki/README.md).
    static func log(_ notice: Notice, _ expiry: TLSContext.Expiry, node: String, to log: Log) {
        let until = Timestamp(millis: expiry.millis).iso8601
        let renew = expiry.file.hasSuffix("ca.crt")
            ? "it is the city's certificate authority, shared by every node: create a new one and move every node to it as deploy/pki/README.md says (\"Rotating the authority\")"
            : expiry.file.hasSuffix("crl.pem")
            ? "it is the certificate revocation list, after which every peer is refused: write it again (deploy/pki/make-pki.sh TOPOLOGY PKI-DIR --crl), copy crl.pem into every node's tls directory and send each node SIGHUP (systemctl reload)"
            : "issue a new certificate (deploy/pki/make-pki.sh TOPOLOGY PKI-DIR --force --node \(node)), copy node.crt and node.key into the node's tls directory and send the node SIGHUP (systemctl reload)"
        switch notice {
        case .expiring(let days):
            log.warn("certificate-expiring", ["file": expiry.file, "not_after": until, "days_left": "\(days)",
                                              "detail": "links stop when it expires: the neighbours will refuse this node; \(renew)"])
        case .expired(let days):
            log.error("certificate-expired", ["file": expiry.file, "not_after": until, "days_ago": "\(days)",
                                              "detail": "neighbours refuse this node's connections; \(renew)"])
        }
    }
}
