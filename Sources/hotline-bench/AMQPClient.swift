import Foundation
import Glibc

/// Everything that can go wrong talking AMQP 0-9-1 to the peer broker; each case carries
/// enough text to act on without a debugger, because the benchmark runs unattended.
enum AMQPError: Error, CustomStringConvertible {
    case socket(String)
    case closedByPeer(String)
    case protocolViolation(String)
    case brokerClosed(code: UInt16, text: String, classID: UInt16, methodID: UInt16)
    case nacked(deliveryTag: UInt64)

    var description: String {
        switch self {
        case .socket(let text): return "AMQP socket error: \(text)"
        case .closedByPeer(let text): return "AMQP peer closed the connection: \(text)"
        case .protocolViolation(let text): return "AMQP protocol error: \(text)"
        case .brokerClosed(let code, let text, let classID, let methodID):
            return "broker closed the channel or connection: \(code) \(text) (method \(classID).\(methodID))"
        case .nacked(let tag): return "broker nacked published message \(tag) (it was not persisted)"
        }
    }
}

/// Appends AMQP's big-endian fields; methods and frames are built into one buffer so that
/// many frames leave in a single `send`.
struct AMQPWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    mutating func u32(_ v: UInt32) { for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((v >> UInt32(shift)) & 0xff)) } }
    mutating func u64(_ v: UInt64) { for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(shift)) & 0xff)) } }
    /// Short strings are capped at 255 bytes by the protocol; our names are constants well under it.
    mutating func shortString(_ s: String) { let utf8 = Array(s.utf8.prefix(255)); u8(UInt8(utf8.count)); bytes += utf8 }
    mutating func longString(_ data: [UInt8]) { u32(UInt32(data.count)); bytes += data }
    /// A field table of string values only: all this client ever sends (client properties).
    mutating func table(_ entries: [(String, String)]) {
        var inner = AMQPWriter()
        for (key, value) in entries { inner.shortString(key); inner.u8(UInt8(ascii: "S")); inner.longString(Array(value.utf8)) }
        longString(inner.bytes)
    }
}

/// Reads AMQP fields from a received frame payload; every read is bounds-checked because the
/// bytes come from the network.
struct AMQPReader {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, bytes.count - index >= n else {
            throw AMQPError.protocolViolation("field runs past the end of a \(bytes.count)-byte frame")
        }
        defer { index += n }
        return bytes[index..<index + n]
    }
    mutating func u8() throws -> UInt8 { try take(1).first ?? 0 }
    mutating func u16() throws -> UInt16 { try take(2).reduce(0) { $0 << 8 | UInt16($1) } }
    mutating func u32() throws -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() throws -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
    mutating func shortString() throws -> String { String(decoding: try take(Int(try u8())), as: UTF8.self) }
    mutating func longBytes() throws -> ArraySlice<UInt8> { try take(Int(try u32())) }

    /// The top-level string values of a field table (e.g. the server's product and version);
    /// other values are skipped by their encoded sizes.
    mutating func stringTable() throws -> [String: String] {
        var inner = AMQPReader(Array(try longBytes()))
        var strings: [String: String] = [:]
        while inner.index < inner.bytes.count {
            let key = try inner.shortString()
            let type = try inner.u8()
            switch type {
            case UInt8(ascii: "S"): strings[key] = String(decoding: try inner.longBytes(), as: UTF8.self)
            case UInt8(ascii: "x"), UInt8(ascii: "A"), UInt8(ascii: "F"): _ = try inner.longBytes()
            case UInt8(ascii: "t"), UInt8(ascii: "b"), UInt8(ascii: "B"): _ = try inner.take(1)
            case UInt8(ascii: "s"), UInt8(ascii: "u"): _ = try inner.take(2)
            case UInt8(ascii: "I"), UInt8(ascii: "i"), UInt8(ascii: "f"): _ = try inner.take(4)
            case UInt8(ascii: "l"), UInt8(ascii: "d"), UInt8(ascii: "T"): _ = try inner.take(8)
            case UInt8(ascii: "D"): _ = try inner.take(5)
            case UInt8(ascii: "V"): break
            default: throw AMQPError.protocolViolation("unknown field-table type \(type) for key \(key)")
            }
        }
        return strings
    }
}

