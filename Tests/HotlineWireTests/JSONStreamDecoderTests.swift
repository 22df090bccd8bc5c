import Foundation
import Testing
@testable import HotlineWire

/// `JSONStreamDecoder` reads what `JSONDecoder` reads, to the same values, and refuses what it refuses with the
/// same kind of `DecodingError`.
struct JSONStreamDecoderTests {
    typealias Everything = JSONStreamEncoderTests.Everything
    typealias Inner = JSONStreamEncoderTests.Inner

    /// Both decoders on the same text: equal values, or both refuse with the same kind of error.
    func agree<T: Decodable & Equatable>(_ type: T.Type, _ json: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let theirs = Result { try JSONDecoder().decode(type, from: Data(json.utf8)) }
        let ours = Result { try JSONStreamDecoder.decode(type, from: Array(json.utf8)) }
        switch (theirs, ours) {
        case (.success(let a), .success(let b)):
            #expect(a == b, "\(json)", sourceLocation: sourceLocation)
        case (.failure(let a), .failure(let b)):
            #expect(kind(a) == kind(b), "\(json): JSONDecoder \(a) / ours \(b)", sourceLocation: sourceLocation)
        default:
            Issue.record("\(json): JSONDecoder \(theirs) / ours \(ours)", sourceLocation: sourceLocation)
        }
    }

