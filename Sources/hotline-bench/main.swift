import Foundation
import HotlineNode

/// hotline-bench — measurements of the hotline network on this machine. Scenarios built so far: `kb` (knowledge-base
/// search over 50,000 entries). The transport and lifecycle scenarios of issue 8 are not built yet.
let usage = """
usage: hotline-bench [--scenario kb] [--quick] [--json] [--dir DIR]

  --scenario kb   knowledge-base search (知识库检索) over 50,000 generated entries (--quick: 5,000)
  --quick         small sizes, to check that the bench runs (CI)
  --json          print JSON for tools
  --dir DIR       where to put the benchmark database (default: a new folder under the system's temporary folder)

Scenarios hop, latency, lifecycle, catchup, memory, scale, peer and limits are not built yet.
"""
var args = Array(CommandLine.arguments.dropFirst())
func fail(_ text: String, _ code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data((text + "\n").utf8))
    exit(code)
}
if args.contains("--help") || args.contains("-h") { print(usage); exit(0) }
var scenario = "kb", quick = false, json = false
var dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hotline-bench-\(getpid())")
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--scenario": guard let v = args.first else { fail("--scenario needs a name\n\n" + usage) }; scenario = v; args.removeFirst()
    case "--quick": quick = true
    case "--json": json = true
    case "--dir": guard let v = args.first else { fail("--dir needs a folder") }; dir = URL(fileURLWithPath: v); args.removeFirst()
    default: fail("unknown option \(a)\n\n" + usage)
    }
}
guard scenario == "kb" else { fail("scenario \(scenario) is not built yet; this bench has: kb\n\n" + usage) }

let count = quick ? 5_000 : 50_000
let result: KnowledgeBenchmark.Result
do { result = try KnowledgeBenchmark.run(directory: dir, count: count, repeats: quick ? 21 : 101) } catch {
    fail("the kb scenario failed: \(error)", 1)
}
try? FileManager.default.removeItem(at: dir)
if json {
    let object: [String: Any] = [
        "scenario": "kb", "entries": result.entries, "loadSeconds": result.loadSeconds, "databaseBytes": result.databaseBytes,
        "queries": result.queries.map { ["query": $0.query, "hits": $0.hits, "medianMs": $0.medianMs, "p99Ms": $0.p99Ms, "maxMs": $0.maxMs] },
    ]
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
} else {
    print("knowledge-base search: \(result.entries) entries, loaded in \(String(format: "%.1f", result.loadSeconds)) s "
          + "(\(String(format: "%.0f", Double(result.entries) / max(result.loadSeconds, 0.001))) entries/s, one transaction), "
          + "database \(result.databaseBytes / 1_048_576) MB")
    print("query                                  hits   median ms   p99 ms   max ms")
    for q in result.queries {
        let label = q.query.count > 30 ? String(q.query.prefix(30)) : q.query
        let pad = String(repeating: " ", count: max(0, 38 - label.count * 2))
        print("\(label)\(pad) \(String(format: "%4d   %9.2f  %7.2f  %7.2f", q.hits, q.medianMs, q.p99Ms, q.maxMs))")
    }
}
