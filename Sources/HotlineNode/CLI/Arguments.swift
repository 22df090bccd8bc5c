import Foundation

/// One option of a command: `--to NODE` (value), `--json` (flag) or `--assist NODE` given several times (repeated).
struct OptionSpec: Sendable {
    enum Kind: Sendable { case value, flag, repeated }
    var name: String
    var kind: Kind
    var help: String

    static func value(_ name: String, _ help: String) -> OptionSpec { OptionSpec(name: name, kind: .value, help: help) }
    static func flag(_ name: String, _ help: String) -> OptionSpec { OptionSpec(name: name, kind: .flag, help: help) }
    static func repeated(_ name: String, _ help: String) -> OptionSpec { OptionSpec(name: name, kind: .repeated, help: help) }
}

/// A command's declaration: what it is called, what it does (English · 中文), its flags and examples. The
/// three executables are tables of these; help text and parsing both come from them.
struct CommandSpec: Sendable {
    var name: String
    var summary: String
    var usage: String
    var options: [OptionSpec]
    var examples: [String]
    /// Reads and never writes, and may read a lot (a month's bulletin on a large city): answered from a snapshot on
    /// its own read-only connection, off the work loop, so links and other operators do not wait for it.
    var readsOnly: Bool = false
    /// Writes nothing and has no effect outside the database: when the round it ran in fails to commit (a full disk),
    /// it is answered again on its own instead of failing with the round — `status` is how operators see the failure.
    var writesNothing: Bool = false
    /// Subcommands that only read, answered like `readsOnly` commands (`kb search`, `kb list`, `kb export` …); the
    /// command's other subcommands run on the work loop.
    var readOnlySubcommands: Set<String> = []
    /// Checks everything before its first write and then writes in one `TicketService.perform` (the lifecycle
    /// commands): it runs without a savepoint of its own, which cost 5 % of the lifecycle centre's instructions
    /// (SQLite copies each page the command changes into the savepoint's journal first). A refusal before it wrote
    /// has nothing to take back; one after takes the round back (`CommandTakenBack`).
    var decidesBeforeWriting: Bool = false

    /// Whether this invocation is answered from a snapshot beside the work loop.
    func readsOnly(_ args: ParsedArguments) -> Bool {
        readsOnly || args.positional(0).map(readOnlySubcommands.contains) == true
    }

    func help(tool: String) -> String {
        let body = usage.hasPrefix(name) ? usage : "\(name) \(usage)"
        var lines = ["\(tool) \(name) — \(summary)", "", "usage: \(tool) \(body)\(body.contains("--data") ? "" : " --data DIR")", ""]
        if !options.isEmpty {
            let width = max(options.map { $0.name.count + ($0.kind == .flag ? 0 : 6) }.max() ?? 0, "--data DIR".count) + 2
            lines.append("options:")
            for o in options {
                let label = o.kind == .flag ? o.name : "\(o.name) VALUE"
                lines.append("  " + label.padding(toLength: max(width, label.count + 1), withPad: " ", startingAt: 0) + o.help)
            }
            lines.append("  --data DIR".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "the node's data directory")
            lines.append("")
        }
        if !examples.isEmpty {
            lines.append("examples:")
            lines += examples.map { "  " + $0.replacingOccurrences(of: "{tool}", with: tool) }
        }
        return lines.joined(separator: "\n")
    }
}

/// The parsed command line of one command.
struct ParsedArguments: Sendable {
    fileprivate(set) var valueMap: [String: [String]] = [:]
    fileprivate(set) var flagSet: Set<String> = []
    fileprivate(set) var positionals: [String] = []

    func value(_ name: String) -> String? { valueMap[name]?.last }
    func values(_ name: String) -> [String] { valueMap[name] ?? [] }
    func flag(_ name: String) -> Bool { flagSet.contains(name) }
    func positional(_ i: Int) -> String? { i < positionals.count ? positionals[i] : nil }

    func int(_ name: String) throws(ArgumentError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let n = Int(text) else { throw .notANumber(option: name, value: text) }
        return n
    }
}

