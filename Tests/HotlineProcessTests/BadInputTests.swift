import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP client speaking raw bytes to a node's listener (the network runs with --insecure on loopback so
/// the test can write malformed frames itself).
final class RawClient {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else { close(fd); throw HarnessError.commandFailed("connect to \(port) failed") }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func sendFrame(_ json: String) { send(Self.frame(Array(json.utf8))) }

    static func frame(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + body
    }

    /// Reads frames until the peer closes (or 10 s pass); returns them decoded as JSON objects.
    func readUntilClosed() -> (frames: [[String: Any]], closed: Bool) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var closed = false
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { closed = true; break }
            if n < 0 { closed = errno == ECONNRESET; break }
            buffer += chunk[0..<n]
        }
        var frames: [[String: Any]] = []
        var i = 0
        while buffer.count - i >= 4 {
            let len = Int(buffer[i]) << 24 | Int(buffer[i + 1]) << 16 | Int(buffer[i + 2]) << 8 | Int(buffer[i + 3])
            guard buffer.count - i - 4 >= len else { break }
            if let o = try? JSONSerialization.jsonObject(with: Data(buffer[(i + 4)..<(i + 4 + len)])) as? [String: Any] {
                frames.append(o)
            }
            i += 4 + len
        }
        return (frames, closed)
    }
}

