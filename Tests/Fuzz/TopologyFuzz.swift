// libFuzzer target: the topology loader (one JSON file shared by every node).
// Built by deploy/fuzz/run.sh together with Sources/HotlineNode/Topology (one module), never by SwiftPM.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTopology(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let t = try? Topology.load(data: Data(bytes: data, count: size)) else { return 0 }
    for n in t.nodes {
        _ = t.county(of: n.id)
        for m in t.nodes { _ = t.nextHop(from: n.id, to: m.id) }
        _ = try? t.route(area: n.areas.first ?? "", topic: n.topics.first ?? "")
    }
    return 0
}