enum ArgumentError: Error, CustomStringConvertible, Equatable {
    case unknownOption(String, suggestion: String?)
    case missingValue(String)
    case notANumber(option: String, value: String)
    /// `option` is nil for a value given without an option (a ticket id, a file).
    case tooLong(option: String?, characters: Int)

    var description: String {
        switch self {
        case .tooLong(let o, let n):
            return "\(o.map { "the value of \($0)" } ?? "an argument") has \(n) characters; at most "
                + "\(ArgumentParser.maxValueCharacters) are accepted: shorten it (a long document goes to the case file, not the ticket)"
        case .unknownOption(let o, let s): return "unknown option \(o)" + (s.map { "; did you mean \($0)?" } ?? "")
        case .missingValue(let o): return "\(o) needs a value"
        case .notANumber(let o, let v): return "\(o) needs a whole number, not \(v)"
        }
    }
}

enum ArgumentParser {
    /// Options the tool itself handles on every command.
    static let common: [OptionSpec] = [.value("--data", "data directory"), .flag("--json", "print JSON"),
                                       .flag("--help", "show help")]

    /// The longest value accepted, in characters (a request's text, a reply, a note; ids and names are far shorter).
    /// Every value is stored with its ticket and travels in each of the ticket's messages, whose frames are limited
    /// (`maxFrameBytes`); one without a bound could make a ticket that cannot be sent.
    static let maxValueCharacters = 10_000

    /// Parses `--flag`, `--name value`, `--name=value` and positionals (a lone `--` ends the options).
    static func parse(_ argv: [String], spec: CommandSpec) throws(ArgumentError) -> ParsedArguments {
        // A command has a handful of options: searched in place. A dictionary of them, built for every command,
        // was a tenth of running one at the centre (perf, hotline-bench lifecycle). A command's own option of a
        // common name comes first, as it did when it replaced the common one in that dictionary.
        func known(_ name: String) -> OptionSpec? {
            spec.options.last { $0.name == name } ?? common.last { $0.name == name }
        }
        var result = ParsedArguments()
        var i = 0
        var optionsEnded = false
        while i < argv.count {
            let arg = argv[i]
            i += 1
            guard !optionsEnded, arg.utf8.count > 2, arg.utf8.starts(with: "--".utf8) else {
                if arg == "--" { optionsEnded = true } else {
                    try checkLength(arg, option: nil)
                    result.positionals.append(arg)
                }
                continue
            }
            var name = arg
            var inline: String?
            if let eq = arg.utf8.firstIndex(of: UInt8(ascii: "=")) {
                name = String(arg[..<eq])
                inline = String(arg[arg.utf8.index(after: eq)...])
            }
            guard let option = known(name) else {
                let names = Set((common + spec.options).map(\.name))
                throw .unknownOption(name, suggestion: suggest(name, among: Array(names)))
            }
            switch option.kind {
            case .flag:
                result.flagSet.insert(name)
            case .value, .repeated:
                let value: String
                if let inline { value = inline } else {
                    guard i < argv.count else { throw .missingValue(name) }
                    value = argv[i]
                    i += 1
                }
                try checkLength(value, option: name)
                result.valueMap[name, default: []].append(value)
            }
        }
        return result
    }

    private static func checkLength(_ value: String, option: String?) throws(ArgumentError) {
        // Counting characters walks the text: only when its bytes could hold more than the limit.
        guard value.utf8.count > maxValueCharacters else { return }
        let n = value.count
        if n > maxValueCharacters { throw .tooLong(option: option, characters: n) }
    }

    /// The closest known name by edit distance, when it is close enough to be a typo.
    static func suggest(_ word: String, among names: [String]) -> String? {
        var best: (name: String, distance: Int)?
        for name in names.sorted() {
            let d = distance(word, name)
            if best == nil || d < best!.distance { best = (name, d) }
        }
        guard let best, best.distance <= max(2, word.count / 3) else { return nil }
        return best.name
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where j <= b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                let edit: Int = Swift.min(previous[j] + 1, current[j - 1] + 1)
                current[j] = Swift.min(edit, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
