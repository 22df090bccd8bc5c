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

    /// CPU time the process has used so far (user + system, every thread), in seconds: /proc/PID/stat fields 14
    /// and 15, in clock ticks. What a ticket costs the nodes: it moves much less than a rate or a latency with
    /// what else the machine is doing, though not nothing (6.9 to 9.0 ms a whole ticket for one build, one day).
    func cpuSeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        // After "pid (comm) ": field 3 (state) is the first; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
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
            while let newline = buffer.firstIndex(of: 10) {
                let text = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                record(text)
            }
        }
    }

    private func record(_ text: String) {
        let fields = Self.parse(text)
        let line = Line(event: fields["event"] ?? "", fields: fields, at: Clock.now())
        let h: ((Line) -> Void)? = lock.withLock {
            tail.append(text)
            if tail.count > 200 { tail.removeFirst(100) }
            if seen[line.event] == nil { seen[line.event] = line }
            waiters.removeAll { waiter in
                guard waiter.0 == line.event else { return false }
                waiter.1.signal()
                return true
            }
            return handler
        }
        h?(line)
    }

    /// `key=value key="quoted \"value\""` as the nodes write it (Log.swift).
    static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var chars = Substring(text)
        while !chars.isEmpty {
            chars = chars.drop { $0 == " " }
            guard let eq = chars.firstIndex(of: "=") else { break }
            let key = String(chars[..<eq])
            chars = chars[chars.index(after: eq)...]
            var value = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                var escaped = false
                while let c = chars.first {
                    chars = chars.dropFirst()
                    if escaped { value.append(c == "n" ? "\n" : c == "t" ? "\t" : c); escaped = false; continue }
                    if c == "\\" { escaped = true; continue }
                    if c == "\"" { break }
                    value.append(c)
                }
            } else {
                let end = chars.firstIndex(of: " ") ?? chars.endIndex
                value = String(chars[..<end])
                chars = chars[end...]
            }
            out[key] = value
        }
        return out
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
