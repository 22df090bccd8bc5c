@preconcurrency import Glibc

/// The operator side of the admin socket: one framed request, one framed response.
public enum UnixSocketClient {
    /// Sends `bytes` to the daemon listening on `path` and returns its response. The whole exchange, including
    /// the daemon's work, must finish within `timeoutMilliseconds`.
    public static func request(path: String, bytes: [UInt8], timeoutMilliseconds: Int64 = 30_000,
                               maxResponseBytes: Int = 64 << 20) throws(NetError) -> [UInt8] {
        let address = try UnixFraming.address(for: path)
        let deadline = Net.monotonicMilliseconds() + timeoutMilliseconds
        let fd = try Net.syscall("socket(AF_UNIX)") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        defer { Glibc.close(fd) }
        // A Unix-domain connect completes or fails at once (EAGAIN only when the backlog is full), so it runs
        // blocking; the exchange afterwards is non-blocking with the deadline.
        while UnixFraming.withSockaddr(address, { Glibc.connect(fd, $0, $1) }) != 0 {
            switch errno {
            case EINTR: continue
            case ENOENT, ECONNREFUSED:
                throw NetError.noDaemonRunning(directory: UnixFraming.directory(of: path))
            case EACCES, EPERM:
                throw NetError.permissionDenied(path: path)
            default:
                throw NetError.system(call: "connect to \(path)", errno: errno)
            }
        }
        try Net.setNonBlocking(fd)
        try UnixFraming.writeFrame(fd, bytes, deadline: deadline, path: path)
        return try UnixFraming.readFrame(fd, cap: maxResponseBytes, deadline: deadline, path: path)
    }
}
