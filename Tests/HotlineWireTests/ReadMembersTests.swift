import Foundation
import Testing
@testable import HotlineWire

/// `JSONObjectReader.readMembers` reads an object in one pass over the members it has, in the input's order, yet
/// accepts and refuses exactly what reading the names one by one in their order does (a synthesised `init(from:)`),
/// with the same first error when several members are wrong.
struct ReadMembersTests {
    struct Probe: JSONObjectDecodable, Equatable {
        var a: String
        var b: Int
        var c: Bool?
        var d: [String]?

        static let members = MemberNames(["a", "b", "c", "d"])

        init(a: String, b: Int, c: Bool? = nil, d: [String]? = nil) {
            (self.a, self.b, self.c, self.d) = (a, b, c, d)
        }

        init(json: JSONObjectReader) throws {
            self.init(a: "", b: 0)
            try json.readMembers(Self.members, required: 0b11) { k, m in
                switch k {
                case 0: a = try m.string()
                case 1: b = try m.int()
                case 2: c = try m.boolIfPresent()
                case 3: d = try m.stringsIfPresent()
                default: break
                }
            }
        }
    }

    enum Outcome: Equatable {
        case value(Probe)
        case refused(String, [String])
    }

    static func outcome(_ json: String, byHand: Bool) -> Outcome {
        do {
            return .value(try JSONStreamDecoder.decode(Probe.self, from: Array(json.utf8), byHand: byHand))
        } catch let error as DecodingError {
            switch error {
            case .keyNotFound(let key, let c): return .refused("keyNotFound \(key.stringValue)", c.codingPath.map(\.stringValue))
            case .typeMismatch(_, let c): return .refused("typeMismatch", c.codingPath.map(\.stringValue))
            case .valueNotFound(_, let c): return .refused("valueNotFound", c.codingPath.map(\.stringValue))
            case .dataCorrupted(let c): return .refused("dataCorrupted", c.codingPath.map(\.stringValue))
            @unknown default: return .refused("\(error)", [])
            }
        } catch {
            return .refused("\(error)", [])
        }
    }

    @Test func onePassRefusesWithTheErrorOfTheFirstNameInOrder() {
        let cases: [(String, Outcome)] = [
            (#"{"a":"x","b":1}"#, .value(Probe(a: "x", b: 1))),
            // Members in any order, unknown ones skipped, a repeated name's first value, null optional values absent.
            (#"{"zz":[1,{"a":2}],"d":["p"],"b":2,"a":"y","a":3,"c":null}"#, .value(Probe(a: "y", b: 2, d: ["p"]))),
            (#"{"b":1,"c":true,"d":null}"#, .refused("keyNotFound a", [])),
            // Two members wrong: the error of the earlier name, though the input has the later one first.
            (#"{"b":"x","a":1}"#, .refused("typeMismatch", ["a"])),
            (#"{"d":[1],"c":"no","a":"x","b":1}"#, .refused("typeMismatch", ["c"])),
            // A wrong member before a missing required name, and after one.
            (#"{"c":5,"a":"x"}"#, .refused("keyNotFound b", [])),
            (#"{"a":null,"c":5}"#, .refused("valueNotFound", ["a"])),
            (#"{"a":"x","b":null,"d":"no"}"#, .refused("valueNotFound", ["b"])),
            (#"{"a":"x","b":1.5}"#, .refused("dataCorrupted", ["b"])),
            (#"[]"#, .refused("typeMismatch", [])),
        ]
        for (json, expected) in cases {
            let byHand = Self.outcome(json, byHand: true), codable = Self.outcome(json, byHand: false)
            #expect(codable == expected, "\(json): the synthesised reader")
            #expect(byHand == codable, "\(json)")
        }
    }

    /// A name written with escapes is the same name; one that only starts like a known name is not.
    @Test func namesAreMatchedWholeAndUnescaped() {
        #expect(Self.outcome(#"{"\u0061":"x","b":1,"aa":"y","b2":5}"#, byHand: true) == .value(Probe(a: "x", b: 1)))
    }
}
