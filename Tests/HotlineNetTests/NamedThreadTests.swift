import Foundation
import Testing
@testable import HotlineNet

/// Operators and profilers see each thread of a node by its name (`top -H`, `ps -L`, /proc), not all as the
/// process's name: the kernel must hold the name, not only Foundation.
struct NamedThreadTests {
    /// The kernel's name of the calling thread (`/proc/thread-self/comm`, without its newline).
    static func kernelName() -> String? {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
    }

    @Test func aStartedThreadCarriesItsNameInTheKernel() {
        let seen = Seen()
        let done = DispatchSemaphore(value: 0)
        NamedThread.start("work-loop") {
            seen.value = Self.kernelName()
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(seen.value == "work-loop")
    }

    @Test func aLongNameIsCutToTheKernels15Bytes() {
        let seen = Seen()
        let done = DispatchSemaphore(value: 0)
        NamedThread.start("admin-client-with-a-long-name") {
            seen.value = Self.kernelName()
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(seen.value == "admin-client-wi")
    }

    @Test func theAdminSocketsPoolNamesItsThreads() {
        let pool = ThreadReuse(name: "admin-client", keepIdle: 1)
        let seen = Seen()
        let done = DispatchSemaphore(value: 0)
        pool.run {
            seen.value = Self.kernelName()
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(seen.value == "admin-client")
    }
}

/// What a thread saw, read after it signalled (the semaphore orders the write before the read).
private final class Seen: @unchecked Sendable {
    var value: String?
}
