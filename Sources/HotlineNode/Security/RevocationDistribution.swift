import Foundation
import HotlineCore
import HotlineNet

/// `pki.crl`: the centre's certificate revocation list, sent to every node.
struct RevocationListBody: Codable {
    /// The PEM text of `crl.pem` (one list per authority).
    var crl: String
}

/// The revocation list travels over the links (deploy/pki/README.md, "If a node key leaks"). Copied by hand to
/// every node, a node the operator missed kept accepting a revoked certificate: a leaked unit key still opened a
/// link to its county station. The centre sends the list it checks against to every node whenever it changes
/// (at start and at each reload); each node installs it — after checking it is signed by an authority of its own
/// `ca.crt` and not older than its own list — and reloads, cutting any link made with a revoked certificate.
extension TicketService {
    /// Meta key: the SHA-256 of the list last queued to every node (the centre).
    static let revocationListSentKey = "revocation-list.sent"

    /// At the centre: queues `list` to every other node of the topology unless this very list was queued before.
    /// Durable like any message: a node down or cut off gets it when its link comes back.
    func distributeRevocationList(_ list: TLSContext.RevocationList, now: Timestamp) throws {
        guard context.role == .city else { return }
        let bytes = [UInt8](list.content)
        let digest = SHA256.hex(bytes)
        guard try context.db.meta(Self.revocationListSentKey) != digest else { return }
        let body = try encode(RevocationListBody(crl: String(decoding: bytes, as: UTF8.self)))
        let nodes = context.topology.nodes.map(\.id).filter { $0 != context.nodeId }.sorted()
        for node in nodes { try send(.pkiCRL, body: body, to: node, now: now) }
        try context.db.setMeta(Self.revocationListSentKey, digest)
        logAfterCommit("revocation-list-sent", [("file", list.file), ("lists", "\(list.lists)"), ("nodes", "\(nodes.count)"),
                                                ("sha256", String(digest.prefix(12)))])
    }

    /// At a county station or unit: the centre's list, checked and written over `tls/crl.pem` (the one before kept as
    /// `crl.pem.previous`); the node reloads its TLS once the round has committed. A list that fails a check is
    /// refused, which tells the centre why (`notice`), and the node keeps its own.
    func installRevocationList(_ body: RevocationListBody, from origin: String) throws {
        guard !context.config.tlsCA.isEmpty, !context.config.insecure else {
            logAfterCommit("revocation-list-ignored", [("from", origin), ("detail", "this node runs without TLS (--insecure)")])
            return
        }
        let ca = URL(fileURLWithPath: context.config.tlsCA)
        let target = ca.deletingLastPathComponent().appendingPathComponent("crl.pem")
        let bytes = Array(body.crl.utf8)
        guard let authorities = FileManager.default.contents(atPath: ca.path) else {
            throw ServiceError.refused("cannot read \(ca.path) to check the revocation list against")
        }
        let source = "the revocation list from \(origin)"
        let received: RevocationListFile
        do {
            received = try RevocationListFile(pem: bytes, authorities: [UInt8](authorities), source: source)
        } catch {
            throw ServiceError.refused("\(error); this node keeps its own list")
        }
        let installed = FileManager.default.contents(atPath: target.path)
        if installed != Data(bytes) {
            // A list in place that no longer verifies (its authority replaced) is no reason to keep it.
            let current = installed.flatMap { try? RevocationListFile(pem: [UInt8]($0), authorities: [UInt8](authorities), source: target.path) }
            if let why = received.refusal(replacing: current, now: Int64(Date().timeIntervalSince1970)) {
                throw ServiceError.refused("\(source) is not installed: \(why); this node keeps its own list")
            }
            try NodeBackup.replaceFile(target, with: Data(bytes))
            logAfterCommit("revocation-list-installed", [("from", origin), ("file", target.path), ("lists", "\(received.lists.count)"),
                                                         ("sha256", String(SHA256.hex(bytes).prefix(12)))], warn: true)
        }
        // Also when the file already held it: a round taken back after writing it left the node on the old one.
        if revocationList?.content != Data(bytes) {
            afterCommit.append { [weak self] in self?.revocationListInstalled?() }
        }
    }
}