/// One AMQP frame as received: type 1 method, 2 content header, 3 body, 8 heartbeat.
struct AMQPFrame {
    let type: UInt8
    let channel: UInt16
    let payload: [UInt8]
}

/// A received method: class and method ids plus a reader positioned at its arguments.
struct AMQPMethod {
    let classID: UInt16
    let methodID: UInt16
    var args: AMQPReader

    func `is`(_ classID: UInt16, _ methodID: UInt16) -> Bool { self.classID == classID && self.methodID == methodID }
}

/// A blocking AMQP 0-9-1 connection over a plain TCP socket: just the methods the durable-hop
/// benchmark needs. Not thread-safe; each benchmark thread owns its own connection.
final class AMQPConnection {
    static let frameEnd: UInt8 = 0xCE
    let fd: Int32
    private(set) var frameMax = 131_072
    private(set) var serverProperties: [String: String] = [:]
    private var inbox: [UInt8] = []
    private var inboxStart = 0
    /// Frames queued by `enqueue…` and sent by `flush`, so a window of publishes costs few syscalls.
    private(set) var outbox = AMQPWriter()

    /// Connects and completes the handshake (PLAIN login, frame_max 131072, no heartbeats).
    /// `timeout` bounds every later blocking receive, so a silent broker surfaces as an error.
    init(port: UInt16, user: String, password: String, timeout: Double) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw AMQPError.socket("socket(): \(String(cString: strerror(errno)))") }
        do {
            try connectAndHandshake(port: port, user: user, password: password, timeout: timeout)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    deinit { Glibc.close(fd) }

    private func connectAndHandshake(port: UInt16, user: String, password: String, timeout: Double) throws {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw AMQPError.socket("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }

        outbox.bytes += Array("AMQP".utf8) + [0, 0, 9, 1]
        try flush()
        var start = try expectMethod(10, 10, "Connection.Start")
        _ = try start.args.u8(); _ = try start.args.u8()
        serverProperties = try start.args.stringTable()
        let mechanisms = String(decoding: try start.args.longBytes(), as: UTF8.self)
        guard mechanisms.split(separator: " ").contains("PLAIN") else {
            throw AMQPError.protocolViolation("broker offers no PLAIN login (mechanisms: \(mechanisms))")
        }
        try sendMethod(channel: 0, 10, 11) { w in
            w.table([("product", "hotline-bench"), ("platform", "Swift")])
            w.shortString("PLAIN")
            w.longString([0] + Array(user.utf8) + [0] + Array(password.utf8))
            w.shortString("en_US")
        }
        var tune = try expectMethod(10, 30, "Connection.Tune (a refused login closes the socket here)")
        let channelMax = try tune.args.u16()
        let serverFrameMax = Int(try tune.args.u32())
        if serverFrameMax > 0 { frameMax = min(frameMax, serverFrameMax) }
        try sendMethod(channel: 0, 10, 31) { w in w.u16(channelMax); w.u32(UInt32(self.frameMax)); w.u16(0) }
        try sendMethod(channel: 0, 10, 40) { w in w.shortString("/"); w.shortString(""); w.u8(0) }
        _ = try expectMethod(10, 41, "Connection.Open-Ok")
    }

    // MARK: Frames

    /// Queues one method frame; `build` writes the arguments after the class and method ids.
    func enqueueMethod(channel: UInt16, _ classID: UInt16, _ methodID: UInt16, _ build: (inout AMQPWriter) -> Void) {
        var payload = AMQPWriter()
        payload.u16(classID); payload.u16(methodID)
        build(&payload)
        enqueueFrame(type: 1, channel: channel, payload.bytes[...])
    }

    func enqueueFrame(type: UInt8, channel: UInt16, _ payload: ArraySlice<UInt8>) {
        outbox.u8(type); outbox.u16(channel); outbox.u32(UInt32(payload.count))
        outbox.bytes += payload
        outbox.u8(Self.frameEnd)
    }

    /// Queues Basic.Publish to the default exchange, its content header (persistent, JSON) and
    /// the body split to the negotiated frame size.
    func enqueuePublish(channel: UInt16, routingKey: String, body: [UInt8]) {
        enqueueMethod(channel: channel, 60, 40) { w in w.u16(0); w.shortString(""); w.shortString(routingKey); w.u8(0) }
        var header = AMQPWriter()
        header.u16(60); header.u16(0); header.u64(UInt64(body.count))
        header.u16(0x8000 | 0x1000)           // content-type and delivery-mode present
        header.shortString("application/json")
        header.u8(2)                          // delivery-mode 2: persistent
        enqueueFrame(type: 2, channel: channel, header.bytes[...])
        let chunk = frameMax - 8
        var offset = 0
        while offset < body.count {
            let end = min(offset + chunk, body.count)
            enqueueFrame(type: 3, channel: channel, body[offset..<end])
            offset = end
        }
    }

    func sendMethod(channel: UInt16, _ classID: UInt16, _ methodID: UInt16, _ build: (inout AMQPWriter) -> Void) throws {
        enqueueMethod(channel: channel, classID, methodID, build)
        try flush()
    }

    /// Sends everything queued, looping over partial sends.
    func flush() throws {
        var sent = 0
        let total = outbox.bytes.count
        try outbox.bytes.withUnsafeBytes { raw in
            while sent < total {
                let n = Glibc.send(fd, raw.baseAddress.map { $0 + sent }, total - sent, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw AMQPError.socket("send: \(String(cString: strerror(errno)))")
                }
                sent += n
            }
        }
        outbox.bytes.removeAll(keepingCapacity: true)
    }

    /// True when a whole frame is already buffered, so reading it will not block; lets callers
    /// flush their pending acks only when they are about to wait.
    var hasBufferedFrame: Bool {
        guard let size = bufferedFrameSize else { return false }
        return inbox.count - inboxStart >= 8 + size
    }

    /// The payload size of the frame at the head of the buffer, once its header has arrived.
    private var bufferedFrameSize: Int? {
        guard inbox.count - inboxStart >= 7 else { return nil }
        return inbox[inboxStart + 3...inboxStart + 6].reduce(0) { $0 << 8 | Int($1) }
    }

    /// Reads one frame, receiving more bytes as needed (partial reads are kept in `inbox`).
    func readFrame() throws -> AMQPFrame {
        while !hasBufferedFrame {
            // Checked before buffering the payload, so a corrupt size cannot make us wait for gigabytes.
            if let size = bufferedFrameSize, size > frameMax {
                throw AMQPError.protocolViolation("frame of \(size) bytes exceeds frame_max \(frameMax)")
            }
            try receiveMore()
        }
        let type = inbox[inboxStart]
        let channel = UInt16(inbox[inboxStart + 1]) << 8 | UInt16(inbox[inboxStart + 2])
        let size = bufferedFrameSize ?? 0
        let payload = Array(inbox[inboxStart + 7..<inboxStart + 7 + size])
        guard inbox[inboxStart + 7 + size] == Self.frameEnd else { throw AMQPError.protocolViolation("frame does not end with 0xCE") }
        inboxStart += 8 + size
        return AMQPFrame(type: type, channel: channel, payload: payload)
    }

    private func receiveMore() throws {
        if inboxStart > 0 && inboxStart * 2 >= inbox.count {
            inbox.removeFirst(inboxStart)
            inboxStart = 0
        }
        let old = inbox.count
        inbox += repeatElement(0, count: 65_536)
        let n = inbox.withUnsafeMutableBytes { raw in Glibc.recv(fd, raw.baseAddress.map { $0 + old }, 65_536, 0) }
        let receiveErrno = errno
        inbox.removeLast(65_536 - max(n, 0))
        if n == 0 { throw AMQPError.closedByPeer("end of stream") }
        if n < 0 {
            if receiveErrno == EINTR { return }
            if receiveErrno == EAGAIN || receiveErrno == EWOULDBLOCK { throw AMQPError.socket("receive timed out") }
            throw AMQPError.socket("recv: \(String(cString: strerror(receiveErrno)))")
        }
    }

    /// Reads the next method, skipping heartbeats; a Close from the broker becomes an error
    /// carrying its reply code and text.
    func readMethod() throws -> AMQPMethod {
        while true {
            let frame = try readFrame()
            if frame.type == 8 { continue }
            guard frame.type == 1 else { throw AMQPError.protocolViolation("expected a method frame, got type \(frame.type)") }
            return try method(from: frame)
        }
    }

    func method(from frame: AMQPFrame) throws -> AMQPMethod {
        var reader = AMQPReader(frame.payload)
        let method = AMQPMethod(classID: try reader.u16(), methodID: try reader.u16(), args: reader)
        if method.is(10, 50) || method.is(20, 40) {
            var args = method.args
            throw AMQPError.brokerClosed(code: try args.u16(), text: try args.shortString(), classID: try args.u16(), methodID: try args.u16())
        }
        return method
    }

    func expectMethod(_ classID: UInt16, _ methodID: UInt16, _ name: String) throws -> AMQPMethod {
        let method = try readMethod()
        guard method.is(classID, methodID) else {
            throw AMQPError.protocolViolation("expected \(name) (\(classID).\(methodID)), got \(method.classID).\(method.methodID)")
        }
        return method
    }

    // MARK: Methods

    func openChannel(_ channel: UInt16) throws {
        try sendMethod(channel: channel, 20, 10) { w in w.shortString("") }
        _ = try expectMethod(20, 11, "Channel.Open-Ok")
    }

    /// Declares a durable, non-exclusive, non-auto-delete queue: it survives a broker restart.
    func declareDurableQueue(channel: UInt16, name: String) throws {
        try sendMethod(channel: channel, 50, 10) { w in w.u16(0); w.shortString(name); w.u8(0b0000_0010); w.table([]) }
        _ = try expectMethod(50, 11, "Queue.Declare-Ok")
    }

    func deleteQueue(channel: UInt16, name: String) throws {
        try sendMethod(channel: channel, 50, 40) { w in w.u16(0); w.shortString(name); w.u8(0) }
        _ = try expectMethod(50, 41, "Queue.Delete-Ok")
    }

    func confirmSelect(channel: UInt16) throws {
        try sendMethod(channel: channel, 85, 10) { w in w.u8(0) }
        _ = try expectMethod(85, 11, "Confirm.Select-Ok")
    }

    func qos(channel: UInt16, prefetch: UInt16) throws {
        try sendMethod(channel: channel, 60, 10) { w in w.u32(0); w.u16(prefetch); w.u8(0) }
        _ = try expectMethod(60, 11, "Basic.Qos-Ok")
    }

    /// Starts a consumer with manual acks (no-ack false), so the broker keeps each message until we ack it.
    func consume(channel: UInt16, queue: String, tag: String) throws {
        try sendMethod(channel: channel, 60, 20) { w in w.u16(0); w.shortString(queue); w.shortString(tag); w.u8(0); w.table([]) }
        _ = try expectMethod(60, 21, "Basic.Consume-Ok")
    }

    func enqueueAck(channel: UInt16, deliveryTag: UInt64, multiple: Bool) {
        enqueueMethod(channel: channel, 60, 80) { w in w.u64(deliveryTag); w.u8(multiple ? 1 : 0) }
    }

    /// Closes a channel politely, so the broker logs no abrupt disconnect.
    func closeChannel(_ channel: UInt16) throws {
        try sendMethod(channel: channel, 20, 40) { w in w.u16(200); w.shortString("bye"); w.u16(0); w.u16(0) }
        // Frames already in flight on the channel may precede Close-Ok; the protocol says to drop them.
        while true {
            let frame = try readFrame()
            if frame.type == 1, try method(from: frame).is(20, 41) { break }
        }
    }

    func closeConnection() throws {
        try sendMethod(channel: 0, 10, 50) { w in w.u16(200); w.shortString("bye"); w.u16(0); w.u16(0) }
        _ = try expectMethod(10, 51, "Connection.Close-Ok")
    }
}
