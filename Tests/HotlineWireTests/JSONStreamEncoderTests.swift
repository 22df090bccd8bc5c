import Foundation
import Testing
@testable import HotlineWire

/// `JSONStreamEncoder` writes what `JSONEncoder` writes, member order aside: the same JSON values, read back to the
/// same Swift values.
struct JSONStreamEncoderTests {
    enum Colour: String, Codable { case red, green }

    struct Inner: Codable, Equatable {
        var name: String
        var tags: [String]
        var score: Double?
    }

    struct Empty: Codable, Equatable {}

    struct Everything: Codable, Equatable {
        var text: String
        var escapes: String
        var chinese: String
        var slash: String
        var int: Int
        var big: Int64
        var small: Int64
        var unsigned: UInt64
        var bool: Bool
        var doubles: [Double]
        var missing: String?
        var present: Int?
        var colour: Colour
        var inner: Inner
        var inners: [Inner]
        var nested: [[Int]]
        var map: [String: Int]
        var empty: Empty
        var emptyList: [String]
        var optionalInner: Inner?
    }

    static let sample = Everything(
        text: "plain", escapes: "quote \" backslash \\ newline \n tab \t cr \r bell \u{07} unit \u{1F} end",
        chinese: "夜间施工噪音扰民，请求处理。😀", slash: "a/b", int: -42, big: Int64.max, small: Int64.min, unsigned: UInt64.max,
        bool: true, doubles: [1.5, 3.0, -0.25, 1e-7, 1e20], missing: nil, present: 7, colour: .green,
        inner: Inner(name: "东城区", tags: ["a", "b\"c"], score: nil), inners: [Inner(name: "x", tags: [], score: 2.5)],
        nested: [[1, 2], [], [3]], map: ["k1": 1, "键": 2], empty: Empty(), emptyList: [], optionalInner: nil)

    /// The same JSON value as Foundation's encoder gives (member order is not part of a JSON value).
    func sameValue(_ ours: [UInt8], _ theirs: Data) throws -> Bool {
        let a = try JSONSerialization.jsonObject(with: Data(ours), options: [.fragmentsAllowed])
        let b = try JSONSerialization.jsonObject(with: theirs, options: [.fragmentsAllowed])
        return NSDictionary(dictionary: ["v": a]).isEqual(to: ["v": b])
    }

    @Test func everyKindOfFieldEncodesToTheSameJSONValueAsJSONEncoder() throws {
        let ours = try JSONStreamEncoder.encode(Self.sample)
        #expect(try sameValue(ours, try JSONEncoder().encode(Self.sample)))
        #expect(try JSONDecoder().decode(Everything.self, from: Data(ours)) == Self.sample)
    }

