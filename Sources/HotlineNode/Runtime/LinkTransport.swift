import HotlineNet

/// What a link needs from a connection: a TCP/TLS `Connection` in production, a simulated one in the
/// deterministic simulation (Tests/HotlineNodeTests/SimulationTests.swift).
protocol LinkTransport: AnyObject, Sendable {
    var remoteAddress: String { get }
    /// The peer's certificate identity (nil without TLS).
    var peerIdentity: PeerIdentity? { get }
    /// Queues bytes for the peer; false when the connection cannot take them (closed, or its buffer is full).
    func send(_ bytes: [UInt8]) -> Bool
    func close()
}

extension Connection: LinkTransport {}
