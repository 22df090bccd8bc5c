import Foundation
@preconcurrency import Glibc

/// One line per event on stderr, key=value: `ts=… level=info node=jn-city event=dispatch ticket=… to=…`.
/// Values with spaces, quotes or '=' are quoted; the line is written with one write(2), so lines never interleave.
public final class Log: @unchecked Sendable {
    // `lock` guards `node`, `sink` and `held`.
    private let lock = NSLock()
    private var _node: String
    private var sink: (@Sendable (String) -> Void)?
    /// Lines written during `batched`, written out together at its end; nil outside it.
    private var held: [UInt8]?

    /// The file descriptor lines go to when there is no sink: standard error (tests give a file).
    private let output: Int32

    public init(node: String, sink: (@Sendable (String) -> Void)? = nil, output: Int32 = 2) {
        _node = node
        self.sink = sink
        self.output = output
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
        if held != nil {
            held!.append(contentsOf: line.utf8)
            return
        }
        writeOut(Array(line.utf8))
    }

    /// Runs `body` and writes every line logged meanwhile (from any thread, in order) with one `write`: the work loop
    /// logs a line per message it applied after each commit, and a `write` each, plus a wake-up of whoever reads the
    /// log, was a cost per message at thousands of messages a second (hotline-bench hop: 0.6 writes a message).
    public func batched(_ body: () -> Void) {
        lock.withLock { if held == nil { held = [] } }
        body()
        lock.withLock {
            if let lines = held, !lines.isEmpty { writeOut(lines) }
            held = nil
        }
    }

    private func writeOut(_ bytes: [UInt8]) {
        var at = 0
        bytes.withUnsafeBytes { raw in
            while at < raw.count {
                let n = Glibc.write(output, raw.baseAddress! + at, raw.count - at)
                if n > 0 { at += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    /// A value as it stands in a line: bare when it has no space, quote, '=', tab or line break, else in quotes
    /// with those escaped. Checked on the UTF-8 bytes (these are all ASCII, which never occurs inside a multi-byte
    /// character): a check by `Character` missed the "\r\n" grapheme and cost more than the rest of the line.
    static func quote(_ v: String) -> String {
        func special(_ b: UInt8) -> Bool { b == 0x20 || b == 0x22 || b == 0x3D || b == 0x0A || b == 0x0D || b == 0x09 }
        if !v.isEmpty && !v.utf8.contains(where: special) { return v }
        var out: [UInt8] = [0x22]
        for b in v.utf8 {
            switch b {
            case 0x5C: out += [0x5C, 0x5C]
            case 0x22: out += [0x5C, 0x22]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            default: out.append(b)
            }
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }

    /// Wall-clock time in China Standard Time (the log is about the machine, not the node's manual clock).
    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var secs = time_t(Int(tv.tv_sec) + 8 * 3600)
        var t = tm()
        gmtime_r(&secs, &t)
        // By hand: `String(format:)` was most of the cost of a log line (perf, hotline-bench hop).
        var out: [UInt8] = []
        out.reserveCapacity(29)
        func digits(_ v: Int, _ width: Int, then separator: UInt8?) {
            var d = 1
            for _ in 1..<width { d *= 10 }
            var v = v
            while d > 0 {
                out.append(UInt8(ascii: "0") + UInt8(v / d % 10))
                v %= d
                d /= 10
            }
            if let separator { out.append(separator) }
        }
        digits(Int(t.tm_year) + 1900, 4, then: UInt8(ascii: "-"))
        digits(Int(t.tm_mon) + 1, 2, then: UInt8(ascii: "-"))
        digits(Int(t.tm_mday), 2, then: UInt8(ascii: "T"))
        digits(Int(t.tm_hour), 2, then: UInt8(ascii: ":"))
        digits(Int(t.tm_min), 2, then: UInt8(ascii: ":"))
        digits(Int(t.tm_sec), 2, then: UInt8(ascii: "."))
        digits(Int(tv.tv_usec / 1000), 3, then: nil)
        out.append(contentsOf: "+08:00".utf8)
        return String(decoding: out, as: UTF8.self)
    }
}
