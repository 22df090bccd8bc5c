import Foundation
import Testing
@testable import HotlineWire

let testKinds: Set<String> = ["ticket.event", "ticket.dispatch"]

private func decode(_ text: String) throws(WireError) -> WireMessage {
    try WireMessage.decode(Array(text.utf8), knownKinds: testKinds)
}

private func code(of text: String) -> WireErrorCode? {
    do {
        _ = try decode(text)
        return nil
    } catch {
        return error.code
    }
}

@Test(arguments: [
    WireMessage.hello(Hello(id: "h", node: "县区-1", versions: [1, 3], lastReceived: 77, clock: -5, role: "county")),
    .hello(Hello(id: "h2", node: "n", versions: [], lastReceived: 0)),
    .ack(Ack(id: "a", upTo: WireProtocol.maxSafeInteger)),
    .heartbeat(Heartbeat(id: "b", clock: 1_795_478_400_000)),
    .heartbeat(Heartbeat(id: "b2")),
    .error(ErrorMessage(id: "e", code: "internal", message: "he said \"no\"\n\u{7}", fatal: false)),
    .data(DataMessage(id: "d", seq: 3, origin: "unit", dest: "city", kind: "ticket.event",
                      body: Array("{\"诉求\":\"路灯不亮\",\"n\":[1,{\"x\":null}]}".utf8), at: 12)),
])
func everyMessageSurvivesEncodeThenDecode(message: WireMessage) throws {
    #expect(try WireMessage.decode(message.encode(), knownKinds: testKinds) == message)
    #expect(message.encodeFrame() == FrameEncoder.encode(payload: message.encode()))
}

@Test func encodedStringsAreValidJSONWithTheSameText() throws {
    let nasty = "q\"b\\s/n\nr\rt\tb\u{8}f\u{c}z\u{0}u\u{1f}中文\u{2028}😀"
    let bytes = WireMessage.error(ErrorMessage(id: nasty, code: "internal", message: nasty)).encode()
    let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    #expect(object["id"] as? String == nasty)
    #expect(object["message"] as? String == nasty)
}

@Test func dataBodyIsKeptByteForByte() throws {
    let body = "{ \"b\" : 2,\n \"a\" : [ 1 , \"}\\\"{\" ] }"
    let text = "{\"v\":1,\"type\":\"data\",\"id\":\"i\",\"seq\":1,\"origin\":\"o\",\"dest\":\"d\","
        + "\"kind\":\"ticket.event\",\"body\":\(body),\"extra\":{\"body\":[]}}"
    guard case let .data(message) = try decode(text) else {
        Issue.record("not decoded as data")
        return
    }
    #expect(message.body == Array(body.utf8))
}

@Test func dataBodyIsFoundUnderAnEscapedKey() throws {
    let text = #"{"v":1,"type":"data","id":"i","seq":1,"origin":"o","dest":"d","kind":"ticket.event","bo\u0064y":{"k":1}}"#
    guard case let .data(message) = try decode(text) else {
        Issue.record("not decoded as data")
        return
    }
    #expect(message.body == Array(#"{"k":1}"#.utf8))
}

