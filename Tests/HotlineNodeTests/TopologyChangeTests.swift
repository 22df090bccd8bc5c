import Foundation
import Testing
@testable import HotlineNode

/// A new topology file compared with the one a node runs with (`topology --check`): what changes, which of this
/// node's links, who must restart with it, and the files a node must refuse whatever its record holds.
struct TopologyChangeTests {
    static func edited(_ edit: (inout [[String: Any]]) -> Void) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(TopologyTests.valid.utf8)) as? [String: Any])
        var nodes = try #require(object["nodes"] as? [[String: Any]])
        edit(&nodes)
        let data = try JSONSerialization.data(withJSONObject: ["profile": "jinan-2018", "nodes": nodes])
        return String(decoding: data, as: UTF8.self)
    }

    static func topology(_ text: String) throws -> Topology { try Topology.load(data: Data(text.utf8)) }

    @Test func anAddedRemovedMovedAndRenamedNodeAreEachNamedWithTheLinksAndRestartsTheyNeed() throws {
        let old = try Self.topology(TopologyTests.valid)
        let new = try Self.topology(try Self.edited { nodes in
            nodes.removeAll { $0["id"] as? String == "d1" }                                  // 历下区住建局 leaves
            nodes.append(["id": "gas", "kind": "unit", "parent": "k", "name": "燃气公司", "areas": ["历下区"], "topics": ["燃气"]])
            if let i = nodes.firstIndex(where: { $0["id"] as? String == "w" }) { nodes[i]["parent"] = "k" }  // 水务 under the station
            if let i = nodes.firstIndex(where: { $0["id"] as? String == "s1" }) { nodes[i]["topics"] = ["噪声扰民", "市容环境"] }
        })
        let atStation = TopologyChange(from: old, to: new, node: "k")
        #expect(atStation.added.map(\.id) == ["gas"])
        #expect(atStation.removed.map(\.id) == ["d1"])
        #expect(atStation.moved.map(\.id) == ["w"] && atStation.moved.first?.from.parent == "c" && atStation.moved.first?.to.parent == "k")
        #expect(atStation.changed == [TopologyChange.Changed(id: "s1", fields: ["topics"])])
        #expect(atStation.linksAdded == ["w", "gas"] && atStation.linksRemoved == ["d1"])
        #expect(Set(atStation.leaving) == ["d1", "w"])
        #expect(atStation.affected == ["c", "k", "w", "gas"], "the centre routes by topics; k gains and loses children; w has a new parent")
        #expect(atStation.refusals.isEmpty)

        let atCentre = TopologyChange(from: old, to: new, node: "c")
        #expect(atCentre.linksAdded.isEmpty && atCentre.linksRemoved == ["w"])
        // s1 keeps its links: it needs the file at its next restart only.
        #expect(!atCentre.affected.contains("s1"))
    }

    @Test func theSameNetworkChangesNothingAndNeedsNoRestart() throws {
        let old = try Self.topology(TopologyTests.valid)
        let change = TopologyChange(from: old, to: try Self.topology(TopologyTests.valid), node: "s1")
        #expect(change.isEmpty && change.affected.isEmpty && change.leaving.isEmpty && change.refusals.isEmpty)
    }

    @Test func aFileWithoutThisNodeOrGivingItAnotherKindIsRefused() throws {
        let old = try Self.topology(TopologyTests.valid)
        let without = try Self.topology(try Self.edited { $0.removeAll { $0["id"] as? String == "s1" } })
        let gone = TopologyChange(from: old, to: without, node: "s1")
        #expect(gone.refusals.count == 1 && gone.refusals[0].contains("not in it"), "\(gone.refusals)")

        // The water company becomes a county station: a node's kind (and its schema) is fixed at init.
        let promoted = try Self.topology(try Self.edited { nodes in
            if let i = nodes.firstIndex(where: { $0["id"] as? String == "w" }) {
                nodes[i]["kind"] = "county"
                nodes[i]["listen"] = "127.0.0.1:7402"
            }
        })
        let atWater = TopologyChange(from: old, to: promoted, node: "w")
        #expect(atWater.refusals.count == 1 && atWater.refusals[0].contains("kind is fixed"), "\(atWater.refusals)")
        // Seen from its parent the same node is a new one at the end of the link.
        let atCentre = TopologyChange(from: old, to: promoted, node: "c")
        #expect(atCentre.refusals.isEmpty && atCentre.moved.map(\.id) == ["w"])
        #expect(atCentre.linksRemoved == ["w"] && atCentre.linksAdded == ["w"])
    }
}
