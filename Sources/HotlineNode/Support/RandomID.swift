/// Random identifiers as UUID version 4 text (8-4-4-4-12 upper-case hex), from the kernel's getrandom(2) through the
/// standard library's `SystemRandomNumberGenerator`. Foundation's `UUID()` on Linux opens, reads and closes
/// /dev/urandom for each one, and a node makes one per event and per message.
enum RandomID {
    static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: 16)
        for half in 0..<2 {
            let word = generator.next() as UInt64
            for i in 0..<8 { bytes[half * 8 + i] = UInt8(truncatingIfNeeded: word >> (8 * i)) }
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40   // version 4: random
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