@Test(arguments: [
    (#"{"v":1,"type":"heartbeat","id":"#, WireErrorCode.invalidJSON),
    (#"[]"#, .invalidJSON),
    (#""just a string""#, .invalidJSON),
    (#"{"v":1,"type":"ping","id":"i"}"#, .unknownType),
    (#"{"v":1,"type":"data","id":"i","seq":1,"origin":"o","dest":"d","kind":"x.y","body":{}}"#, .unknownKind),
    (#"{"v":1,"type":"data","id":"i","seq":1,"origin":"o","dest":"d","kind":"ticket.event"}"#, .missingField),
    (#"{"v":1,"type":"data","id":"i","seq":1,"origin":"o","dest":"d","kind":"ticket.event","body":[1]}"#, .missingField),
    (#"{"v":1,"type":"data","id":"i","seq":"1","origin":"o","dest":"d","kind":"ticket.event","body":{}}"#, .missingField),
    (#"{"v":1,"type":"ack","id":"i","upTo":9007199254740992}"#, .missingField),
    (#"{"v":1,"type":"ack","id":"i","upTo":1e3}"#, .missingField),
    (#"{"v":1,"type":"ack","id":7,"upTo":1}"#, .missingField),
    (#"{"type":"ack","id":"i","upTo":1}"#, .missingField),
    (#"{"v":"1","type":"ack","id":"i","upTo":1}"#, .missingField),
    (#"{"v":1,"type":"hello","id":"i","node":"n","versions":[1,true],"lastReceived":0}"#, .missingField),
    (#"{"v":1,"type":"hello","id":"i","node":"n","versions":[1],"lastReceived":0,"clock":"now"}"#, .missingField),
    (#"{"v":1,"type":"error","id":"i","code":"internal","message":"m","fatal":1}"#, .missingField),
    (#"{"v":9,"type":"heartbeat","id":"i"}"#, .versionUnsupported),
])
func badMessagesGetTheirErrorCode(text: String, expected: WireErrorCode) {
    #expect(code(of: text) == expected)
}

@Test func invalidUTF8IsReportedAsSuch() {
    var bytes = Array(#"{"v":1,"type":"heartbeat","id":"x"}"#.utf8)
    bytes[bytes.count - 3] = 0xC3
    #expect(throws: WireError.invalidUTF8) { try WireMessage.decode(bytes, knownKinds: testKinds) }
}

@Test func helloOfAFutureVersionStillDecodesSoNegotiationCanAnswerIt() throws {
    let message = try decode(#"{"v":7,"type":"hello","id":"i","node":"n","versions":[7],"lastReceived":0,"new":1}"#)
    #expect(message == .hello(Hello(id: "i", node: "n", versions: [7], lastReceived: 0)))
}

@Test func nullOptionalFieldsCountAsAbsent() throws {
    #expect(try decode(#"{"v":1,"type":"heartbeat","id":"i","clock":null}"#) == .heartbeat(Heartbeat(id: "i")))
}

@Test func everyErrorHasAMessageThatSaysWhatToDo() {
    let errors: [WireError] = [.frameTooLarge(length: 9, max: 1), .zeroLength, .invalidUTF8, .invalidJSON("x"),
                               .unknownType("t"), .unknownKind("k"), .missingField(name: "f", expected: "a string"),
                               .versionUnsupported(got: 2, supported: [1])]
    for error in errors {
        #expect(error.description.contains(":"))
        #expect(error.description.count > 30)
    }
}

@Test(arguments: [200, 100_000])
func deeplyNestedBodyIsDecodedOrRefusedWithoutCrashing(depth: Int) {
    let body = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
    let text = #"{"v":1,"type":"data","id":"i","seq":1,"origin":"o","dest":"d","kind":"ticket.event","body":"#
        + body + "}"
    let result = Result { () throws(WireError) in try decode(text) }
    switch result {
    case let .success(.data(message)): #expect(message.body == Array(body.utf8))
    case .success: Issue.record("decoded as something else than data")
    case let .failure(error): #expect(error.code == .invalidJSON)
    }
}

/// A member given twice reads as its last value, in both readers (the envelope keeps its members in a list, not a
/// dictionary, and must still read like one assigned in order); a later null makes it absent.
@Test func aRepeatedEnvelopeMemberReadsAsItsLastValue() throws {
    let frame = Array(#"{"v":1,"type":"ack","id":"a-1","upTo":3,"id":"a-2","upTo":7}"#.utf8)
    guard case let .ack(ack) = try WireMessage.decode(frame, knownKinds: []) else {
        Issue.record("not an ack")
        return
    }
    #expect(ack.id == "a-2" && ack.upTo == 7)
    let nulled = Array(#"{"v":1,"type":"ack","id":"a-1","upTo":3,"upTo":null}"#.utf8)
    #expect(throws: WireError.missingField(name: "upTo", expected: "an integer from 0 to 2^53-1")) {
        try WireMessage.decode(nulled, knownKinds: [])
    }
    let data = Array(#"{"v":1,"type":"data","id":"m","seq":1,"origin":"o","dest":"x","kind":"k","seq":2,"body":{"n":1},"kind":"ticket.assign","body":{"n":2}}"#.utf8)
    guard let (message, body, _) = WireMessage.decode(data, knownKinds: ["ticket.assign"], dataBody: [String: Int].self),
          case let .data(m) = message else {
        Issue.record("not read in one pass")
        return
    }
    #expect(m.seq == 2 && m.kind == "ticket.assign" && body == ["n": 2] && m.body == Array(#"{"n":2}"#.utf8))
}

/// `DataMessage.payloadBound` is what a node checks before it stores a message for a link: it must never be below
/// the payload actually encoded (or a message could pass the check and be refused by the peer's frame limit for
/// ever), and for plain fields it is the payload plus only the numbers' spare digits.
@Test func payloadBoundIsNeverBelowTheEncodedPayload() {
    var rng = SeededGenerator(seed: 12345)
    let pieces = ["", "a", "县区-1", "\"", "\\", "\u{0}", "\u{1f}", "\n", "😀", "ticket.assign", String(repeating: "\u{1}", count: 40)]
    func text() -> String { (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined() }
    for _ in 0..<2_000 {
        let m = DataMessage(id: text(), seq: [0, 1, UInt64.max].randomElement(using: &rng)!, origin: text(), dest: text(),
                            kind: text(), body: Array("{\"x\":\"\(Int.random(in: 0...1_000_000, using: &rng))\"}".utf8),
                            at: [nil, 0, Int64.min, Int64.max].randomElement(using: &rng)!)
        let bound = DataMessage.payloadBound(id: m.id, origin: m.origin, dest: m.dest, kind: m.kind, bodyBytes: m.body.count)
        #expect(WireMessage.data(m).encode().count <= bound, "\(m)")
    }
    // The plain case: only the unused worst case is spare: five bytes a one-byte string, 19 digits a number.
    let plain = DataMessage(id: "i", seq: 1, origin: "o", dest: "d", kind: "k", body: Array("{}".utf8), at: 1)
    let size = WireMessage.data(plain).encode().count
    #expect(DataMessage.payloadBound(id: "i", origin: "o", dest: "d", kind: "k", bodyBytes: 2) - size == 5 * 4 + 3 * 19)
}
