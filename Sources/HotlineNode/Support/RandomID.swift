import Glibc

/// Random identifiers as UUID text (8-4-4-4-12 upper-case hex; version 4, or 7 for event ids), from the kernel's
/// getrandom(2) through the standard library's `SystemRandomNumberGenerator`. Foundation's `UUID()` on Linux opens,
/// reads and closes /dev/urandom for each one, and a node makes one per event and per message.
enum RandomID {
    static func uuid() -> String {
        text(random(), version: 4)
    }

    /// UUID version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds of this machine's clock, the
    /// remaining 74 random. For event ids: the events table keeps a unique index on them, and random ids put each
    /// new entry on a random page of that index — one more page to read back and write into the log per event
    /// once the index outgrows SQLite's cache — where ids made later sort later and land on its last page.
    static func timeOrdered(unixMillis: Int64 = currentUnixMillis()) -> String {
        var bytes = random()
        let t = UInt64(max(0, unixMillis))
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: t >> (8 * (5 - i))) }
        return text(bytes, version: 7)
    }

    static func currentUnixMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    private static func random() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        for half in 0..<2 {
            let word = generator.next() as UInt64
            for i in 0..<8 { bytes[half * 8 + i] = UInt8(truncatingIfNeeded: word >> (8 * i)) }
        }
        return bytes
    }

    private static func text(_ raw: [UInt8], version: UInt8) -> String {
        var bytes = raw
        bytes[6] = (bytes[6] & 0x0F) | (version << 4)
        bytes[8] = (bytes[8] & 0x3F) | 0x80   // variant 10 (RFC 4122)
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