/// Issue 2, point 7: every kind of bad input gets an error frame with its code and a readable message, the
/// connection closes, the node keeps running, its other links are unaffected and nothing stored changes.
@Suite("Bad input from the network", .serialized)
struct BadInputTests {
    @Test func eachKindOfBadInputGetsItsErrorCodeAndTheNodeCarriesOn() throws {
        let net = try TestNetwork(name: "badinput", insecure: true)
        let id = try net.intake()
        try net.ok("t-city", "dispatch", id, "--to", "u-street")
        try net.waitStatus("u-street", id, "dispatched")
        // u-water's own link is replaced by the impostor connections below: take it down first.
        net.stop("u-water")
        let before = try net.run("t-city", "list", "--json").stdout
        let eventsBefore = net.eventTypes(at: "t-city", of: id)

        let hello = #"{"v":1,"type":"hello","id":"h1","node":"u-water","versions":[1],"lastReceived":0}"#
        let cases: [(String, [[UInt8]], String)] = [
            ("oversized length", [[0xff, 0xff, 0xff, 0xff]], "frame-too-large"),
            ("zero length", [[0, 0, 0, 0]], "zero-length"),
            ("invalid UTF-8", [RawClient.frame([0x7b, 0xff, 0xfe, 0x7d])], "invalid-utf8"),
            ("invalid JSON", [RawClient.frame(Array(#"{"v":1,"type":"hello","#.utf8))], "invalid-json"),
            ("unknown message type", [RawClient.frame(Array(#"{"v":1,"type":"gossip","id":"x"}"#.utf8))], "unknown-type"),
            ("data before hello", [RawClient.frame(Array(#"{"v":1,"type":"data","id":"d1","seq":1,"origin":"u-water","dest":"t-city","kind":"notice","body":{}}"#.utf8))], "data-before-hello"),
            ("hello from a node not in the topology", [RawClient.frame(Array(#"{"v":1,"type":"hello","id":"h1","node":"intruder","versions":[1],"lastReceived":0}"#.utf8))], "unknown-node"),
            ("hello from a node that is not a child", [RawClient.frame(Array(#"{"v":1,"type":"hello","id":"h1","node":"u-street","versions":[1],"lastReceived":0}"#.utf8))], "not-authorized"),
            ("no common protocol version", [RawClient.frame(Array(#"{"v":1,"type":"hello","id":"h1","node":"u-water","versions":[7],"lastReceived":0}"#.utf8))], "version-unsupported"),
            ("sequence number from the future", [RawClient.frame(Array(hello.utf8)),
                RawClient.frame(Array(#"{"v":1,"type":"data","id":"d9","seq":9,"origin":"u-water","dest":"t-city","kind":"notice","body":{}}"#.utf8))], "seq-from-future"),
        ]
        for (what, frames, code) in cases {
            let client = try RawClient(port: net.base)
            for f in frames { client.send(f) }
            let (received, closed) = client.readUntilClosed()
            let errors = received.filter { $0["type"] as? String == "error" }
            #expect(errors.first?["code"] as? String == code, "\(what): got \(received)")
            #expect(((errors.first?["message"] as? String) ?? "").count > 10, "\(what): the message says what went wrong")
            #expect(closed, "\(what): the node closes the connection")
        }

        // The node is alive, its other links work, and nothing it stored changed.
        #expect(try net.run("t-city", "status").status == 0)
        #expect(try net.run("t-city", "list", "--json").stdout == before)
        #expect(net.eventTypes(at: "t-city", of: id) == eventsBefore)
        try net.ok("u-street", "sign", id)
        try net.waitStatus("t-city", id, "signed")
        // The real u-water comes back and its link resumes where it stopped.
        try net.start("u-water")
        let water = try net.intake(text: "停水", topic: "供水")
        try net.ok("t-city", "dispatch", water)
        try net.waitStatus("u-water", water, "dispatched")
    }
}

extension BadInputTests {
    /// A network with a ticket dispatched to u-water; u-water stopped and a raw client speaking in its place, past
    /// its hello (it has received the assignment, seq 1).
    func waterImpersonated(_ name: String) throws -> (TestNetwork, String, RawClient) {
        let net = try TestNetwork(name: name, insecure: true)
        let id = try net.intake(text: "停水", topic: "供水")
        try net.ok("t-city", "dispatch", id, "--to", "u-water")
        try net.waitStatus("u-water", id, "dispatched")
        net.stop("u-water")
        let client = try RawClient(port: net.base)
        client.sendFrame(#"{"v":1,"type":"hello","id":"h1","node":"u-water","versions":[1],"lastReceived":1}"#)
        return (net, id, client)
    }

    /// A well-formed message that breaks a rule: refused with a non-fatal error frame naming the rule, still
    /// acknowledged, the link stays up, the ticket is unchanged.
    @Test func aUnitClosingATicketGetsANonFatalRefusalAndAnAck() throws {
        let (net, id, client) = try waterImpersonated("refusal")
        let event = #"{"id":"forged-1","ticket":"\#(id)","type":"closed","at":"2026-03-02T10:00:00+08:00","node":"u-water","role":"unit"}"#
        client.sendFrame(#"{"v":1,"type":"data","id":"d1","seq":1,"origin":"u-water","dest":"t-city","kind":"ticket.event","body":{"event":\#(event)}}"#)
        let (frames, _) = client.readUntilClosed()
        let refusal = frames.first { $0["type"] as? String == "error" }
        #expect(refusal?["code"] as? String == "not-authorized")
        #expect(refusal?["fatal"] as? Bool == false)
        let reason: String = (refusal?["message"] as? String) ?? ""
        #expect(reason.contains("closed"))
        let acked = frames.contains(where: { $0["type"] as? String == "ack" && ($0["upTo"] as? Int) == 1 })
        #expect(acked, "the refused message is acknowledged")
        #expect(net.status(at: "t-city", of: id) == "dispatched")
        #expect(!net.eventTypes(at: "t-city", of: id).contains("closed"))
    }

    /// A message kind this release does not know (one a later release added) is refused like a message that breaks
    /// a rule: a non-fatal `unknown-kind`, acknowledged, the link kept and the next message taken. Fatal, it dropped
    /// the link, and the sender offered the same message at every reconnection: nothing after it ever passed.
    @Test func aMessageKindOfALaterReleaseIsRefusedAndAcknowledgedAndTheLinkGoesOn() throws {
        let (net, id, client) = try waterImpersonated("unknown-kind")
        client.sendFrame(#"{"v":1,"type":"data","id":"d1","seq":1,"origin":"u-water","dest":"t-city","kind":"weather.report","body":{"rain":true}}"#)
        let event = #"{"id":"sign-1","ticket":"\#(id)","type":"signed","at":"2026-03-02T09:05:00+08:00","node":"u-water","role":"unit","onTime":true}"#
        client.sendFrame(#"{"v":1,"type":"data","id":"d2","seq":2,"origin":"u-water","dest":"t-city","kind":"ticket.event","body":{"event":\#(event)}}"#)
        try net.waitStatus("t-city", id, "signed")
        let (frames, _) = client.readUntilClosed()
        let error = frames.first { $0["type"] as? String == "error" }
        #expect(error?["code"] as? String == "unknown-kind" && error?["fatal"] as? Bool == false, "\(frames)")
        #expect(((error?["message"] as? String) ?? "").contains("weather.report"))
        #expect(frames.contains { $0["type"] as? String == "ack" && ($0["upTo"] as? Int) == 2 }, "\(frames)")
        let log = (try? String(contentsOf: net.harness.dir.appendingPathComponent("t-city.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("event=message-refused") && log.contains("kind=weather.report"))
    }
}

/// Issue 5: a node's identity is its certificate; a hello that names another node is refused.
@Suite("Identity of peers", .serialized)
struct IdentityTests {
    @Test func aUnitsCertificateDiallingAsAnotherUnitIsRefusedAndLogged() throws {
        let net = try TestNetwork(name: "impostor", start: false)
        for id in ["t-city", "t-county", "u-street"] { try net.start(id) }
        // u-street2's data directory, but with u-street's certificate and key: an impostor.
        let tls = URL(fileURLWithPath: net.harness.dataDir("u-street2")).appendingPathComponent("tls")
        let real = URL(fileURLWithPath: net.harness.dataDir("u-street")).appendingPathComponent("tls")
        for f in ["node.crt", "node.key"] {
            try FileManager.default.removeItem(at: tls.appendingPathComponent(f))
            try FileManager.default.copyItem(at: real.appendingPathComponent(f), to: tls.appendingPathComponent(f))
        }
        try net.start("u-street2")
        let countyLog = net.harness.dir.appendingPathComponent("t-county.log")
        try ProcessHarness.eventually("the county to refuse the impostor") {
            let log = (try? String(contentsOf: countyLog, encoding: .utf8)) ?? ""
            return log.contains("event=link-refused") && log.contains("u-street2")
        }
        let status = try net.run("t-county", "status", "--json")
        let links = status.object["links"] as? [[String: Any]] ?? []
        #expect(links.first { $0["peer"] as? String == "u-street2" }?["up"] as? Bool == false)
        #expect(links.first { $0["peer"] as? String == "u-street" }?["up"] as? Bool == true)
        // The genuine unit still works.
        let id = try net.intake()
        try net.ok("t-city", "dispatch", id, "--to", "u-street")
        try net.waitStatus("u-street", id, "dispatched")
    }

    @Test func plaintextLinksAreAnnouncedLoudly() throws {
        let net = try TestNetwork(name: "plain", start: false, insecure: true)
        try net.start("t-city")
        let log = try String(contentsOf: net.harness.dir.appendingPathComponent("t-city.log"), encoding: .utf8)
        #expect(log.contains("level=warn") && log.contains("PLAINTEXT-LINKS"))
    }
}
