import Foundation
import Testing
@testable import HotlineNode

/// Topology files: what is accepted, how routing chooses, and that every refusal names the node and the field.
struct TopologyTests {
    static let valid = """
    {"profile": "jinan-2018", "nodes": [
      {"id": "c", "kind": "city", "parent": null, "name": "市热线", "listen": "127.0.0.1:7400"},
      {"id": "k", "kind": "county", "parent": "c", "name": "历下区工作站", "listen": "127.0.0.1:7401", "areas": ["历下区"]},
      {"id": "s1", "kind": "unit", "parent": "k", "name": "解放路街道", "areas": ["历下区/解放路街道"], "topics": ["噪声扰民"]},
      {"id": "d1", "kind": "unit", "parent": "k", "name": "历下区住建局", "areas": ["历下区"], "topics": ["噪声扰民", "建筑施工"]},
      {"id": "w", "kind": "unit", "parent": "c", "name": "水务集团", "areas": ["*"], "topics": ["供水"]}
    ]}
    """

    func load(_ text: String) throws(TopologyError) -> Topology { try Topology.load(data: Data(text.utf8)) }

    func refusal(_ text: String) -> String {
        do {
            _ = try load(text)
            return "accepted"
        } catch {
            return error.description
        }
    }

    @Test func validTopologyGivesTreePathsAndCounties() throws {
        let t = try load(Self.valid)
        #expect(t.city?.id == "c")
        #expect(t.parent(of: "s1")?.id == "k")
        #expect(t.children(of: "k").map(\.id).sorted() == ["d1", "s1"])
        #expect(t.nextHop(from: "c", to: "s1") == "k")
        #expect(t.nextHop(from: "s1", to: "w") == "k")
        #expect(t.nextHop(from: "w", to: "s1") == "c")
        #expect(t.county(of: "s1") == "k")
        #expect(t.county(of: "w") == nil)
        #expect(t.isInSubtree("s1", of: "k"))
        #expect(!t.isInSubtree("w", of: "k"))
        #expect(t.allAddressesAreLoopback)
    }

    /// Who may relay what is decided by `isInSubtree` on every message; it walks up from the node without building
    /// the ancestry, and must answer as the ancestry does for every pair, unknown ids included.
    @Test func aNodeIsInTheSubtreeOfExactlyItsAncestorsAndItself() throws {
        let t = try load(Self.valid)
        let ids = ["c", "k", "s1", "d1", "w", "nobody", ""]
        var inside = 0
        for a in ids {
            for b in ids {
                #expect(t.isInSubtree(a, of: b) == t.ancestry(of: a).contains(b), "\(a) under \(b)")
                if t.isInSubtree(a, of: b) { inside += 1 }
            }
        }
        // c: 1; k: 2; s1, d1: 3 each; w: 2.
        #expect(inside == 11)
    }

    @Test func routingPrefersTheMostSpecificUnitForTheTopicThenCityWideUnitsThenTheCounty() throws {
        let t = try load(Self.valid)
        #expect(try t.route(area: "历下区/解放路街道", topic: "噪声扰民").nodeId == "s1")
        #expect(try t.route(area: "历下区/泉城路街道", topic: "噪声扰民").nodeId == "d1")
        #expect(try t.route(area: "历下区/解放路街道", topic: "供水").nodeId == "w")
        #expect(try t.route(area: "历下区/解放路街道", topic: "教育").nodeId == "k")
        #expect(throws: TopologyError.self) { try t.route(area: "市中区/大观园街道", topic: "教育") }
    }

