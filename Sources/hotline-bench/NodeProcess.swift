import Foundation
@preconcurrency import Glibc

/// One running node (`hotline-<role> serve`), its log followed line by line as it is written. Nodes write a
/// line for each stored fact after the commit that made it durable (`ticket-assigned`, `event`), so the time a
/// line arrives here is an upper bound of the time the fact became durable at that node.
final class NodeProcess: @unchecked Sendable {
    /// A log line: its event name, its fields, and when the bench read it (monotonic seconds).
    struct Line {
        let event: String
        let fields: [String: String]
        let at: Double
    }

    let id: String
    let process = Process()
    /// Its entry in `Interrupt`: killed if the bench is interrupted while it runs.
    private var interrupt = 0
    /// Monotonic seconds when the process was started.
    let startedAt: Double
    // `lock` guards the fields below.
    private let lock = NSLock()
    private var seen: [String: Line] = [:]
    private var tail: [String] = []
    private var waiters: [(String, DispatchSemaphore)] = []
    private var handler: ((Line) -> Void)?

    init(id: String, executable: URL, data: URL) throws {
        self.id = id
        process.executableURL = executable
        process.arguments = ["serve", "--data", data.path]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        startedAt = Clock.now()
        try process.run()
        let process = self.process
        interrupt = Interrupt.onInterrupt { if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) } }
        let handle = err.fileHandleForReading
        let thread = Thread { [self] in follow(handle) }
        thread.name = "bench-log-\(id)"
        thread.start()
    }

    var pid: Int32 { process.processIdentifier }

    /// Receives every line from now on (on the log thread).
    func onLine(_ handler: @escaping (Line) -> Void) { lock.withLock { self.handler = handler } }

    /// The first line with this event name (waiting for it up to `timeout`).
    func waitFor(event: String, timeout: TimeInterval) -> Line? {
        let signal = DispatchSemaphore(value: 0)
        if let line = lock.withLock({ () -> Line? in
            if let line = seen[event] { return line }
            waiters.append((event, signal))
            return nil
        }) { return line }
        guard signal.wait(timeout: .now() + timeout) == .success else { return nil }
        return lock.withLock { seen[event] }
    }

    func logTail() -> String { lock.withLock { tail.suffix(20).joined(separator: "\n") } }

    /// Resident memory now, its peak so far, and the part of it that is the process's own (not pages of shared
    /// libraries, which every node on the machine shares), in bytes: /proc/PID/status VmRSS, VmHWM, RssAnon.
    func memory() -> (rss: Int, peak: Int, anon: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0, 0) }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"), field("RssAnon"))
    }

    /// Whether the Swift runtime is mapped from its shared libraries (a build without `--static-swift-stdlib`, as
    /// `swift build -c release` and the demo make): their resident pages then count in the node's memory, some 6 MB
    /// more than a server's build.
    var swiftRuntimeShared: Bool {
        // Read to the end: Foundation's file reading stops after the first 4 KB of a /proc file, which reports no size.
        guard let file = fopen("/proc/\(pid)/maps", "r") else { return false }
        defer { fclose(file) }
        var text: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65_536)
        while case let n = fread(&buffer, 1, buffer.count, file), n > 0 { text += buffer[0..<n] }
        return String(decoding: text, as: UTF8.self).contains("libswiftCore.so")
    }

    /// CPU time the process has used so far (user + system, every thread), in seconds: /proc/PID/stat fields 14
    /// and 15, in clock ticks. What a ticket costs the nodes: it moves much less than a rate or a latency with
    /// what else the machine is doing, though not nothing (6.9 to 9.0 ms a whole ticket for one build, one day).
    func cpuSeconds() -> Double { Self.cpuSeconds(pid: pid) }

    /// The same of any process of the bench's (the storage-off receiver).
    static func cpuSeconds(pid: Int32) -> Double {
        (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)).flatMap { parse(stat: $0)?.seconds } ?? 0
    }

    /// The name and the user + system seconds in the text of a `stat` file (a process's or a thread's).
    private static func parse(stat text: String) -> (name: Substring, seconds: Double)? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm) ": field 3 (state) is the first; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (text[text.index(after: open)..<close], (user + system) / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// CPU time of each kind of thread so far, in seconds: `/proc/PID/task/*/stat`, by the names the node gives its
    /// threads (`NamedThread`: `work-loop`, `conn-17`, `admin-client`…), numbered ones under their kind (`conn`).
    /// A thread that has ended is in `cpuSeconds()` but no longer here. The time is each thread's `schedstat` (its
    /// nanoseconds on a CPU) where the kernel keeps it: `stat` counts whole clock ticks, and a thread's share of a
    /// tick is lost, which over the centre's 64 threads serving operators came to a tenth of its CPU in the
    /// lifecycle scenario, shown as "other".
    func cpuSecondsByThread() -> [String: Double] {
        let tasks = "/proc/\(pid)/task"
        guard let ids = try? FileManager.default.contentsOfDirectory(atPath: tasks) else { return [:] }
        var byKind: [String: Double] = [:]
        for id in ids {
            guard let text = try? String(contentsOfFile: "\(tasks)/\(id)/stat", encoding: .utf8),
                  let (name, ticks) = Self.parse(stat: text) else { continue }
            let seconds = (try? String(contentsOfFile: "\(tasks)/\(id)/schedstat", encoding: .utf8))
                .flatMap { $0.split(separator: " ").first.flatMap { Double($0) } }.map { $0 / 1e9 } ?? ticks
            // `conn-17` → `conn`; a name without a number stays whole.
            let kind = name.lastIndex(of: "-").map { dash in
                name[name.index(after: dash)...].allSatisfy(\.isNumber) ? String(name[..<dash]) : String(name)
            } ?? String(name)
            byKind[kind, default: 0] += seconds
        }
        return byKind
    }

    /// Bytes the process has caused to be written to storage so far (/proc/PID/io `write_bytes`): its write-ahead
    /// log, checkpoints and files; what a ticket costs the disk.
    func bytesWritten() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("write_bytes:") }) else { return 0 }
        return Int(line.split(separator: " ").last ?? "") ?? 0
    }

    /// SIGTERM (a graceful stop) or SIGKILL, then wait.
    func stop(kill: Bool = false) {
        defer { Interrupt.done(interrupt) }
        guard process.isRunning else { return }
        if kill { Glibc.kill(pid, SIGKILL) } else { process.terminate() }
        process.waitUntilExit()
    }

    private func follow(_ handle: FileHandle) {
        var buffer: [UInt8] = []
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return }
            buffer.append(contentsOf: chunk)
            var start = 0
            while let newline = buffer[start...].firstIndex(of: 10) {
                record(buffer[start..<newline])
                start = newline + 1
            }
            buffer.removeSubrange(..<start)
        }
    }

    /// Lines are split into fields only when someone will read them (a handler, or the first of its event name):
    /// a unit draining a backlog logs a line a message, and splitting each (a `Character` at a time before) was 6 %
    /// of the 2 cores the nodes measured share (perf -a, hotline-bench catchup).
    private func record(_ bytes: ArraySlice<UInt8>) {
        let at = Clock.now()
        let event = Self.field("event", in: bytes) ?? ""
        let text = String(decoding: bytes, as: UTF8.self)
        let (wanted, h) = lock.withLock { () -> (Bool, ((Line) -> Void)?) in
            tail.append(text)
            if tail.count > 200 { tail.removeFirst(100) }
            return (handler != nil || seen[event] == nil, handler)
        }
        guard wanted else { return }
        let line = Line(event: event, fields: Self.parse(bytes), at: at)
        lock.withLock {
            if seen[line.event] == nil { seen[line.event] = line }
            waiters.removeAll { waiter in
                guard waiter.0 == line.event else { return false }
                waiter.1.signal()
                return true
            }
        }
        h?(line)
    }

    /// The value of one field, without splitting the others.
    static func field(_ key: String, in bytes: ArraySlice<UInt8>) -> String? {
        let pattern = Array(" \(key)=".utf8)
        var i = bytes.startIndex
        while i + pattern.count <= bytes.endIndex {
            if bytes[i] == pattern[0], bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                var j = i + pattern.count
                return value(bytes, &j)
            }
            i += 1
        }
        return nil
    }

    /// `key=value key="quoted \"value\""` as the nodes write it (Log.swift).
    static func parse(_ bytes: ArraySlice<UInt8>) -> [String: String] {
        var out: [String: String] = [:]
        var i = bytes.startIndex
        while i < bytes.endIndex {
            while i < bytes.endIndex, bytes[i] == 0x20 { i += 1 }
            guard let eq = bytes[i...].firstIndex(of: UInt8(ascii: "=")) else { break }
            let key = String(decoding: bytes[i..<eq], as: UTF8.self)
            i = eq + 1
            out[key] = value(bytes, &i)
        }
        return out
    }

    /// The value starting at `i` (quoted, with `\"`, `\\`, `\n`, `\r` and `\t` escapes, or up to the next space); `i`
    /// moves past it.
    private static func value(_ bytes: ArraySlice<UInt8>, _ i: inout Int) -> String {
        guard i < bytes.endIndex, bytes[i] == UInt8(ascii: "\"") else {
            let end = bytes[i...].firstIndex(of: 0x20) ?? bytes.endIndex
            defer { i = end }
            return String(decoding: bytes[i..<end], as: UTF8.self)
        }
        i += 1
        var out: [UInt8] = []
        while i < bytes.endIndex {
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\\"), i < bytes.endIndex {
                let e = bytes[i]
                i += 1
                out.append(e == UInt8(ascii: "n") ? 0x0A : e == UInt8(ascii: "r") ? 0x0D : e == UInt8(ascii: "t") ? 0x09 : e)
            } else if c == UInt8(ascii: "\"") {
                break
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Monotonic seconds, for every duration the bench reports.
enum Clock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
