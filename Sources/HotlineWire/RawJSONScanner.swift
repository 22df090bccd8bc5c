import Foundation

/// Finds the exact bytes of one top-level member's value in a JSON object, so a data message's body can be
/// kept verbatim. Runs only on text `JSONSerialization` has already accepted; still bounds-checks every step
/// and answers nil rather than trapping.
enum RawJSONScanner {
    static func valueRange(ofTopLevelKey key: String, in b: [UInt8]) -> Range<Int>? {
        let wanted = Array(key.utf8)
        var i = skipSpace(b, 0)
        guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
        i = skipSpace(b, i + 1)
        var found: Range<Int>?
        while i < b.count {
            if b[i] == UInt8(ascii: "}") { return found }
            guard b[i] == UInt8(ascii: "\""), let keyEnd = endOfString(b, i) else { return nil }
            let matches = keyMatches(b[(i + 1)..<(keyEnd - 1)], wanted)
            i = skipSpace(b, keyEnd)
            guard i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
            i = skipSpace(b, i + 1)
            guard let valueEnd = endOfValue(b, i) else { return nil }
            if matches { found = i..<valueEnd }
            i = skipSpace(b, valueEnd)
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: ",") { i = skipSpace(b, i + 1) }
        }
        return nil
    }

    private static func keyMatches(_ raw: ArraySlice<UInt8>, _ wanted: [UInt8]) -> Bool {
        guard raw.contains(UInt8(ascii: "\\")) else { return raw.elementsEqual(wanted) }
        // An escaped key ("bo\u0064y") is legal JSON; let Foundation unescape it.
        let quoted = Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")])
        let decoded = try? JSONSerialization.jsonObject(with: quoted, options: .fragmentsAllowed) as? String
        return decoded.map { Array($0.utf8) == wanted } ?? false
    }

    private static func skipSpace(_ b: [UInt8], _ start: Int) -> Int {
        var i = start
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        return i
    }

    /// `start` is at the opening quote; returns the index just past the closing quote.
    private static func endOfString(_ b: [UInt8], _ start: Int) -> Int? {
        var i = start + 1
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            default: i += 1
            }
        }
        return nil
    }

    private static func endOfValue(_ b: [UInt8], _ start: Int) -> Int? {
        guard start < b.count else { return nil }
        switch b[start] {
        case UInt8(ascii: "\""):
            return endOfString(b, start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var i = start
            while i < b.count {
                switch b[i] {
                case UInt8(ascii: "\""):
                    guard let end = endOfString(b, i) else { return nil }
                    i = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default:
                    break
                }
                i += 1
            }
            return nil
        default:
            var i = start
            while i < b.count, !",}] \n\r\t".utf8.contains(b[i]) { i += 1 }
            return i
        }
    }
}
