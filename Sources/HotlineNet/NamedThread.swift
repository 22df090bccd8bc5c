import Foundation
@preconcurrency import Glibc

/// Threads named for the kernel too. Foundation on Linux keeps a name given before `start()` to itself, so every
/// thread of a node showed as `hotline-unit` in `top -H`, `ps -L`, `/proc/PID/task/*/comm` and profiles; an
/// operator could not tell the work loop from a link or an admin client. The name reaches the kernel from the
/// thread itself, at most 15 bytes (its limit): keep names short and ASCII.
public enum NamedThread {
    @discardableResult
    public static func start(_ name: String, stackSize: Int = 0, _ body: @escaping @Sendable () -> Void) -> Thread {
        let thread = Thread {
            nameCurrent(name)
            body()
        }
        thread.name = name
        if stackSize > 0 { thread.stackSize = stackSize }
        thread.start()
        return thread
    }

    /// Names the calling thread for the kernel (the first 15 bytes of `name`), through `/proc/thread-self/comm`
    /// (what `pthread_setname_np` does for another thread; Swift's Glibc module does not declare it). Best effort:
    /// a thread whose name cannot be set works the same.
    public static func nameCurrent(_ name: String) {
        let bytes = Array(name.utf8.prefix(15))
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}
