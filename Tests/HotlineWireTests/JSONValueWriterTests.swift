import Foundation
import Testing
import HotlineWire

/// `JSONValueWriter` writes the value `JSONSerialization` writes for the same tree, with members sorted.
struct JSONValueWriterTests {
    var tree: [String: Any] { [
        "id": "JN-20260302-000001", "text": "引号\" 反斜杠\\ 换行\n 控制\u{01}", "overdue": false, "closed": NSNull(),
        "count": 3, "big": Int64.max, "small": Int32.min, "unsigned": UInt64.max, "ratio": 0.25, "whole": 3.0,
        "tiny": 1e-7, "assisting": ["s1", "d1"], "empty": [String](), "nested": ["a": [1, 2], "b": ["c": true]] as [String: Any],
        "mixed": [1, "two", NSNull(), ["k": "v"]] as [Any], "number": NSNumber(value: 42),
        // Not the exact types the writer looks for first: they take its general casts.
        "nsString": NSString(string: "ns"), "typedMap": ["k": "v"] as [String: String], "typedInts": [1, 2] as [Int],
    ] }

    func same(_ ours: [UInt8], _ value: Any) throws -> Bool {
        let a = try JSONSerialization.jsonObject(with: Data(ours), options: [.fragmentsAllowed])
        let b = try JSONSerialization.jsonObject(with: JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]),
                                                 options: [.fragmentsAllowed])
        return NSDictionary(dictionary: ["v": a]).isEqual(to: ["v": b])
    }

    @Test func everyKindOfValueIsWrittenAsJSONSerializationWritesIt() throws {
        let ours = try #require(JSONValueWriter.encode(tree))
        #expect(try same(ours, tree))
        let text = String(decoding: ours, as: UTF8.self)
        #expect(text.hasPrefix(#"{"assisting":["s1","d1"],"big":9223372036854775807,"closed":null,"count":3,"#))
        #expect(text.hasSuffix(#""whole":3}"#) && text.contains(#""overdue":false"#) && text.contains(#""number":42"#))
        #expect(text.contains(#""text":"引号\" 反斜杠\\ 换行\n 控制\u0001""#))
        #expect(text.contains(#""nsString":"ns""#) && text.contains(#""typedMap":{"k":"v"}"#) && text.contains(#""typedInts":[1,2]"#))
    }

    @Test func scalarsAtTheTopLevelAndWhatJSONCannotHold() throws {
        #expect(JSONValueWriter.encode("a\"b").map { String(decoding: $0, as: UTF8.self) } == #""a\"b""#)
        #expect(JSONValueWriter.encode(true).map { String(decoding: $0, as: UTF8.self) } == "true")
        #expect(JSONValueWriter.encode(["x": Double.nan]) == nil)
        #expect(JSONValueWriter.encode(["x": Date()]) == nil, "JSONSerialization refuses a date too")
    }
}
