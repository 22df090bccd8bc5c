import Foundation
import Testing
import HotlineWire
@testable import HotlineNode

/// The admin socket's response frame: what the operator's tool reads must be what the daemon answered.
struct AdminProtocolTests {
    /// Each argument is the JSON the daemon answers with: an object with Chinese text and escapes, a nested
    /// array, a bare string, a number.
    @Test(arguments: [#"{"id": "JN-20260302-000001", "status": "signed", "text": "夜间施工\"噪音\"\n扰民"}"#,
                      #"[{"a": 1}, {"b": [true, false]}]"#, #""只是一段文字""#, "42"])
    func responseCarriesItsJSONValueExactly(_ text: String) throws {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        let response = AdminResponse.success(text: "JN-20260302-000001: signed → signed (水务集团 w)", json: value)
        let decoded = try #require(AdminResponse.decode(response.encode()))
        #expect(decoded.exit == 0 && decoded.text == response.text)
        let expected = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
        let actual = try JSONSerialization.data(withJSONObject: try #require(decoded.json), options: [.fragmentsAllowed, .sortedKeys])
        #expect(actual == expected)
    }

    @Test func documentAndFailureResponsesSurviveTheFrame() throws {
        var document = AdminResponse.document("\u{FEFF}月通报,1\r\n", text: "written", json: ["rows": 1])
        document.files = ["index.html": "<p>知识库</p>"]
        let decoded = try #require(AdminResponse.decode(document.encode()))
        #expect(decoded.content == "\u{FEFF}月通报,1\r\n" && decoded.files == ["index.html": "<p>知识库</p>"])
        #expect((decoded.json as? [String: Any])?["rows"] as? Int == 1)
        let failure = try #require(AdminResponse.decode(AdminResponse.failure("no ticket X", exitCode: 3).encode()))
        #expect(failure.exit == 3 && failure.text == "no ticket X" && (failure.json as? [String: Any])?["error"] as? String == "no ticket X")
    }

    /// A JSON value made on the admin thread from what the loop captured answers the same as one made at once.
    @Test func aJSONValueBuiltLaterIsTheSameAnswer() throws {
        @Sendable func value() -> [String: Any] {
            ["id": "JN-20260302-000001", "assisting": ["s1", "d1"], "closed": NSNull(), "stars": 5]
        }
        let now = AdminResponse.success(text: "t", json: value())
        let later = AdminResponse.success(text: "t", buildingJSON: { JSONValueWriter.encode(value()) ?? [] })
        #expect(later.encode() == now.encode())
        let decoded = try #require(AdminResponse.decode(later.encode()))
        #expect((decoded.json as? [String: Any])?["assisting"] as? [String] == ["s1", "d1"])
    }

    /// The request frame: `{"argv": [strings]}` and nothing else is a request.
    @Test func aRequestIsAnArgvOfStrings() {
        #expect(AdminRequest.decode(AdminRequest.encode(argv: ["show", "JN-20260302-000001", "--json"]))
                == ["show", "JN-20260302-000001", "--json"])
        #expect(AdminRequest.decode(Array(#"{"argv": [], "extra": 1}"#.utf8)) == [])
        for bad in [#"{"argv": ["a", 1]}"#, #"{"argv": "show"}"#, #"{"argv": null}"#, #"{}"#, #"["argv"]"#, "argv", ""] {
            #expect(AdminRequest.decode(Array(bad.utf8)) == nil, "\(bad)")
        }
    }
}
