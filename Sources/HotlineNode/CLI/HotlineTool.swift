import Foundation
import HotlineNet
@preconcurrency import Glibc

/// The entry point of `hotline-city`, `hotline-county` and `hotline-unit`: `init` and `serve` run here; every
/// other command is sent to the running daemon over DIR/admin.sock and its answer printed.
public enum HotlineTool {
    public static func main(role: NodeKind) -> Never {
        var argv = Array(CommandLine.arguments.dropFirst())
        // `--data DIR` and `--json` may also come before the command: `hotline-city --data DIR list`.
        var leading: [String] = []
        while let first = argv.first, first == "--data" || first.hasPrefix("--data=") || first == "--json" {
            leading.append(argv.removeFirst())
            if first == "--data", !argv.isEmpty { leading.append(argv.removeFirst()) }
        }
        let tool = "hotline-\(role.rawValue)"
        let commands = OperatorCommands.handlers(for: role).map(\.spec)
        guard let name = argv.first, !["-h", "--help", "help"].contains(name) else {
            if argv.count > 1, let spec = (commands + [InitCommand.spec, ServeCommand.spec, NodeRestore.spec]).first(where: { $0.name == argv[1] }) {
                print(spec.help(tool: tool))
            } else {
                print(overview(role: role, commands: commands))
            }
            exit(0)
        }
        if name == "--version" || name == "version" {
            print("\(tool) \(HotlineVersion.string) (link protocol 1)")
            exit(0)
        }
        let rest = Array(argv.dropFirst()) + leading
        let all = commands + [InitCommand.spec, ServeCommand.spec, NodeRestore.spec]
        guard let spec = all.first(where: { $0.name == name }) else {
            let hint = ArgumentParser.suggest(name, among: all.map(\.name)).map { " Did you mean \($0)?" } ?? ""
            fail("unknown command \(name).\(hint) See: \(tool) --help", code: 2)
        }
        if rest.contains("--help") || rest.contains("-h") {
            print(spec.help(tool: tool))
            exit(0)
        }
        let args: ParsedArguments
        do { args = try ArgumentParser.parse(rest, spec: spec) } catch {
            fail("\(error)\nsee: \(tool) \(name) --help", code: 2)
        }
        switch name {
        case "init":
            do { print(try InitCommand.run(role: role, args)) } catch { fail("init failed: \(error)", code: 1) }
            exit(0)
        case "serve":
            ServeCommand.run(role: role, args)
        case "restore":
            do { print(try NodeRestore.run(role: role, args)) } catch { fail("restore failed: \(error)", code: 1) }
            exit(0)
        default:
            guard let data = args.value("--data") ?? ProcessInfo.processInfo.environment["HOTLINE_DATA"] else {
                fail("\(name) needs --data DIR (the node's data directory), or HOTLINE_DATA set", code: 2)
            }
            var forward = rest
            // A file to submit is read here, with the operator's rights, and travels in the request.
            if name == "kb", args.positional(0) == "submit" {
                guard let path = args.positional(1) else { fail("kb submit needs a FILE, e.g. kb submit entry.md", code: 2) }
                guard let data = FileManager.default.contents(atPath: path) else {
                    fail("cannot read \(path): check the path and that you may read it", code: 1)
                }
                forward += ["--content-base64", data.base64EncodedString()]
            }
            // So is a topology or calendar file to check or install: the daemon may not read where the operator keeps it.
            if name == "topology" || name == "calendar", let path = args.value("--check") ?? args.value("--install") {
                guard let data = FileManager.default.contents(atPath: path) else {
                    fail("cannot read \(path): check the path and that you may read it", code: 1)
                }
                forward += ["--content-base64", data.base64EncodedString()]
                // The name the answer, the log and the audit give it: where the operator's file is.
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                forward = forward.map { $0 == path ? absolute : $0 }
            }
            // The daemon writes a backup itself, from its own working directory: the folder is made absolute here.
            if name == "backup", let out = args.value("--out") {
                forward.removeAll { $0.hasPrefix("--out=") }
                if let i = forward.firstIndex(of: "--out"), i + 1 < forward.count { forward.removeSubrange(i...i + 1) }
                forward += ["--out", URL(fileURLWithPath: out).standardizedFileURL.path]
            }
            if let i = forward.firstIndex(of: "--data") { forward.removeSubrange(i...min(i + 1, forward.count - 1)) }
            forward.removeAll { $0.hasPrefix("--data=") }
            let socket = URL(fileURLWithPath: data).appendingPathComponent("admin.sock").path
            // A command on the work loop answers within the daemon's 120 s; a read-only one (a bulletin of a
            // large city) runs beside the loop for as long as it reads.
            let timeout: Int64 = spec.readsOnly(args) ? 3_600_000 : 130_000
            func ask(_ argv: [String]) throws -> KnowledgeExport.Answer {
                let bytes = try UnixSocketClient.request(path: socket, bytes: AdminRequest.encode(argv: argv), timeoutMilliseconds: timeout)
                guard let decoded = AdminResponse.decode(bytes) else { throw KnowledgeExport.Refused("the daemon's answer was unreadable") }
                return decoded
            }
            if name == "kb", args.positional(0) == "export", role == .city, let folder = args.value("--public") {
                exportSite(folder: folder, json: args.flag("--json"), ask: ask)
            }
            let response: [UInt8]
            do {
                response = try UnixSocketClient.request(path: socket, bytes: AdminRequest.encode(argv: [name] + forward),
                                                        timeoutMilliseconds: timeout)
            } catch {
                fail("\(error)", code: 1)
            }
            guard let decoded = AdminResponse.decode(response) else { fail("the daemon's answer was unreadable", code: 1) }
            if decoded.exit == 0, let content = decoded.content {
                deliver(content, to: args.value("--out"), summary: decoded.text, json: args.flag("--json") ? decoded.json : nil)
            }
            // `status --check` and `topology --check FILE` answer with their verdict in the exit status: what it found is the answer, on stdout,
            // whatever the status (a monitoring system reads stdout).
            let verdict = (name == "status" && args.flag("--check")) || (name == "topology" && args.value("--check") != nil)
            if args.flag("--json"), let json = decoded.json,
               let data = try? JSONSerialization.data(withJSONObject: json,
                                                      options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]) {
                let out = String(decoding: data, as: UTF8.self)
                if decoded.exit == 0 || verdict { print(out) } else { FileHandle.standardError.write(Data((out + "\n").utf8)) }
            } else if decoded.exit == 0 || verdict {
                print(decoded.text)
            } else {
                FileHandle.standardError.write(Data("\(tool) \(name): \(decoded.text)\n".utf8))
            }
            exit(decoded.exit)
        }
    }

    static func overview(role: NodeKind, commands: [CommandSpec]) -> String {
        let tool = "hotline-\(role.rawValue)"
        let title: String
        switch role {
        case .city: title = "the city's hotline centre (市热线工作机构): intake, dispatch, decisions, callback, figures"
        case .county: title = "a county station (县区工作站): forward inside the county, or handle tickets itself"
        case .unit: title = "a handling unit's gateway (承办单位): sign, return, extend, progress, reply"
        }
        var lines = ["\(tool) — \(title)", "", "usage: \(tool) COMMAND [options] --data DIR", "",
                     "  init       prepare a node's data directory once",
                     "  serve      run the node (a service file runs: \(tool) serve --data DIR)",
                     "  restore    put a backup back in place, with the node stopped · 恢复备份", ""]
        let width = (commands.map(\.name.count).max() ?? 8) + 3
        for c in commands { lines.append("  " + c.name.padding(toLength: width, withPad: " ", startingAt: 0) + c.summary) }
        lines += ["", "Every command prints a line or table for people, and JSON with --json.",
                  "Help on one command: \(tool) COMMAND --help"]
        return lines.joined(separator: "\n")
    }

    /// Writes a document the daemon produced to `--out` (whole or not at all: `.atomic` writes a temporary file and
    /// renames it into place), or prints it when no file is named.
    static func deliver(_ content: String, to out: String?, summary: String, json: Any?) -> Never {
        guard let out else {
            FileHandle.standardOutput.write(Data(content.utf8))
            exit(0)
        }
        let url = URL(fileURLWithPath: out)
        do { try Data(content.utf8).write(to: url, options: .atomic) } catch {
            fail("cannot write \(out): \(error.localizedDescription); check that the folder exists and is writable", code: 1)
        }
        let written = "wrote \(url.path) (\(content.utf8.count / 1024 + 1) KB)"
        if let json, var object = json as? [String: Any] {
            object["path"] = url.path
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
                print(String(decoding: data, as: UTF8.self))
            }
        } else {
            print(summary.isEmpty ? written : "\(summary)\n\(written)")
        }
        exit(0)
    }

    /// `kb export --public DIR`: the site a page at a time, written by this process (see `KnowledgeExport`).
    static func exportSite(folder: String, json: Bool, ask: ([String]) throws -> KnowledgeExport.Answer) -> Never {
        let summary: KnowledgeExport.Summary
        do { summary = try KnowledgeExport.run(folder: folder, ask: ask) } catch {
            fail("hotline-city kb export: \(error)", code: 1)
        }
        let index = URL(fileURLWithPath: summary.path).appendingPathComponent("index.html").path
        if json {
            let object: [String: Any] = ["path": summary.path, "entries": summary.entries, "files": summary.entries + 1]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
                print(String(decoding: data, as: UTF8.self))
            }
        } else {
            print("\(summary.entries) public entries, \(summary.entries + 1) files written to \(summary.path) (open \(index))")
        }
        exit(0)
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        exit(code)
    }
}

public enum HotlineVersion {
    public static let string = "0.1.0"
}
