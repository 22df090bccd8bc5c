import Foundation
import Testing
@testable import HotlineWire

/// One file of protocols/vectors/.
struct GoldenVector: CustomTestStringConvertible, Sendable {
    let name: String
    let frame: [UInt8]
    /// The meaning, re-serialised (JSON objects compare as dictionaries, so key order does not matter).
    let meaning: Data?
    let error: String?
    let canonical: Bool

    var testDescription: String { name }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("protocols/vectors")

    static func all() -> [GoldenVector] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().compactMap { file in
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path),
                  let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let name = doc["name"] as? String, let hex = doc["hex"] as? String
            else { return nil }
            let meaning = (doc["message"] as? [String: Any]).flatMap { try? JSONSerialization.data(withJSONObject: $0) }
            return GoldenVector(name: name, frame: bytes(hex: hex), meaning: meaning, error: doc["error"] as? String,
                                canonical: doc["canonical"] as? Bool ?? false)
        }
    }

    private static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count - 1, by: 2).compactMap {
            UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)
        }
    }
}

/// Runs a frame through the decoder exactly as a link does.
private func decodeFrame(_ frame: [UInt8]) throws(WireError) -> WireMessage? {
    var decoder = FrameDecoder()
    decoder.append(frame)
    guard let payload = try decoder.nextFrame() else { return nil }
    return try WireMessage.decode(payload, knownKinds: testKinds)
}

/// The meaning of a decoded message in the vectors' JSON form.
private func meaning(of message: WireMessage) throws -> NSDictionary {
    var object = try #require(try JSONSerialization.jsonObject(with: Data(message.encode())) as? [String: Any])
    if case let .data(data) = message {
        object["body"] = try JSONSerialization.jsonObject(with: Data(data.body))
    }
    return object as NSDictionary
}

@Test func thereAreGoldenVectorsOfEveryKind() {
    let vectors = GoldenVector.all()
    #expect(vectors.count >= 20)
    let types = Set(vectors.compactMap { v in v.meaning.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }?["type"] as? String })
    #expect(types == ["hello", "ack", "heartbeat", "error", "data"])
    let codes = Set(vectors.compactMap(\.error))
    #expect(codes.isSuperset(of: ["zero-length", "frame-too-large", "invalid-utf8", "invalid-json", "unknown-type",
                                  "unknown-kind", "missing-field", "version-unsupported"]))
}

@Test(arguments: GoldenVector.all())
func decoderMatchesGoldenVector(vector: GoldenVector) throws {
    if let expectedError = vector.error {
        #expect(throws: WireError.self) { try decodeFrame(vector.frame) }
        do {
            _ = try decodeFrame(vector.frame)
        } catch {
            #expect(error.code.rawValue == expectedError)
        }
        return
    }
    let message = try #require(try decodeFrame(vector.frame))
    let meaningData = try #require(vector.meaning)
    let expected = try #require(try JSONSerialization.jsonObject(with: meaningData) as? NSDictionary)
    #expect(try meaning(of: message) == expected)
}

@Test(arguments: GoldenVector.all().filter(\.canonical))
func encoderReproducesGoldenVectorByteForByte(vector: GoldenVector) throws {
    let message = try #require(try decodeFrame(vector.frame))
    #expect(message.encodeFrame() == vector.frame)
}

@Test func encoderBuildsTheHelloVectorFromFields() throws {
    let vector = try #require(GoldenVector.all().first { $0.name == "hello-full" })
    let hello = Hello(id: "c1-1", node: "city", versions: [1, 2], lastReceived: 41, clock: 1_795_478_400_000, role: "city")
    #expect(WireMessage.hello(hello).encodeFrame() == vector.frame)
}
