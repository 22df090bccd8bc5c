// libFuzzer target: JSONStreamDecoder, which reads every body a peer sends, side by side with Foundation's
// JSONDecoder on any bytes: it must never crash; what it accepts JSONDecoder accepts, to the same value; and what
// it refuses that JSONDecoder accepts is not valid JSON (JSONDecoder does not look inside values a type skips, so
// it lets e.g. bad UTF-8 in an unread member through; this decoder is strict everywhere).
// Built by deploy/fuzz/run.sh together with Sources/HotlineCore and Sources/HotlineWire (one module), never by SwiftPM.
import Foundation

private struct Sample: Codable, Equatable {
    enum Colour: String, Codable { case red, green }
    var text: String?
    var n: Int?
    var big: UInt64?
    var small: Int8?
    var x: Double?
    var on: Bool?
    var colour: Colour?
    var list: [Int?]?
    var nested: [String: [String]]?
    var inner: [Sample]?
}

private func same<T: Decodable & Equatable>(_ type: T.Type, _ bytes: [UInt8]) {
    let ours = try? JSONStreamDecoder.decode(type, from: bytes)
    let theirs = try? JSONDecoder().decode(type, from: Data(bytes))
    let what = "JSONStreamDecoder \(String(describing: ours)) / JSONDecoder \(String(describing: theirs)) for \(type) from \(String(decoding: bytes, as: UTF8.self))"
    if ours != nil {
        precondition(ours == theirs, what)
    } else if theirs != nil {
        precondition((try? JSONTape.parse(bytes)) == nil, "refused valid JSON: " + what)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    same(Sample.self, bytes)
    same([String: Double].self, bytes)
    same([String].self, bytes)
    same(TicketEvent.self, bytes)
    same(Ticket.self, bytes)
    return 0
}
