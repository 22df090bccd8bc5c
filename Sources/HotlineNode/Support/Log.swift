import Foundation
import HotlineCore
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
    public func warn(_ event: String, _ fields: [(String, String)]) { write("warn", event, fields) }

    /// The line is built as bytes: interpolating `String`s (and the quoting and clock reading around them) was a
    /// tenth of a unit's work loop draining a backlog, where each stored message logs a line (perf, hotline-bench
    /// catchup). During `batched` (the work loop's lines after a commit, one a stored message) it is written
    /// straight into the batch: a line of its own, grown past its first capacity and then copied into the batch,
    /// was a fifth of a line's cost (callgrind, hotline-bench hop).
    func write(_ level: String, _ event: String, _ fields: [(String, String)]) {
        lock.lock()
        if sink == nil, held != nil {
            Self.format(level, event, fields, node: _node, into: &held!)
            lock.unlock()
            return
        }
        let node = _node
        lock.unlock()
        var line: [UInt8] = []
        line.reserveCapacity(256)
        Self.format(level, event, fields, node: node, into: &line)
        lock.lock()
        defer { lock.unlock() }
        if let sink { sink(String(decoding: line, as: UTF8.self)); return }
        if held != nil {
            held!.append(contentsOf: line)
            return
        }
        writeOut(line)
    }

    private static func format(_ level: String, _ event: String, _ fields: [(String, String)], node: String,
                               into line: inout [UInt8]) {
        append("ts=", to: &line)
        appendTimestamp(to: &line)
        append(" level=", to: &line)
        append(level, to: &line)
        append(" node=", to: &line)
        appendQuoted(node, to: &line)
        append(" event=", to: &line)
        appendQuoted(event, to: &line)
        for (k, v) in fields {
            line.append(0x20)
            append(k, to: &line)
            line.append(UInt8(ascii: "="))
            appendQuoted(v, to: &line)
        }
        line.append(0x0A)
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
    ///
    /// Both are done on the string's own bytes where it has them in one piece (native strings do): through
    /// `String.UTF8View`'s iterator they were most of a line's ~8,000 instructions (callgrind, the hop's unit).
    static func appendQuoted(_ v: String, to out: inout [UInt8]) {
        func special(_ b: UInt8) -> Bool { b == 0x20 || b == 0x22 || b == 0x3D || b == 0x0A || b == 0x0D || b == 0x09 }
        let bare: Bool? = v.utf8.withContiguousStorageIfAvailable { bytes in
            guard !bytes.isEmpty else { return false }
            for b in bytes where special(b) { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if bare == true { return }
        if bare == nil && !v.isEmpty && !v.utf8.contains(where: special) {
            out.append(contentsOf: v.utf8)
            return
        }
        out.append(0x22)
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
    }

    /// Appends `s`'s UTF-8 bytes in one copy where the string has them in one piece.
    static func append(_ s: String, to out: inout [UInt8]) {
        if s.utf8.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil { out.append(contentsOf: s.utf8) }
    }

    /// Wall-clock time in China Standard Time (the log is about the machine, not the node's manual clock), to the
    /// millisecond: `2026-03-02T09:00:00.000+08:00`.
    static func timestamp() -> String {
        var out: [UInt8] = []
        appendTimestamp(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `timestamp()`'s bytes, appended. The calendar arithmetic is `Timestamp`'s: `gmtime_r` took glibc's time
    /// zone lock for every line.
    static func appendTimestamp(to out: inout [UInt8]) {
        var tv = timeval()
        gettimeofday(&tv, nil)
        appendTimestamp(millis: Int64(tv.tv_sec) * 1000 + Int64(tv.tv_usec / 1000), to: &out)
    }

    static func appendTimestamp(millis: Int64, to out: inout [UInt8]) {
        Timestamp(millis: millis).appendISO8601(to: &out)
        // `Timestamp` leaves out a zero fraction; a log line always has one, so lines line up and sort as text.
        if millis % 1000 == 0 { out.insert(contentsOf: ".000".utf8, at: out.count - 6) }
    }
}
