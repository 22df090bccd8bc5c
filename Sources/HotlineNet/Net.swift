@preconcurrency import Glibc

/// Process-wide helpers for the socket layer: signals, errno text, the monotonic clock and the
/// EINTR-retrying wrapper every system call in this module goes through (the swift-nio `SystemCallHelpers` idea:
/// one place turns `-1` + `errno` into a typed `NetError`).
public enum Net {
    /// Ignore SIGPIPE for the whole process. `SSL_write` cannot pass MSG_NOSIGNAL, so without this a peer that
    /// vanishes mid-write would kill the daemon. Call once at start; calling again is harmless.
    public static func ignoreSigpipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Milliseconds from a monotonic clock: immune to wall-clock steps, so heartbeats never fire in bursts.
    public static func monotonicMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    /// Runs `body` until it does not fail with EINTR; throws `NetError.system` for any other failure.
    @discardableResult
    static func syscall<T: BinaryInteger>(_ name: String, _ body: () -> T) throws(NetError) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw NetError.system(call: name, errno: code)
        }
    }

    static func setNonBlocking(_ fd: Int32) throws(NetError) {
        let flags = try syscall("fcntl(F_GETFL)") { fcntl(fd, F_GETFL) }
        try syscall("fcntl(F_SETFL)") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Waits with poll() until `events` are ready on `fd` or `deadline` (monotonic ms) passes.
    /// Returns the revents, or 0 on timeout.
    static func waitFor(_ fd: Int32, events: Int16, until deadline: Int64) throws(NetError) -> Int16 {
        while true {
            let remaining = deadline - monotonicMilliseconds()
            if remaining <= 0 { return 0 }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining, Int64(Int32.max))))
            if ready < 0 {
                if errno == EINTR { continue }
                throw NetError.system(call: "poll", errno: errno)
            }
            if ready > 0 { return pfd.revents }
        }
    }
}

/// A non-blocking pipe used to wake a thread blocked in poll(): `send` and `close` on other threads write a byte.
/// (Glibc's module does not export eventfd, and a pipe does the same job.)
final class WakeSignal: @unchecked Sendable {
    // Safe to share: pipe reads and writes are atomic in the kernel; both fds are closed only by the owner thread
    // after every user has stopped (see Connection/TCPListener teardown).
    let fd: Int32
    private let writeEnd: Int32

    init() throws(NetError) {
        var ends: [Int32] = [-1, -1]
        try Net.syscall("pipe") { pipe(&ends) }
        fd = ends[0]
        writeEnd = ends[1]
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
    }

    func signal() {
        var one: UInt8 = 1
        // A full pipe already means "wake up": EAGAIN is fine to ignore.
        _ = write(writeEnd, &one, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(fd, &buffer, buffer.count) > 0 {}
    }

    /// Blocks until `listening` has a connection to accept or the signal fires (draining it). Returns whether
    /// `listening` is readable; throws when poll itself fails (EINTR is retried by returning false).
    func waitForAccept(on listening: Int32) throws(NetError) -> Bool {
        var fds = [pollfd(fd: listening, events: Int16(POLLIN), revents: 0), pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 2, -1) < 0 {
            if errno == EINTR { return false }
            throw NetError.system(call: "poll", errno: errno)
        }
        if fds[1].revents != 0 { drain() }
        return fds[0].revents != 0
    }

    func closeDescriptor() {
        Glibc.close(fd)
        Glibc.close(writeEnd)
    }
}
