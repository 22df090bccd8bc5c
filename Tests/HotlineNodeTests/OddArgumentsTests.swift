import Foundation
import Testing
import HotlineCore
import HotlineWire
@testable import HotlineNode

/// Every operator command at every kind of node, given odd arguments (seeded, so a failure replays): the node
/// answers, with a result or with an error that says something, and its database stays sound. A command that
/// trapped would take the daemon, and every link with it, down.
struct OddArgumentsTests {
    static let values = [
        "", " ", "\u{0}", "-", "--", "--data", "s1", "k", "c", "w", "d1", "nobody", "JN-20260302-000001", "JN-00000000-000000",
        "历下区/解放路街道", "历下区", "/", "噪声扰民", "供水", "phone", "complain", "lead", "0", "-1", "1", "3", "100000",
        "99999999999999999999", "9223372036854775807", "-9223372036854775808", "1.5", "2026-03", "2026-13", "0000-00", "2026-03-02", "2026-02-30", "2026-03-02T09:00:00+08:00",
        "9999-12-31T23:59:59+08:00", "tomorrow", "unit", "county", "district", "json", "csv", "html", "satisfied", "5",
        String(repeating: "长", count: 5_000), "'; DROP TABLE tickets; --", "../../etc/passwd", "%s%n", "\u{202E}abc",
    ]

    /// A documented example's words after the tool's name, without `--data DIR` (single quotes group words).
    static func words(of example: String) -> [String] {
        var words: [String] = [], current = "", quoted = false, started = false
        for c in example {
            if c == "'" { quoted.toggle(); started = true } else if c == " " && !quoted {
                if started { words.append(current) }
                current = ""; started = false
            } else { current.append(c); started = true }
        }
        if started { words.append(current) }
        var out = Array(words.dropFirst())
        if let i = out.firstIndex(of: "--data"), i + 1 < out.count { out.removeSubrange(i...(i + 1)) }
        return out
    }

    /// A documented example with one word changed to an odd value or dropped, or arguments made up from the flags.
    static func argv(for spec: CommandSpec, _ rng: inout Simulation.Rng) -> [String] {
        if let example = spec.examples.randomElement(using: &rng), Bool.random(using: &rng) {
            var argv = words(of: example)
            if argv.count > 1 {
                let i = Int.random(in: 1..<argv.count, using: &rng)
                if Int.random(in: 0..<4, using: &rng) == 0 { argv.remove(at: i) } else { argv[i] = values.randomElement(using: &rng)! }
            }
            return argv
        }
        var argv = [spec.name]
        if Bool.random(using: &rng) { argv.append(values.randomElement(using: &rng)!) }
        for option in spec.options where Int.random(in: 0..<3, using: &rng) == 0 {
            switch option.kind {
            case .flag: argv.append(option.name)
            case .value: argv += [option.name, values.randomElement(using: &rng)!]
            case .repeated:
                for _ in 0..<Int.random(in: 1...2, using: &rng) { argv += [option.name, values.randomElement(using: &rng)!] }
            }
        }
        if Int.random(in: 0..<8, using: &rng) == 0 { argv.append(values.randomElement(using: &rng)!) }
        return argv
    }

    @Test func oddArgumentsToEveryCommandAtEveryNodeAreAnsweredAndChangeNothingUnsound() throws {
        let (city, ticket) = try DataAtRestTests().assigned(to: "s1")
        let county = try NodeFixture(id: "k", role: .county)
        let unit = try NodeFixture(id: "s1", role: .unit)
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: ticket, for: "s1"), role: "lead"),
                         origin: "c", from: "k")
        var rng = Simulation.Rng(state: 4_242)
        var answered = 0, succeeded = 0
        // Nothing lands where the node runs (an odd value taken for a relative folder: `backup --out 1.5` did).
        let here = FileManager.default.currentDirectoryPath
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: here))
        for (node, role) in [(city, NodeKind.city), (county, .county), (unit, .unit)] {
            for handler in OperatorCommands.handlers(for: role) {
                for _ in 0..<25 {
                    let argv = Self.argv(for: handler.spec, &rng)
                    let response = try node.context.db.transaction {
                        try node.service.execute(AdminRequest(argv: argv, user: "operator", uid: 1000), now: node.now, links: { [] })
                    }
                    answered += 1
                    if response.exitCode == 0 { succeeded += 1 } else {
                        #expect(!response.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
                                "\(role.rawValue): \(argv) failed without saying why")
                    }
                }
            }
            #expect(try node.context.db.integrityCheck().isEmpty)
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: here)).subtracting(before).isEmpty)
        // Some odd arguments are valid ones: both answers must have been exercised.
        #expect(succeeded > 0 && succeeded < answered, "\(succeeded) of \(answered) succeeded")
    }
}
