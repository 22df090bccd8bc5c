import Foundation
import HotlineNet
import HotlineWire

/// An operator command as it travels over the admin socket: the command line after the tool name, and the
/// operating-system user of the socket's peer (SO_PEERCRED, filled in by the daemon, never by the client).
struct AdminRequest: Sendable {
    var argv: [String]
    var user: String
    var uid: UInt32

    /// Read by hand: through the `Decodable` containers a request's few strings cost ~17,000 instructions.
    private struct Form: Decodable, JSONObjectDecodable {
        var argv: [String]
        init(json: JSONObjectReader) throws { argv = try json.strings("argv") }
    }

    static func decode(_ bytes: [UInt8]) -> [String]? {
        (try? JSONStreamDecoder.decode(Form.self, from: bytes))?.argv
    }

    static func encode(argv: [String]) -> [UInt8] {
        JSONValueWriter.encode(["argv": argv]) ?? Array("{}".utf8)
    }
}

/// The daemon's answer: a line or table for people, a JSON value for scripts (`--json`), an exit status.
struct AdminResponse: Sendable {
    var exitCode: Int32
    var text: String
    /// A JSONSerialization-compatible value for scripts, written to bytes (by `JSONValueWriter`) only when read:
    /// on the admin connection's thread, not on the work loop that answered (where writing every answer was a
    /// sixteenth of the city's loop in hotline-bench latency).
    private var value: AnswerValue?
    var json: [UInt8]? { value?.bytes }
    /// A document for the client to write to `--out` (or print): the monthly bulletin. The daemon never writes
    /// files where an operator names them; the operator's own process does, with the operator's rights.
    var content: String?
    /// Several documents for the client to write under the folder the operator named (relative path → text):
    /// a page of the public knowledge-base site (`KnowledgeExport`).
    var files: [String: String]?

    init(exitCode: Int32, text: String, json: Any?) {
        self.exitCode = exitCode
        self.text = text
        value = json.map(AnswerValue.init)
    }

    static func success(text: String, json: Any?) -> AdminResponse {
        AdminResponse(exitCode: 0, text: text, json: json)
    }

    /// A success whose JSON `build` writes on the admin connection's thread, from values it captured: for an
    /// answer that is a pure function of a ticket (the loop made the summary of every ticket it changed, a
    /// twentieth of the lifecycle centre's loop).
    static func success(text: String, buildingJSON build: @escaping @Sendable () -> [UInt8]) -> AdminResponse {
        var response = AdminResponse(exitCode: 0, text: text, json: nil)
        response.value = AnswerValue(building: build)
        return response
    }

    static func document(_ content: String, text: String, json: Any?) -> AdminResponse {
        var response = success(text: text, json: json)
        response.content = content
        return response
    }

    static func failure(_ message: String, exitCode: Int32 = 1) -> AdminResponse {
        AdminResponse(exitCode: exitCode, text: message, json: ["error": message])
    }

    /// `{"exit": N, "text": "…", "json": …, "content": "…", "files": {…}}`. The `json` value is already serialized
    /// and is spliced in as it is: parsing it back only to serialize it again was a tenth of a unit's work under
    /// load (hotline-bench lifecycle profile).
    func encode() -> [UInt8] {
        var object: [String: Any] = ["exit": Int(exitCode), "text": text]
        // Base64, so the bytes arrive exactly (a leading byte-order mark does not survive every JSON parser).
        if let content { object["content"] = Data(content.utf8).base64EncodedString() }
        if let files { object["files"] = files.mapValues { Data($0.utf8).base64EncodedString() } }
        guard var out = JSONValueWriter.encode(object) else {
            return Array(#"{"exit":1,"text":"encoding failed"}"#.utf8)
        }
        if let json, !json.isEmpty, out.last == UInt8(ascii: "}") {
            out.removeLast()
            out.append(contentsOf: #","json":"#.utf8)
            out.append(contentsOf: json)
            out.append(UInt8(ascii: "}"))
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> (exit: Int32, text: String, json: Any?, content: String?, files: [String: String])? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        let exit = Int32((object["exit"] as? Int) ?? 1)
        let content = (object["content"] as? String).flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        var files: [String: String] = [:]
        for (path, value) in object["files"] as? [String: String] ?? [:] {
            if let data = Data(base64Encoded: value) { files[path] = String(decoding: data, as: UTF8.self) }
        }
        return (exit, object["text"] as? String ?? "", object["json"], content, files)
    }
}

/// The admin socket's side of a request: hand it to the work loop and wait for the answer (the loop answers after
/// its commit, so an operator never sees a result that is not durable).
enum AdminEndpoint {
    static func handle(request: [UInt8], peer: PeerCredentials, loop: WorkLoop<NodeInput>,
                       snapshot: SnapshotCommands? = nil) -> [UInt8] {
        guard let argv = AdminRequest.decode(request) else {
            return AdminResponse.failure("the admin request is not {\"argv\": [...]}; use the hotline-* command", exitCode: 2).encode()
        }
        let admin = AdminRequest(argv: argv, user: peer.userName, uid: peer.uid)
        if let answer = snapshot?.answer(admin) { return answer.encode() }
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        loop.post(.admin(admin, reply: { response in
            box.set(response)
            done.signal()
        }))
        guard done.wait(timeout: .now() + .seconds(120)) == .success, let response = box.get() else {
            return AdminResponse.failure("the daemon did not answer within 120 s; see its log").encode()
        }
        return response.encode()
    }
}

/// An answer's JSON value, handed from the work loop to the admin thread. The loop builds the value and never
/// touches it again; the tree holds values (strings, numbers, arrays, dictionaries) and immutable objects only,
/// and the hand-over itself goes through `ResponseBox`'s lock. Hence the `@unchecked`.
private final class AnswerValue: @unchecked Sendable {
    private let value: Any?
    private let build: (@Sendable () -> [UInt8])?
    init(_ value: Any) {
        self.value = value
        build = nil
    }
    init(building build: @escaping @Sendable () -> [UInt8]) {
        value = nil
        self.build = build
    }
    var bytes: [UInt8]? {
        if let build { return build() }
        return value.flatMap(JSONValueWriter.encode)
    }
}

private final class ResponseBox: @unchecked Sendable {
    // `lock` guards `value`.
    private let lock = NSLock()
    private var value: AdminResponse?
    func set(_ v: AdminResponse) { lock.withLock { value = v } }
    func get() -> AdminResponse? { lock.withLock { value } }
}
