import Foundation
import Testing
@testable import HotlineWire

/// `WireMessage.decode(_:knownKinds:dataBody:)` reads a data frame and its body in one pass; it must give exactly
/// what the two steps give (`decode(_:knownKinds:)`, then `JSONStreamDecoder.decode` of the body) and accept
/// nothing they refuse.

/// Any JSON value, to compare bodies whatever they hold.
private enum AnyJSON: Decodable, Equatable {
    case null, bool(Bool), int(Int64), double(Double), string(String), array([AnyJSON]), object([String: AnyJSON])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) } else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) } else if let a = try? c.decode([AnyJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: AnyJSON].self)) }
    }
}

private typealias Body = [String: AnyJSON]
private let kinds: Set<String> = ["ticket.event", "ticket.dispatch", "ticket.assign"]

/// The two steps, nil where either throws or the message is not a data message.
private func twoSteps(_ frame: [UInt8]) -> (WireMessage, Body)? {
    guard let message = try? WireMessage.decode(frame, knownKinds: kinds), case .data(let m) = message,
          let body = try? JSONStreamDecoder.decode(Body.self, from: m.body) else { return nil }
    return (message, body)
}

private func onePass(_ frame: [UInt8]) -> (WireMessage, Body)? {
    WireMessage.decode(frame, knownKinds: kinds, dataBody: Body.self).map { ($0.message, $0.body) }
}

private func frame(body: String, before: String = "", after: String = "") -> [UInt8] {
    Array((#"{"v":1,"type":"data","id":"m-1","seq":7,"origin":"city","dest":"单位-1","kind":"ticket.assign",\#(before)"body":"#
        + body + after + "}").utf8)
}