    @Test func refusalsNameTheNodeAndTheField() {
        #expect(refusal("not json").contains("not valid JSON"))
        #expect(refusal(#"{"nodes": 3}"#).contains("\"nodes\""))
        #expect(refusal(Self.valid.replacingOccurrences(of: #""parent": "k", "name": "解放路街道""#,
                                                        with: #""parent": "kk", "name": "解放路街道""#))
                .contains("node s1, field \"parent\""))
        #expect(refusal(Self.valid.replacingOccurrences(of: #""id": "w", "kind": "unit""#, with: #""id": "w", "kind": "agency""#))
                .contains("node w, field \"kind\""))
        #expect(refusal(Self.valid.replacingOccurrences(of: #""id": "d1""#, with: #""id": "s1""#)).contains("s1 appears twice"))
        #expect(refusal(Self.valid.replacingOccurrences(of: #""id": "w""#, with: #""id": "Water Co""#)).contains("node Water Co, field \"id\""))
        #expect(refusal(Self.valid.replacingOccurrences(of: #", "listen": "127.0.0.1:7401""#, with: ""))
                .contains("node k, field \"listen\""))
        #expect(refusal(Self.valid.replacingOccurrences(of: "127.0.0.1:7401", with: "127.0.0.1:7400")).contains("share the listen address"))
        #expect(refusal(Self.valid.replacingOccurrences(of: "127.0.0.1:7401", with: "127.0.0.1:99999")).contains("field \"listen\""))
        #expect(refusal(Self.valid.replacingOccurrences(of: #""kind": "city""#, with: #""kind": "county""#)).contains("city"))
        // A unit under a unit: the tree has at most three levels.
        #expect(refusal(Self.valid.replacingOccurrences(of: #""parent": "c", "name": "水务集团""#, with: #""parent": "s1", "name": "水务集团""#))
                .contains("node w, field \"parent\""))
    }

    @Test func nonLoopbackAddressesAreDetected() throws {
        let t = try load(Self.valid.replacingOccurrences(of: "127.0.0.1:7401", with: "10.1.2.3:7401"))
        #expect(!t.allAddressesAreLoopback)
    }

    @Test func exampleTopologyInDeployIsValidAndModelsACity() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/topology.example.json")
        let t = try Topology.load(file: url)
        #expect(t.nodes.filter { $0.kind == .county }.count >= 3)
        #expect(t.nodes.filter { $0.kind == .unit }.count >= 10)
        #expect(try t.route(area: "历下区/解放路街道", topic: "供水").nodeId == "jn-water")
    }
}

/// The operators' command line: flags, values, typos.
struct ArgumentTests {
    let spec = CommandSpec(name: "dispatch", summary: "", usage: "dispatch ID [--to NODE]",
                           options: [.value("--to", ""), .repeated("--assist", ""), .flag("--urgent", "")], examples: [])

    @Test func parsesValuesFlagsRepeatsAndPositionals() throws {
        let a = try ArgumentParser.parse(["JN-1", "--to", "k", "--assist", "w", "--assist=s1", "--urgent", "--", "--x"], spec: spec)
        #expect(a.positional(0) == "JN-1")
        #expect(a.positional(1) == "--x")
        #expect(a.value("--to") == "k")
        #expect(a.values("--assist") == ["w", "s1"])
        #expect(a.flag("--urgent"))
        #expect(!a.flag("--json"))
    }

