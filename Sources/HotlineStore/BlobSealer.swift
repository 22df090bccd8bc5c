/// Encrypts blobs before they are written and decrypts them after they are read, so that a copied database file
/// reveals no personal data. The store only calls it; the node supplies the keys and the cipher. `label` binds a
/// blob to its place (e.g. "outbox:k:17"), so a blob moved to another row does not decrypt.
public protocol BlobSealer: AnyObject {
    func seal(_ plaintext: [UInt8], label: String) throws -> [UInt8]
    func open(_ blob: [UInt8], label: String) throws -> [UInt8]
}
