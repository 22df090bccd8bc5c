@preconcurrency import Glibc

/// The admin socket's framing (4-byte big-endian length + bytes) and `sockaddr_un` handling, shared by
/// `UnixSocketServer` and `UnixSocketClient`. Sockets here are non-blocking and every wait is bounded by a
/// deadline, so a stuck peer costs a timeout, never a hung thread.
enum UnixFraming {
    /// sun_path holds 108 bytes including the terminating NUL.
    static let pathLimit = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    static func address(for path: String) throws(NetError) -> sockaddr_un {
        let bytes = Array(path.utf8)
        guard bytes.count <= pathLimit else { throw NetError.unixPathTooLong(path: path, limit: pathLimit) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return address
    }

    static func withSockaddr<R>(_ address: sockaddr_un, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func writeFrame(_ fd: Int32, _ payload: [UInt8], deadline: Int64, path: String) throws(NetError) {
        let length = UInt32(payload.count)
        let bytes = [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff),
                     UInt8(length & 0xff)] + payload
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
                return Glibc.send(fd, rest.baseAddress, rest.count, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 {
                offset += count
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                if try Net.waitFor(fd, events: Int16(POLLOUT), until: deadline) == 0 {
                    throw NetError.requestTimedOut(path: path)
                }
            default: throw NetError.system(call: "send on \(path)", errno: errno)
            }
        }
    }

    static func readFrame(_ fd: Int32, cap: Int, deadline: Int64, path: String) throws(NetError) -> [UInt8] {
        let header = try readExactly(fd, count: 4, deadline: deadline, path: path)
        let length = header.reduce(0) { ($0 << 8) | Int($1) }
        guard length <= cap else {
            throw NetError.badAdminFrame("\(length) bytes is over the limit of \(cap) bytes")
        }
        return try readExactly(fd, count: length, deadline: deadline, path: path)
    }

    private static func readExactly(_ fd: Int32, count: Int, deadline: Int64, path: String) throws(NetError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let received = buffer.withUnsafeMutableBytes { raw in
                let rest = UnsafeMutableRawBufferPointer(rebasing: raw[offset...])
                return recv(fd, rest.baseAddress, rest.count, 0)
            }
            if received > 0 {
                offset += received
                continue
            }
            if received == 0 {
                throw NetError.badAdminFrame("the other side closed after \(offset) of \(count) bytes")
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                if try Net.waitFor(fd, events: Int16(POLLIN), until: deadline) == 0 {
                    throw NetError.requestTimedOut(path: path)
                }
            default: throw NetError.system(call: "recv on \(path)", errno: errno)
            }
        }
        return buffer
    }
}