/// Frames the network writes and some it does not: whitespace, escapes, an escaped member name, a repeated body.
private let samples: [[UInt8]] = [
    frame(body: #"{"ticket":{"id":"T-1","诉求":"路灯不亮，请尽快维修","n":[1,2.5,-3e2,null,true]},"role":"lead"}"#),
    frame(body: #" { "a" : [ 1 , "}\"{" , { } , [ ] ] , "b" : "\u4e2d\ud83d\ude00\n" } "#),
    frame(body: #"{"x":{"body":{"y":1}}}"#, after: #","extra":{"body":[]}"#),
    Array(#"{"v":1,"type":"data","id":"i","seq":1,"origin":"o","dest":"d","kind":"ticket.event","bo\u0064y":{"k":1}}"#.utf8),
    frame(body: #"{"first":1}"#, after: #","body":{"second":2}"#),
    frame(body: "{}"),
] + GoldenVector.all().map { Array($0.frame.dropFirst(4)) }

@Test func onePassGivesWhatTheTwoStepsGiveForEverySample() throws {
    var data = 0
    for sample in samples {
        let two = twoSteps(sample), one = onePass(sample)
        #expect((one == nil) == (two == nil), "\(String(decoding: sample, as: UTF8.self))")
        guard let one, let two else { continue }
        #expect(one.0 == two.0)
        #expect(one.1 == two.1)
        data += 1
    }
    // Not vacuous: the hand-made frames and the golden data vectors are read.
    #expect(data >= 9)
}

@Test func aRepeatedBodyKeepsTheLastAndItsTreeIsTheLast() throws {
    let (message, body) = try #require(onePass(frame(body: #"{"first":1}"#, after: #","body":{"second":2}"#)))
    guard case .data(let m) = message else { Issue.record("not data"); return }
    #expect(m.body == Array(#"{"second":2}"#.utf8))
    #expect(body == ["second": .int(2)])
    // A later body that is not an object: no data message at all, as in two steps.
    #expect(onePass(frame(body: #"{"first":1}"#, after: #","body":"text""#)) == nil)
    #expect(twoSteps(frame(body: #"{"first":1}"#, after: #","body":"text""#)) == nil)
}

/// Every single-byte change (to bytes that matter to the grammar and to UTF-8) and every deletion of one byte:
/// whatever one pass accepts, the two steps accept with the same result, and the other way round.
@Test func noSingleByteChangeIsReadDifferentlyByOnePass() throws {
    let replacements: [UInt8] = [0x00, 0x09, 0x20, 0x22, 0x2C, 0x2D, 0x30, 0x31, 0x3A, 0x5B, 0x5C, 0x5D, 0x61,
                                 0x65, 0x75, 0x7B, 0x7D, 0x80, 0xBF, 0xC0, 0xE4, 0xED, 0xF4, 0xFF]
    let bases = [
        frame(body: #"{"t":{"id":"T-1","诉求":"路灯不亮","n":[1,2.5,-3e2,null,true,false],"e":"a\"b\\c\u00e9"},"r":"lead"}"#),
        frame(body: #"{"k":"中"}"#, before: #""note":"备注\n","#, after: #","z":[1,{"q":null}]"#),
    ]
    var accepted = 0, refused = 0
    for base in bases {
        var variants: [[UInt8]] = []
        for i in base.indices {
            for r in replacements where r != base[i] {
                var v = base
                v[i] = r
                variants.append(v)
            }
            var shorter = base
            shorter.remove(at: i)
            variants.append(shorter)
        }
        for v in variants {
            let one = onePass(v), two = twoSteps(v)
            #expect((one == nil) == (two == nil), "\(v)")
            if let one, let two {
                #expect(one.0 == two.0 && one.1 == two.1, "\(v)")
                accepted += 1
            } else {
                refused += 1
            }
        }
    }
    // Both outcomes occur many times, so the comparison was exercised both ways.
    #expect(accepted > 200)
    #expect(refused > 1000)
}

@Test func bodyNestingIsLimitedAtTheSameDepthAsTheEnvelopeLimitsIt() throws {
    func nested(_ n: Int) -> [UInt8] {
        frame(body: "{\"a\":" + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "}")
    }
    // Find where the two steps stop accepting; one pass must stop at exactly the same depth.
    let deepest = try #require((1...300).last { twoSteps(nested($0)) != nil })
    #expect(deepest < 300)
    #expect(onePass(nested(deepest)) != nil)
    #expect(onePass(nested(deepest + 1)) == nil)
}

@Test func invalidUTF8OutsideOrInsideTheBodyIsRefused() throws {
    var outside = frame(body: #"{"k":1}"#)
    let dest = try #require(outside.firstIndex(of: 0xE5))   // the first byte of 单
    outside[dest] = 0xFF
    #expect(onePass(outside) == nil)
    #expect(throws: WireError.invalidUTF8) { try WireMessage.decode(outside, knownKinds: kinds) }
    var inside = frame(body: #"{"k":"中"}"#)
    let zhong = try #require(inside.lastIndex(of: 0xE4))
    inside[zhong + 1] = 0x41
    #expect(onePass(inside) == nil)
    #expect(twoSteps(inside) == nil)
}

@Test func messagesOtherThanDataAndBodiesOfAnotherShapeAreNotRead() throws {
    #expect(onePass(Array(#"{"v":1,"type":"ack","id":"a","upTo":3}"#.utf8)) == nil)
    #expect(onePass(frame(body: "[1]")) == nil)
    #expect(onePass(frame(body: #"{"k":1}"#, after: #","kind":"nope""#)) == nil)
    struct Strict: Decodable { var needed: String }
    let f = frame(body: #"{"other":1}"#)
    #expect(WireMessage.decode(f, knownKinds: kinds, dataBody: Strict.self) == nil)
    #expect(WireMessage.decode(f, knownKinds: kinds, dataBody: Body.self) != nil)
}

@Test func theLayoutGivesTheFrameBytesOfEachValueTheBodyWasReadFrom() throws {
    let f = frame(body: #"{ "t" : { "id" : "T-1", "ev" : [ {"a":1} , {"b":"}"} ] , "id" : "second" } , "r" : "lead" }"#)
    let layout = try #require(WireMessage.decode(f, knownKinds: kinds, dataBody: Body.self)?.layout)
    func text(_ r: Range<Int>?) -> String? { r.map { String(decoding: f[$0], as: UTF8.self) } }
    #expect(text(layout.range(of: "t", "ev")) == #"[ {"a":1} , {"b":"}"} ]"#)
    #expect(text(layout.range(of: "t", "id")) == #""T-1""#, "the first of a repeated name, as the body was read")
    #expect(text(layout.range(of: "r")) == #""lead""#)
    #expect(text(layout.range(of: "t"))?.hasPrefix("{ \"id\"") == true && text(layout.range(of: "t"))?.hasSuffix("\"second\" }") == true)
    #expect(layout.range(of: "t", "missing") == nil)
    #expect(layout.range(of: "r", "x") == nil, "a string has no members")
}

/// The elements of an array of objects, as the tape found them: whatever their strings hold, each element's bytes;
/// nil when an element is not an object or the path does not reach an array.
@Test func theLayoutGivesTheElementsOfAnArrayOfObjects() throws {
    let f = frame(body: #"{"t":{"ev":[ {"a":"}{\"],"} ,{"b":[{}, [1]]},{} ]},"n":[1],"m":[{}, [] ],"e":[],"s":"x"}"#)
    let layout = try #require(WireMessage.decode(f, knownKinds: kinds, dataBody: Body.self)?.layout)
    func texts(_ rs: [Range<Int>]?) -> [String]? { rs?.map { String(decoding: f[$0], as: UTF8.self) } }
    #expect(texts(layout.objectElements(of: "t", "ev")) == [#"{"a":"}{\"],"}"#, #"{"b":[{}, [1]]}"#, "{}"])
    #expect(texts(layout.objectElements(of: "e")) == [])
    #expect(layout.objectElements(of: "n") == nil)
    #expect(layout.objectElements(of: "m") == nil)
    #expect(layout.objectElements(of: "s") == nil)
    #expect(layout.objectElements(of: "t", "missing") == nil)
}