    @Test func withSortedKeysTheBytesAreJSONEncodersWithSortedKeys() throws {
        let sorted = JSONEncoder()
        sorted.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(try JSONStreamEncoder.encode(Self.sample, sortedKeys: true) == [UInt8](sorted.encode(Self.sample)))
        // Names that sort differently by bytes than by letters, and non-ASCII names.
        let names = ["aZ": 1, "ab": 2, "a10": 3, "a9": 4, "B": 5, "a": 6, "街道": 7, "区": 8, "Ab": 9]
        #expect(try JSONStreamEncoder.encode(names, sortedKeys: true) == [UInt8](sorted.encode(names)))
        #expect(String(decoding: try JSONStreamEncoder.encode(names, sortedKeys: true), as: UTF8.self)
                == #"{"Ab":9,"B":5,"a":6,"a10":3,"a9":4,"aZ":1,"ab":2,"区":8,"街道":7}"#)
        // Names alike in their first 8 bytes (compared past them), and names whose escaped bytes sort otherwise
        // than their own bytes (they sort by their own: 0x01 < "!" < "\"", though "\u0001" > "\\\"").
        let alike = ["receivedAtX": 1, "receivedBy": 2, "received": 3, "receivedAt": 4, "receive": 5, "receivedA": 6,
                     "a\"b": 7, "a\u{1}": 8, "a!": 9, "a\\": 10, "receivedA\"x": 11, "receivedA\u{1}": 12, "receivedA!": 13]
        #expect(try JSONStreamEncoder.encode(alike, sortedKeys: true) == [UInt8](sorted.encode(alike)))
        #expect(String(decoding: try JSONStreamEncoder.encode(alike, sortedKeys: true), as: UTF8.self)
                == #"{"a\u0001":8,"a!":9,"a\"b":7,"a\\":10,"receive":5,"received":3,"receivedA":6,"receivedA\u0001":12,"receivedA!":13,"receivedA\"x":11,"receivedAt":4,"receivedAtX":1,"receivedBy":2}"#)
        #expect(try JSONStreamEncoder.encode([Self.sample.inner, Self.sample.inner], sortedKeys: true)
                == [UInt8](sorted.encode([Self.sample.inner, Self.sample.inner])))
    }

    @Test func absentOptionalsAreOmittedAndEmptyValuesAreWritten() throws {
        let text = String(decoding: try JSONStreamEncoder.encode(Self.sample), as: UTF8.self)
        #expect(!text.contains("missing") && !text.contains("optionalInner"))
        #expect(text.contains("\"empty\":{}") && text.contains("\"emptyList\":[]") && text.contains("\"nested\":[[1,2],[],[3]]"))
        #expect(text.contains(#""escapes":"quote \" backslash \\ newline \n tab \t cr \r bell \u0007 unit \u001f end""#))
        #expect(String(decoding: try JSONStreamEncoder.encode(Empty()), as: UTF8.self) == "{}")
    }

    @Test func topLevelArraysAndSingleValuesAreWritten() throws {
        #expect(String(decoding: try JSONStreamEncoder.encode([Self.sample.inner]), as: UTF8.self)
                == #"[{"name":"东城区","tags":["a","b\"c"]}]"#)
        #expect(String(decoding: try JSONStreamEncoder.encode("a\"b"), as: UTF8.self) == #""a\"b""#)
        #expect(String(decoding: try JSONStreamEncoder.encode(12), as: UTF8.self) == "12")
    }

    @Test func nonFiniteNumbersAreRefusedAsByJSONEncoder() {
        #expect(throws: EncodingError.self) { try JSONStreamEncoder.encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONStreamEncoder.encode(Inner(name: "x", tags: [], score: .infinity)) }
    }

    /// A hand-written `encode(to:)` that opens nested containers and a super encoder: each closed in its place.
    struct Manual: Encodable {
        enum K: String, CodingKey { case a, obj, list, sup, after }
        enum N: String, CodingKey { case x, y }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            try c.encode(1, forKey: .a)
            var obj = c.nestedContainer(keyedBy: N.self, forKey: .obj)
            try obj.encode("x", forKey: .x)
            var list = c.nestedUnkeyedContainer(forKey: .list)
            try list.encode(1)
            var inner = list.nestedContainer(keyedBy: N.self)
            try inner.encode(true, forKey: .y)
            try list.encode("z")
            let sup = c.superEncoder(forKey: .sup)
            var s = sup.container(keyedBy: N.self)
            try s.encode(2, forKey: .x)
            try c.encode("end", forKey: .after)
        }
    }

    @Test func nestedContainersAndSuperEncodersAreClosedWhereTheyEnd() throws {
        let ours = try JSONStreamEncoder.encode(Manual())
        #expect(String(decoding: ours, as: UTF8.self)
                == #"{"a":1,"obj":{"x":"x"},"list":[1,{"y":true},"z"],"sup":{"x":2},"after":"end"}"#)
        #expect(try sameValue(ours, try JSONEncoder().encode(Manual())))
    }

    /// What RFC 8259 asks, a character at a time: the reference the 8-bytes-at-a-time writer is held to.
    static func escapedByReference(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    @Test func everyCharacterIsEscapedAsRFC8259SaysWhereverItStandsInAWord() throws {
        // Each ASCII character and a few others, at every offset of a 19-byte text (two 8-byte words and a tail),
        // through the array writer and the stream encoder.
        let others: [Unicode.Scalar] = ["é", "路", "😀", "\u{7F}", "\u{80}", "\u{FF}"]
        for c in (0..<0x80).map({ Unicode.Scalar(UInt8($0)) }) + others {
            for at in 0..<19 {
                var text = String(repeating: "a", count: at)
                text.unicodeScalars.append(c)
                text += String(repeating: "b", count: 18 - at)
                var out: [UInt8] = []
                JSONWriter.appendString(text, to: &out)
                #expect(String(decoding: out, as: UTF8.self) == Self.escapedByReference(text), "\(c.value) at \(at)")
                #expect(String(decoding: try JSONStreamEncoder.encode(text), as: UTF8.self) == Self.escapedByReference(text))
            }
        }
        // Texts full of escapes, and long ones.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let text = String(String.UnicodeScalarView((0..<Int.random(in: 0...300, using: &generator)).map { _ in
                Unicode.Scalar(UInt8.random(in: 0...0x7F, using: &generator))
            }))
            var out: [UInt8] = []
            JSONWriter.appendString(text, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == Self.escapedByReference(text))
        }
    }

    @Test func writerEscapesOnlyWhatRFC8259Requires() {
        var out: [UInt8] = []
        JSONWriter.appendString("路/\u{0}\u{8}\u{C}é\"\\", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""路/\u0000\b\fé\"\\""#)
    }
}
