import Foundation
import Testing
@testable import HotlineWire

/// Valid payloads exercising every JSON construct, mutated below.
private let seeds: [String] = [
    #"{"v":1,"type":"data","id":"a\"b\\c\/d\u00e9\ud83d\ude00","seq":12,"origin":"o","dest":"d","kind":"ticket.event","at":-5,"body":{"s":"市民 \t","n":[0,-1,1.5,2e10,-0.25E-3,true,false,null],"o":{"e":{},"a":[[]]}}}"#,
    #"{ "v" : 1 , "type" : "hello" , "id" : "h" , "node" : "n" , "versions" : [ 1 , 2 ] , "lastReceived" : 0 , "x" : [ { } ] }"#,
    #"{"v":1,"type":"error","id":"e","code":"internal","message":"m\n","fatal":false,"extra":null}"#,
]

/// Whether Foundation accepts the bytes as one JSON object: the reference the hand-written parser must agree with.
private func foundationAccepts(_ bytes: [UInt8]) -> Bool {
    guard String(validating: bytes, as: UTF8.self) != nil else { return false }
    return (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
}

private func parserAccepts(_ bytes: [UInt8]) -> Bool {
    guard String(validating: bytes, as: UTF8.self) != nil else { return false }
    return (try? EnvelopeParser.parse(bytes)) != nil
}

@Test(arguments: 1...6)
func parserAgreesWithFoundationOnMutatedPayloads(seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let alphabet = Array(#"{}[]:,"\/ -+.0123456789eEtrufalsn"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9]
    var disagreements: [String] = []
    for round in 0..<2_000 {
        var bytes = Array(seeds[round % seeds.count].utf8)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[at] = alphabet.randomElement(using: &rng) ?? 0
            case 1: bytes.remove(at: at)
            default: bytes.insert(alphabet.randomElement(using: &rng) ?? 0, at: at)
            }
            if bytes.isEmpty { bytes = [0x7B] }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let foundation = foundationAccepts(bytes)
        let parser = parserAccepts(bytes)
        // Foundation on Linux tolerates a trailing comma ("[1, ]"), which RFC 8259 forbids; refusing it is right.
        let trailingComma = text.contains(/,\s*[\]}]/)
        if foundation != parser && !(foundation && trailingComma) {
            disagreements.append(text)
        }
    }
    #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.first ?? "")")
}

@Test func parserReadsEscapedStringsLikeFoundation() throws {
    let text = #"{"k":"a\"b\\c\/d\b\f\n\r\t\u00e9\u4E2D\ud83d\ude00"}"#
    let members = try EnvelopeParser.parse(Array(text.utf8))
    let reference = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
    guard case let .string(s)? = members["k"] else {
        Issue.record("not a string")
        return
    }
    #expect(s == reference["k"])
}

@Test(arguments: [
    #"{"a":1}x"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":-}"#, #"{"a":tru}"#, #"{"a":"\x"}"#,
    #"{"a":"\u12G4"}"#, "{\"a\":\"\u{1}\"}", #"{"a":1,}"#, #"{,}"#, #"{"a" 1}"#, #"{'a':1}"#, #"{"a":[1,]}"#, "",
])
func parserRefusesMalformedJSON(text: String) {
    #expect(throws: WireError.self) { try EnvelopeParser.parse(Array(text.utf8)) }
}
