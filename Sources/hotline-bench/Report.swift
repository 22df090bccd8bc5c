import Foundation

/// One measured figure as the bench reports it: the value with its unit, how it was obtained, the goal of
/// issue 8 it answers (if any) and its ratios to the peer broker and to the machine's limit.
struct Figure {
    var scenario: String
    var name: String
    var value: Double
    var unit: String
    /// "median of 5 runs", "p99 of 5,000 tickets"…
    var how: String
    var goal: Goal?
    var ratios: [(String, Double)] = []
    /// More numbers of the same measurement for tools (percentiles…), in the JSON only.
    var extra: [String: Double] = [:]

    struct Goal {
        enum Kind { case atLeast, atMost }
        var kind: Kind
        var bound: Double
        var text: String
        func met(_ v: Double) -> Bool { kind == .atLeast ? v >= bound : v <= bound }
    }

    var json: [String: Any] {
        var o: [String: Any] = ["scenario": scenario, "name": name, "value": value, "unit": unit, "how": how]
        if let goal { o["goal"] = goal.text; o["met"] = goal.met(value) }
        if !ratios.isEmpty { o["ratios"] = Dictionary(ratios, uniquingKeysWith: { a, _ in a }) }
        if !extra.isEmpty { o["extra"] = extra }
        return o
    }
}

enum Report {
    static func table(_ figures: [Figure], quick: Bool) -> String {
        var rows: [[String]] = [["scenario", "figure", "value", "how", "goal", "ratios"]]
        for f in figures {
            let goal = f.goal.map { (quick ? "(quick) " : "") + $0.text + ($0.met(f.value) ? " ✓" : " ✗ MISSED") } ?? ""
            rows.append([f.scenario, f.name, format(f.value) + " " + f.unit, f.how, goal,
                         f.ratios.map { "\($0.0) \(String(format: "%.2f", $0.1))×" }.joined(separator: ", ")])
        }
        let widths = (0..<rows[0].count).map { c in rows.map { width($0[c]) }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in cell + String(repeating: " ", count: widths[c] - width(cell)) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    static func json(_ figures: [Figure], quick: Bool, machine: [String: Any]) -> String {
        let object: [String: Any] = ["quick": quick, "machine": machine, "figures": figures.map(\.json)]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func format(_ v: Double) -> String {
        if v >= 100 { return String(format: "%.0f", v) }
        if v >= 10 { return String(format: "%.1f", v) }
        return String(format: "%.2f", v)
    }

    /// Columns as a terminal shows them: a Chinese character takes two.
    private static func width(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x2E80 && $1.value != 0x2713 && $1.value != 0x2717 ? 2 : 1) }
    }
}

enum Stats {
    static func median(_ xs: [Double]) -> Double { percentile(xs, 50) }

    /// Nearest-rank percentile.
    static func percentile(_ xs: [Double], _ p: Double) -> Double {
        guard !xs.isEmpty else { return .nan }
        let sorted = xs.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
