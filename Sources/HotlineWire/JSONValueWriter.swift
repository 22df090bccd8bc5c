import Foundation

/// Writes a `JSONSerialization`-style value (`[String: Any]`, `[Any]`, `String`, `Bool`, integers, `Double`,
/// `NSNull`) as JSON bytes, object members in sorted order. What the nodes answer operators with: under the
/// lifecycle load `JSONSerialization.data` was a seventh of the city's CPU (perf, hotline-bench lifecycle), most of
/// it in dynamic casts. Anything else (an `NSNumber`, a date) is handed to `JSONSerialization` as it was before.
public enum JSONValueWriter {
    /// The value's JSON, or nil where `JSONSerialization` would refuse it (a non-finite number, an unknown type).
    public static func encode(_ value: Any) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        return append(value, to: &out) ? out : nil
    }

    /// Appends the value; false (and `out` partly written) when it cannot be written.
    public static func append(_ value: Any, to out: inout [UInt8]) -> Bool {
        // Exact types first: a cast such as `as? Bool` would also take an NSNumber holding 1, and `as? String` on a
        // dictionary bridges the whole dictionary to an NSDictionary before it fails (on Linux; a fifth of the casts
        // in the city's answers, perf in hotline-bench latency).
        let type = Swift.type(of: value)
        if type == String.self {
            JSONWriter.appendString(value as! String, to: &out)
        } else if type == [String: Any].self {
            return appendObject(value as! [String: Any], to: &out)
        } else if type == [Any].self {
            return appendArray(value as! [Any], to: &out)
        } else if type == Bool.self {
            out.append(contentsOf: (value as! Bool) ? Array("true".utf8) : Array("false".utf8))
        } else if type == Int.self {
            out.append(contentsOf: String(value as! Int).utf8)
        } else if type == Int64.self {
            out.append(contentsOf: String(value as! Int64).utf8)
        } else if type == Int32.self {
            out.append(contentsOf: String(value as! Int32).utf8)
        } else if type == UInt64.self {
            out.append(contentsOf: String(value as! UInt64).utf8)
        } else if type == UInt32.self {
            out.append(contentsOf: String(value as! UInt32).utf8)
        } else if type == Double.self {
            let v = value as! Double
            guard v.isFinite else { return false }
            // Integral values as integers, as JSONSerialization writes them.
            if v == v.rounded(), abs(v) < 1e15 { out.append(contentsOf: String(Int64(v)).utf8) } else { out.append(contentsOf: "\(v)".utf8) }
        } else if type == NSNull.self {
            out.append(contentsOf: "null".utf8)
        } else if type == [String].self {
            let strings = value as! [String]
            out.append(UInt8(ascii: "["))
            for (i, s) in strings.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(s, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        } else if value is NSNull {
            out.append(contentsOf: "null".utf8)
        } else if let s = value as? String {
            JSONWriter.appendString(s, to: &out)
        } else if let object = value as? [String: Any] {
            return appendObject(object, to: &out)
        } else if let array = value as? [Any] {
            return appendArray(array, to: &out)
        } else {
            guard JSONSerialization.isValidJSONObject([value]),
                  let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) else { return false }
            out.append(contentsOf: data)
        }
        return true
    }

    private static func appendObject(_ object: [String: Any], to out: inout [UInt8]) -> Bool {
        out.append(UInt8(ascii: "{"))
        // The members sorted once, with their values: looking each sorted name up again cost a hash of it.
        for (i, member) in object.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(member.key, to: &out)
            out.append(UInt8(ascii: ":"))
            guard append(member.value, to: &out) else { return false }
        }
        out.append(UInt8(ascii: "}"))
        return true
    }

    private static func appendArray(_ array: [Any], to out: inout [UInt8]) -> Bool {
        out.append(UInt8(ascii: "["))
        for (i, element) in array.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard append(element, to: &out) else { return false }
        }
        out.append(UInt8(ascii: "]"))
        return true
    }
}
