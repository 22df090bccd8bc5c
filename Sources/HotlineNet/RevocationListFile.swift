import COpenSSL

/// A certificate revocation list file (`crl.pem`: one list per authority) as a node checks it before installing one
/// it did not write itself — the centre's, sent over the links (`pki.crl`). Each list must be signed by an authority
/// of the node's own `ca.crt`, and none may be older than the list of the same authority in use: an older list
/// would let a revoked certificate in again, and a forged one would make OpenSSL refuse every peer.
public struct RevocationListFile: Equatable, Sendable {
    public struct List: Equatable, Sendable {
        /// The position in `ca.crt` of the authority that signed it.
        public var authority: Int
        /// Seconds since 1970-01-01T00:00Z.
        public var lastUpdate: Int64
        /// Seconds since 1970-01-01T00:00Z; nil when the list gives none.
        public var nextUpdate: Int64?
    }

    public let lists: [List]

    /// Reads and verifies every list in `pem` against the authorities in `authorities` (the PEM of `ca.crt`);
    /// `source` names the file or message in the error.
    public init(pem: [UInt8], authorities: [UInt8], source: String) throws(TLSError) {
        let most: Int32 = 16
        var authority = [Int32](repeating: 0, count: Int(most))
        var last = [Int64](repeating: 0, count: Int(most))
        var next = [Int64](repeating: 0, count: Int(most))
        let n = pem.withUnsafeBytes { crl in
            authorities.withUnsafeBytes { ca in
                hotline_crl_inspect(ca.baseAddress, Int32(ca.count), crl.baseAddress, Int32(crl.count),
                                    &authority, &last, &next, most)
            }
        }
        switch n {
        case ..<(-3): throw .invalidRevocationList(path: source, reason: "it cannot be read")
        case -3: throw .invalidRevocationList(path: source, reason: "it holds more than \(most) lists")
        case -2: throw .invalidRevocationList(path: source, reason: "a list's signature does not verify with its authority's key in ca.crt (forged or damaged)")
        case -1: throw .invalidRevocationList(path: source, reason: "a list is issued by an authority that is not in this node's ca.crt")
        case 0: throw .invalidRevocationList(path: source, reason: "no PEM certificate revocation list in it")
        default: break
        }
        lists = (0..<Int(n)).map { i in
            List(authority: Int(authority[i]), lastUpdate: last[i], nextUpdate: next[i] > 0 ? next[i] : nil)
        }
    }

    /// Why this file may not replace `current` (the list in use, nil when there is none) at `now` (seconds since
    /// 1970), or nil when it may: every list still current, and for each authority `current` has a list of, a list
    /// at least as recent (a file without it would make OpenSSL refuse every certificate of that authority).
    public func refusal(replacing current: RevocationListFile?, now: Int64) -> String? {
        if let ended = lists.first(where: { ($0.nextUpdate ?? Int64.max) <= now }) {
            return "the list of authority \(ended.authority + 1) in ca.crt has passed its nextUpdate: every peer would be refused"
        }
        for old in current?.lists ?? [] {
            let newer = lists.filter { $0.authority == old.authority }.map(\.lastUpdate).max()
            guard let newer else {
                return "it has no list of authority \(old.authority + 1) in ca.crt, which the list in use has"
            }
            if newer < old.lastUpdate {
                return "it is older than the list in use (authority \(old.authority + 1): issued \(newer), the one in use \(old.lastUpdate), seconds since 1970): it would let revoked certificates in again"
            }
        }
        return nil
    }
}