    @Test func unknownOptionSuggestsTheClosestAndMissingValueIsNamed() {
        #expect(throws: ArgumentError.unknownOption("--asist", suggestion: "--assist")) {
            try ArgumentParser.parse(["--asist", "w"], spec: spec)
        }
        #expect(throws: ArgumentError.missingValue("--to")) { try ArgumentParser.parse(["JN-1", "--to"], spec: spec) }
        #expect(ArgumentParser.suggest("--zzzzzzzz", among: ["--to"]) == nil)
    }

    @Test func aValueOfMoreThanTenThousandCharactersIsRefusedWithItsOptionNamed() throws {
        let limit = ArgumentParser.maxValueCharacters
        // Counted in characters, not bytes: 10,000 Chinese characters (30,000 bytes) are accepted.
        let longest = String(repeating: "长", count: limit)
        #expect(try ArgumentParser.parse(["--to", longest, longest], spec: spec).value("--to") == longest)
        #expect(try ArgumentParser.parse(["--to=" + longest], spec: spec).value("--to") == longest)
        #expect(throws: ArgumentError.tooLong(option: "--to", characters: limit + 1)) {
            try ArgumentParser.parse(["--to", longest + "a"], spec: spec)
        }
        #expect(throws: ArgumentError.tooLong(option: "--to", characters: limit + 1)) {
            try ArgumentParser.parse(["--to=" + longest + "a"], spec: spec)
        }
        #expect(throws: ArgumentError.tooLong(option: nil, characters: limit + 1)) {
            try ArgumentParser.parse([longest + "a"], spec: spec)
        }
        #expect(ArgumentError.tooLong(option: "--text", characters: 12_000).description
                    == "the value of --text has 12000 characters; at most 10000 are accepted: shorten it (a long document goes to the case file, not the ticket)")
    }

    @Test func numbersAreCheckedWhenRead() throws {
        let s = CommandSpec(name: "x", summary: "", usage: "", options: [.value("--days", "")], examples: [])
        #expect(try ArgumentParser.parse(["--days", "5"], spec: s).int("--days") == 5)
        #expect(throws: ArgumentError.notANumber(option: "--days", value: "five")) {
            try ArgumentParser.parse(["--days", "five"], spec: s).int("--days")
        }
    }

    @Test func durationsForTheManualClock() throws {
        #expect(try DurationParser.milliseconds("2h") == 7_200_000)
        #expect(try DurationParser.milliseconds("1d12h") == 129_600_000)
        #expect(try DurationParser.milliseconds("90m") == 5_400_000)
        for bad in ["", "h", "2", "2x", "-1h", "0h", "99999999999999999d", "3651d"] {
            #expect(throws: DurationError.self, "\(bad)") { try DurationParser.milliseconds(bad) }
        }
    }

    @Test func tablesLineUpChineseText() {
        let out = Table.render(header: ["名称", "n"], rows: [["水务集团", "1"], ["ab", "22"]])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(Table.width("水务集团") == 8)
        // The second column starts at the same display column on every row.
        let starts = lines.filter { !$0.hasPrefix("-") }.map { line -> Int in
            var w = 0
            for ch in line { if ch == " " && w >= 8 { break }; w += Table.width(String(ch)) }
            return w
        }
        #expect(Set(starts).count == 1)
    }

    @Test func aVeryLongCellIsCutInTheTableAndTheLastColumnIsShownWhole() {
        let long = String(repeating: "长", count: 5_000)
        let out = Table.render(header: ["类别", "区域", "说明"], rows: [[long, "历下区", long], ["供水", "\(long) ", "x"]])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        // The first two columns at most `widest` wide each, the last one whole.
        #expect(lines[2].hasPrefix(String(repeating: "长", count: Table.widest / 2 - 1) + "… "))
        #expect(lines[2].hasSuffix(long))
        let cut = Table.cut(long, to: Table.widest)
        #expect(Table.width(cut) <= Table.widest && Table.width(cut) >= Table.widest - 1)
        #expect(lines[3] == "供水" + String(repeating: " ", count: Table.width(cut) - 4) + "  " + cut + "  x")
        #expect(lines.allSatisfy { $0.last?.isWhitespace != true }, "no padding after the last cell")
        #expect(Table.cut("水务集团", to: 8) == "水务集团" && Table.cut("水务集团", to: 7) == "水务集…")
    }
}

/// node.json: defaults for fields an older file lacks, and refusals that name the field.
struct NodeConfigTests {
    @Test func olderConfigWithoutNewFieldsGetsDefaults() throws {
        let c = try JSONDecoder().decode(NodeConfig.self, from: Data(#"{"nodeId": "s1", "role": "unit"}"#.utf8))
        #expect(c.heartbeatSeconds == 5 && c.deadAfterSeconds == 15 && c.redialCapSeconds == 30)
        #expect(c.synchronous == "full" && c.clock == "system" && !c.insecure)
        #expect(c.window == 2048)
    }

    @Test func badValuesAreRefusedNamingTheField() {
        for (json, field) in [(#"{"nodeId": "s1", "role": "unit", "clock": "sundial"}"#, "clock"),
                              (#"{"nodeId": "s1", "role": "unit", "heartbeatSeconds": 10, "deadAfterSeconds": 5}"#, "deadAfterSeconds"),
                              (#"{"nodeId": "s1", "role": "unit", "window": 0}"#, "window")] {
            do {
                _ = try JSONDecoder().decode(NodeConfig.self, from: Data(json.utf8))
                Issue.record("accepted \(json)")
            } catch {
                #expect("\(error)".contains(field))
            }
        }
    }
}
