import Foundation
@preconcurrency import Glibc

/// One line per event on stderr, key=value: `ts=… level=info node=jn-city event=dispatch ticket=… to=…`.
/// Values with spaces, quotes or '=' are quoted; the line is written with one write(2), so lines never interleave.
public final class Log: @unchecked Sendable {
    // `lock` guards `node` and `sink`.
    private let lock = NSLock()
    private var _node: String
    private var sink: (@Sendable (String) -> Void)?

    public init(node: String, sink: (@Sendable (String) -> Void)? = nil) {
        _node = node
        self.sink = sink
    }

    public var node: String {
        get { lock.withLock { _node } }
        set { lock.withLock { _node = newValue } }
    }

    public func info(_ event: String, _ fields: KeyValuePairs<String, String> = [:]) { write("info", event, fields.map { ($0.key, $0.value) }) }
    public func warn(_ event: String, _ fields: KeyValuePairs<String, String> = [:]) { write("warn", event, fields.map { ($0.key, $0.value) }) }
    public func error(_ event: String, _ fields: KeyValuePairs<String, String> = [:]) { write("error", event, fields.map { ($0.key, $0.value) }) }
    /// Fields assembled at run time (kept for a line written later).
    public func info(_ event: String, _ fields: [(String, String)]) { write("info", event, fields) }

    func write(_ level: String, _ event: String, _ fields: [(String, String)]) {
        var line = "ts=\(Self.timestamp()) level=\(level) node=\(Self.quote(node)) event=\(Self.quote(event))"
        for (k, v) in fields { line += " \(k)=\(Self.quote(v))" }
        line += "\n"
        lock.lock()
        defer { lock.unlock() }
        if let sink { sink(line); return }
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    static func quote(_ v: String) -> String {
        if !v.isEmpty && !v.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" || $0 == "\t" }) { return v }
        let escaped = v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t")
        return "\"\(escaped)\""
    }

    /// Wall-clock time in China Standard Time (the log is about the machine, not the node's manual clock).
    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var secs = time_t(Int(tv.tv_sec) + 8 * 3600)
        var t = tm()
        gmtime_r(&secs, &t)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03d+08:00", Int(t.tm_year) + 1900, Int(t.tm_mon) + 1,
                      Int(t.tm_mday), Int(t.tm_hour), Int(t.tm_min), Int(t.tm_sec), Int(tv.tv_usec / 1000))
    }
}
