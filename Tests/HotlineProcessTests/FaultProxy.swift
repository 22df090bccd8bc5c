import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on loopback between a child node and its parent that can cut the link: `cut()` breaks every
/// connection through it and refuses new ones until `restore()`. Bytes pass unchanged (TLS end to end).
final class FaultProxy: @unchecked Sendable {
    let port: Int
    let target: Int
    private let listenFd: Int32
    // `lock` guards `isCut`, `connections` and `stopped`.
    private let lock = NSLock()
    private var isCut = false
    private var stopped = false
    private var connections: [Int32] = []

    init(target: Int) throws {
        self.target = target
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError.commandFailed("proxy socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw HarnessError.commandFailed("proxy bind/listen: errno \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
        listenFd = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func cut() {
        lock.withLock {
            isCut = true
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    func restore() { lock.withLock { isCut = false } }

    func stop() {
        lock.withLock { stopped = true }
        cut()
        shutdown(listenFd, Int32(SHUT_RDWR))
        close(listenFd)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listenFd, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                if errno == EINTR { continue }
                return
            }
            if lock.withLock({ isCut || stopped }) { close(client); continue }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(target).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard ok == 0 else { close(client); close(upstream); continue }
            lock.withLock { connections += [client, upstream] }
            let done = DispatchGroup()
            for (from, to) in [(client, upstream), (upstream, client)] {
                done.enter()
                Thread.detachNewThread { [self] in
                    pump(from, to)
                    done.leave()
                }
            }
            Thread.detachNewThread { [self] in
                done.wait()
                lock.withLock { connections.removeAll { $0 == client || $0 == upstream } }
                close(client)
                close(upstream)
            }
        }
    }

    /// Copies until either side ends, then ends both directions.
    private func pump(_ from: Int32, _ to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let m = buffer.withUnsafeBytes { send(to, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                if m < 0 && errno == EINTR { continue }
                if m <= 0 { sent = -1; break }
                sent += m
            }
            if sent < 0 { break }
        }
        shutdown(from, Int32(SHUT_RDWR))
        shutdown(to, Int32(SHUT_RDWR))
    }
}