    func kind(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound: "keyNotFound"
        case .typeMismatch: "typeMismatch"
        case .valueNotFound: "valueNotFound"
        case .dataCorrupted: "dataCorrupted"
        default: "\(type(of: error))"
        }
    }

    func path(_ error: any Error) -> String {
        let context: DecodingError.Context? = switch error as? DecodingError {
        case .keyNotFound(_, let c), .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): c
        default: nil
        }
        return context?.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined() ?? "?"
    }

    @Test func everyKindOfFieldDecodesToTheSameValueAsJSONDecoder() throws {
        let sample = JSONStreamEncoderTests.sample
        for bytes in [try JSONStreamEncoder.encode(sample), [UInt8](try JSONEncoder().encode(sample))] {
            #expect(try JSONStreamDecoder.decode(Everything.self, from: bytes) == sample)
        }
        agree(Everything.self, String(decoding: try JSONEncoder().encode(sample), as: UTF8.self))
    }

    @Test func escapesSurrogatePairsAndEscapedMemberNamesAreRead() throws {
        #expect(try JSONStreamDecoder.decode(String.self, from: Array(#""a\"b\\c\/d\b\f\n\r\t\u4e2d\u6587\ud83d\ude00""#.utf8))
                == "a\"b\\c/d\u{08}\u{0C}\n\r\t中文😀")
        // A member name written with an escape is the same name.
        #expect(try JSONStreamDecoder.decode(Inner.self, from: Array(#"{"n\u0061me":"x","tags":[]}"#.utf8)).name == "x")
        agree([String: Int].self, #"{"\u952e":1,"k\"":2}"#)
    }

    /// Members are found by their names' fingerprints, eight bytes at a step: names of every length around those
    /// steps, ones that differ only in their last byte, and ones written with escapes are each found, and only they.
    @Test func membersOfEveryNameLengthAreFoundByTheirOwnNameOnly() throws {
        struct Key: CodingKey {
            var stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }
        struct Lookup: Decodable {
            static let names: [String] = (0...24).flatMap { n in
                let name = String("abcdefghijklmnopqrstuvwxy".prefix(n))
                return n == 0 ? [name] : [name, String(name.dropLast()) + "Z", String(name.dropLast()) + "键"]
            }
            var found: [String: Int] = [:]
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: Key.self)
                for name in Self.names { found[name] = try c.decodeIfPresent(Int.self, forKey: Key(stringValue: name)) }
            }
        }
        // Every other name present, some written with an escape for their first letter.
        var members: [String] = []
        var expected: [String: Int] = [:]
        for (i, name) in Lookup.names.enumerated() where i % 2 == 0 {
            let written = i % 4 == 0 && name.hasPrefix("a") ? "\\u0061" + name.dropFirst() : name
            members.append("\"\(written)\":\(i)")
            expected[name] = i
        }
        let json = "{" + members.joined(separator: ",") + "}"
        #expect(try JSONStreamDecoder.decode(Lookup.self, from: Array(json.utf8)).found == expected)
        #expect(try JSONDecoder().decode(Lookup.self, from: Data(json.utf8)).found == expected)
    }

    /// A fingerprint reads every byte of a name: for names of every length up to three steps, changing any one
    /// byte (each bit of it) changes the fingerprint, under several seeds. Lookups stay right without that (the
    /// table compares the names), but a byte left out would put names that differ only there into one slot.
    @Test func everyByteOfANameCountsInItsFingerprint() {
        var generator = SeededGenerator(seed: 7)
        for seed in [0, UInt64.max, UInt64.random(in: .min ... .max, using: &generator)] {
            for n in 1...24 {
                let name = (0..<n).map { _ in UInt8.random(in: 0x20...0x7E, using: &generator) }
                let print = name.withUnsafeBufferPointer { JSONTape.fingerprint(bytes: $0, seed: seed) }
                for at in 0..<n {
                    for bit in 0..<8 {
                        var other = name
                        other[at] ^= 1 << bit
                        let otherPrint = other.withUnsafeBufferPointer { JSONTape.fingerprint(bytes: $0, seed: seed) }
                        #expect(otherPrint != print, "length \(n), byte \(at), bit \(bit), seed \(seed)")
                    }
                }
            }
        }
    }

    @Test func numbersDecodeAsJSONDecoderDecodesThem() {
        for json in ["1", "-0", "1.0", "1e2", "1.5", "-1", "9223372036854775807", "-9223372036854775808",
                     "9223372036854775808", "1e400", "0.1e1"] {
            agree(Int.self, json)
            agree(Double.self, json)
        }
        for json in ["18446744073709551615", "18446744073709551616", "-1", "255", "256"] {
            agree(UInt64.self, json)
            agree(UInt8.self, json)
        }
        agree(Float.self, "1e39")
        agree(Int8.self, "-128")
    }

    @Test func missingWrongAndNullValuesAreTheSameErrors() {
        agree(Inner.self, #"{"tags":[]}"#)                 // keyNotFound
        agree(Inner.self, #"{"name":5,"tags":[]}"#)        // typeMismatch
        agree(Inner.self, #"{"name":null,"tags":[]}"#)     // valueNotFound
        agree(Inner.self, #"{"name":"x","tags":["a",null]}"#)
        agree(Inner.self, #"{"name":"x","tags":[],"score":null}"#)
        agree(Inner.self, #"{"name":"x","tags":[],"score":"high"}"#)
        agree(Inner.self, #"["x"]"#)
        agree([Int].self, #"{"a":1}"#)
        agree(Bool.self, "1")
        agree(String?.self, "null")
        agree([Int?].self, "[1,null,3]")
        agree([[String: [Int]]].self, #"[{"a":[1,2]},{}]"#)
    }

    @Test func errorsNameWhereTheyAre() {
        let json = #"{"name":"x","tags":[],"inners":[{"name":"a","tags":[]},{"name":"b","tags":[7]}]}"#
        struct Outer: Decodable { var inners: [Inner] }
        do {
            _ = try JSONStreamDecoder.decode(Outer.self, from: Array(json.utf8))
            Issue.record("decoded a number as a string")
        } catch {
            #expect(kind(error) == "typeMismatch")
            #expect(path(error) == ".inners[1].tags[0]")
        }
        do {
            _ = try JSONStreamDecoder.decode(Outer.self, from: Array(#"{"inners":[{"tags":[]}]}"#.utf8))
            Issue.record("decoded without a required key")
        } catch {
            #expect(kind(error) == "keyNotFound")
            #expect(path(error) == ".inners[0]")
        }
    }

    /// Members are found through each object's table of names (open addressing, at most half full): in an object
    /// of a thousand members every name is found with its own value, names that are not there are not, and a name
    /// given again later (once, or three times, some written with an escape) keeps its first value.
    @Test func everyMemberOfALargeObjectIsFoundThroughItsTable() throws {
        var members = (0..<1000).map { "\"m\($0)\":\($0)" }
        members += ["\"m7\":-1", "\"\\u006d7\":-2", "\"m999\":-3", "\"m7\":-4"]
        let json = "{" + members.joined(separator: ",") + "}"
        let ours = try JSONStreamDecoder.decode([String: Int].self, from: Array(json.utf8))
        let theirs = try JSONDecoder().decode([String: Int].self, from: Data(json.utf8))
        #expect(ours.count == 1000 && ours == theirs)
        #expect(ours["m7"] == 7 && ours["m999"] == 999)
        struct Some: Decodable {
            var found: [Int?] = []
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: K.self)
                for name in ["m0", "m7", "m500", "m999", "m1000", "m-1", "x", ""] {
                    found.append(try c.decodeIfPresent(Int.self, forKey: K(stringValue: name)))
                }
            }
            struct K: CodingKey {
                var stringValue: String
                init(stringValue: String) { self.stringValue = stringValue }
                var intValue: Int? { nil }
                init?(intValue: Int) { nil }
            }
        }
        #expect(try JSONStreamDecoder.decode(Some.self, from: Array(json.utf8)).found == [0, 7, 500, 999, nil, nil, nil, nil])
    }

    /// Strings are scanned eight bytes at a step: whatever the position of a quote, an escape, a control character,
    /// a multi-byte character or a byte that is not UTF-8 in that step, it is found.
    @Test func everyPositionInAStringIsChecked() throws {
        for length in 0..<20 {
            let plain = String(repeating: "a", count: length)
            #expect(try JSONStreamDecoder.decode(String.self, from: Array("\"\(plain)\"".utf8)) == plain)
            for p in 0...length {
                let head = Array(plain.utf8.prefix(p)), tail = Array(plain.utf8.dropFirst(p))
                func read(_ middle: [UInt8]) -> String? {
                    try? JSONStreamDecoder.decode(String.self, from: [0x22] + head + middle + tail + [0x22])
                }
                #expect(read([0x01]) == nil, "a control character at \(p) of \(length)")
                #expect(read([0x1F]) == nil)
                #expect(read([0x80]) == nil, "a lone continuation byte at \(p) of \(length)")
                #expect(read([0xE4, 0xB8]) == nil, "a cut sequence at \(p) of \(length)")
                #expect(read(Array("中".utf8)) == plain.prefix(p) + "中" + plain.dropFirst(p))
                #expect(read(Array(#"\""#.utf8)) == plain.prefix(p) + "\"" + plain.dropFirst(p))
                #expect(read(Array(#"\n"#.utf8)) == plain.prefix(p) + "\n" + plain.dropFirst(p))
                #expect(read([0x20, 0x7F, 0x21, 0x5B, 0x5D]) == plain.prefix(p) + " \u{7F}![]" + plain.dropFirst(p))
                #expect((try? JSONStreamDecoder.decode(String.self, from: [0x22] + head)) == nil, "unterminated")
            }
        }
    }

    /// Three-byte characters (Chinese text) are checked on a path of their own: every lead byte with the second
    /// bytes at the edges of what it allows, at every position of an eight-byte step, reads as JSONDecoder reads
    /// it, and what is not UTF-8 (an overlong form, a surrogate, a missing continuation byte) is refused.
    @Test func threeByteCharactersAreCheckedAtEveryPosition() throws {
        var sequences: [[UInt8]] = []
        for lead in UInt8(0xE0)...0xEF {
            for second: UInt8 in [0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0] {
                for third: UInt8 in [0x41, 0x80, 0xBF, 0xC0] { sequences.append([lead, second, third]) }
            }
        }
        sequences.append([0xE4, 0xB8])   // cut at the string's end
        for bytes in sequences {
            let valid = String(validating: bytes, as: UTF8.self)
            // After ASCII, and in a run of Chinese characters (which are checked one after another).
            for run in ["", "中", "中文"] {
                for p in 0..<9 {
                    let head = Array(repeating: UInt8(ascii: "a"), count: p) + Array(run.utf8)
                    let json = [0x22] + head + bytes + Array("中z".utf8) + [0x22]
                    let ours = try? JSONStreamDecoder.decode(String.self, from: json)
                    let theirs = try? JSONDecoder().decode(String.self, from: Data(json))
                    #expect(ours == theirs, "\(bytes.map { String($0, radix: 16) }) after \(p) bytes and \(run)")
                    #expect((ours != nil) == (valid != nil), "\(bytes.map { String($0, radix: 16) }) after \(p) bytes and \(run)")
                }
            }
        }
        let text = String(repeating: "夜间施工噪音扰民，影响附近居民休息。Noise at night 😀 ", count: 20)
        agree(String.self, try String(decoding: JSONEncoder().encode(text), as: UTF8.self))
    }

    @Test func aRepeatedMemberKeepsItsFirstValueAsInJSONDecoder() throws {
        struct A: Decodable, Equatable { var a: Int }
        agree(A.self, #"{"a":1,"a":2}"#)
        #expect(try JSONStreamDecoder.decode(A.self, from: Array(#"{"a":1,"b":0,"a":2}"#.utf8)) == A(a: 1))
    }

    @Test func invalidJSONIsRefusedAsDataCorrupted() throws {
        let bad = ["", " ", "{", "}", #"{"a":1,}"#, "[1,]", "[1 2]", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
                   #"{"a" 1}"#, #"{a:1}"#, #""abc"#, "\"a\u{01}b\"", #""\x""#, #""\u12""#, #""\ud800""#, #""\udc00x""#,
                   #""\ud800\u0041""#, "[1] [2]", "{}x", "'a'", "NaN", "[" + String(repeating: "[", count: 300) + "]"]
        for json in bad {
            #expect(throws: DecodingError.self, "\(json)") { try JSONStreamDecoder.decode([String: Int].self, from: Array(json.utf8)) }
            do {
                _ = try JSONStreamDecoder.decode([Int].self, from: Array(json.utf8))
            } catch {
                #expect(kind(error) == "dataCorrupted", "\(json): \(error)")
            }
        }
        // Bytes that are not UTF-8 inside a string: a lone continuation byte, a truncated sequence, a truncated
        // four-byte sequence (whose repair would be as long as the input), an overlong "/", an encoded surrogate and
        // a code point above U+10FFFF; also as a member name.
        let invalid: [[UInt8]] = [[0x80], [0xE4, 0xB8], [0xF0, 0x90, 0x80, 0x41], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80],
                                  [0xF4, 0x90, 0x80, 0x80]]
        for bad in invalid {
            #expect(throws: DecodingError.self) { try JSONStreamDecoder.decode(String.self, from: [0x22] + bad + [0x22]) }
            #expect(throws: DecodingError.self) {
                try JSONStreamDecoder.decode([String: Int].self, from: [0x7B, 0x22] + bad + [0x22, 0x3A, 0x31, 0x7D])
            }
        }
        #expect(try JSONStreamDecoder.decode(String.self, from: [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22]) == "😀")
        // Nesting up to the limit is fine.
        let deep = String(repeating: "[", count: 255) + String(repeating: "]", count: 255)
        #expect(throws: Never.self) { try JSONStreamDecoder.decode(Nest.self, from: Array(deep.utf8)) }
    }

    /// Any depth of arrays.
    struct Nest: Decodable {
        init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            while !c.isAtEnd { _ = try c.decode(Nest.self) }
        }
    }

    @Test func dataIsBase64AndURLsAreStringsAsInJSONDecoder() {
        struct Blob: Codable, Equatable { var data: Data; var url: URL }
        agree(Blob.self, #"{"data":"aGVsbG8=","url":"https://example.org/a?b=1"}"#)
        agree(Blob.self, #"{"data":"not base64!","url":"https://example.org/"}"#)
    }

    @Test func enumsWithPayloadsNestedContainersAndSuperDecodersWork() throws {
        enum Shape: Codable, Equatable { case circle(radius: Double), label(String), none }
        agree([Shape].self, String(decoding: try JSONEncoder().encode([Shape.circle(radius: 2), .label("x"), .none]), as: UTF8.self))

        class Base: Decodable { var a: Int; required init(from d: any Decoder) throws { a = try d.container(keyedBy: K.self).decode(Int.self, forKey: .a) } }
        final class Derived: Base {
            var b: Int
            required init(from d: any Decoder) throws {
                let c = try d.container(keyedBy: K.self)
                b = try c.decode(Int.self, forKey: .b)
                try super.init(from: c.superDecoder())
            }
        }
        let d = try JSONStreamDecoder.decode(Derived.self, from: Array(#"{"b":2,"super":{"a":1}}"#.utf8))
        #expect(d.a == 1 && d.b == 2)
    }

    enum K: String, CodingKey { case a, b }
}
