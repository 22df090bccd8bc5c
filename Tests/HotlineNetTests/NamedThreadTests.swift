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

    /// The kernel's name of the thread that `start` runs its job on.
    static func nameSeen(_ start: (@escaping @Sendable () -> Void) -> Void) -> String? {
        let seen = Seen()
        let done = DispatchSemaphore(value: 0)
        start {
            seen.value = kernelName()
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        return seen.value
    }

    @Test func aStartedThreadCarriesItsNameInTheKernel() {
        #expect(Self.nameSeen { NamedThread.start("work-loop", $0) } == "work-loop")
    }

    @Test func aLongNameIsCutToTheKernels15Bytes() {
        #expect(Self.nameSeen { NamedThread.start("admin-client-with-a-long-name", $0) } == "admin-client-wi")
    }

    @Test func theAdminSocketsPoolNamesItsThreads() {
        let pool = ThreadReuse(name: "admin-client", keepIdle: 1)
        #expect(Self.nameSeen { pool.run($0) } == "admin-client")
    }
}

/// What a thread saw, read after it signalled (the semaphore orders the write before the read).
private final class Seen: @unchecked Sendable {
    var value: String?
}
