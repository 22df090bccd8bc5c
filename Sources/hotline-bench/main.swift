import Foundation
import HotlineNode
import HotlineNet

/// hotline-bench — how fast and how lean the network is on this machine, measured with real node processes on
/// loopback and durable storage as in production, side by side with a durable message broker (RabbitMQ) and the
/// machine's limits (fsyncs per second; the same path with storage switched off).
enum Bench {
    static let scenarios = ["hop", "latency", "lifecycle", "catchup", "memory", "scale", "peer", "limits", "codec", "kb"]
    static let usage = """
    usage: hotline-bench [--scenario NAME[,NAME…]] [--quick] [--json] [--insecure] [--dir DIR]

      --scenario      one or more of: hop latency lifecycle catchup memory scale peer limits codec kb (default: all but kb)
        hop           one durable hop: ~2 KB ticket messages, each committed at the receiving unit before its ack
        latency       dispatch → unit stored → automatic sign-for → centre applied, open loop at fixed rates
        lifecycle     whole tickets (intake … callback) across a city, two county stations and six units
        catchup       a backlog of 100,000 messages draining after an offline unit comes back
        memory        resident memory of each node idle and under the lifecycle load; time from start to ready
        scale         a city database with 1,000,000 tickets: show, list --overdue, a month's figures
        peer          RabbitMQ doing the hop's job durably (installed from Debian if missing, started and stopped)
        limits        the disk's fsyncs per second, and the hop with storage switched off
        codec         what JSON costs per message and per stored document, in one process
        kb            knowledge-base search (知识库检索) over 50,000 entries
      --quick         everything small, to check that the bench works (CI); goals are not judged on it
      --json          JSON for tools instead of the table
      --insecure      plaintext links (default: mutual TLS as in production, certificates from deploy/pki)
      --dir DIR       working folder (default: a new folder under the system's temporary folder; removed after)

    Each figure is a median of several runs where that makes sense; ratios compare the hop with the peer broker
    and with the storage-off limit. Chosen together (as by default), the hop, the peer and the limit take their
    batches in turn, and each ratio is the median of the rounds' ratios: the three share the same minutes of the
    machine. Before each of these batches the bench waits (at most 5 s) for the CPUs to go quiet.
    """

    struct Settings: Sendable {
        var quick = false
        var json = false
        var tls = true
        var dir: URL
    }

    static let appKinds: Set<String> = ["ticket.assign", "ticket.event", "ticket.sync", "notice", "kb.submit", "kb.entry", "kb.report"]

    static func fail(_ text: String, _ code: Int32 = 2) -> Never {
        FileHandle.standardError.write(Data((text + "\n").utf8))
        exit(code)
    }

    static func progress(_ text: String) {
        FileHandle.standardError.write(Data(("hotline-bench: " + text + "\n").utf8))
    }
}

Net.ignoreSigpipe()
var args = Array(CommandLine.arguments.dropFirst())
if args.contains("--help") || args.contains("-h") { print(Bench.usage); exit(0) }
if args.first == "--receiver" {
    guard args.count >= 2 else { Bench.fail("--receiver needs HOST:PORT") }
    Receiver.run(address: args[1], tlsDir: args.count >= 4 && args[2] == "--tls-dir" ? args[3] : nil)
}
var chosen: [String] = Bench.scenarios.filter { $0 != "kb" }
var settings = Bench.Settings(dir: URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hotline-bench-\(getpid())"))
var keepDir = false
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--scenario":
        guard let v = args.first else { Bench.fail("--scenario needs a name\n\n" + Bench.usage) }
        args.removeFirst()
        chosen = v.split(separator: ",").map(String.init)
        for name in chosen where !Bench.scenarios.contains(name) {
            Bench.fail("unknown scenario \(name); choose from: \(Bench.scenarios.joined(separator: " "))")
        }
    case "--quick": settings.quick = true
    case "--json": settings.json = true
    case "--insecure": settings.tls = false
    case "--dir":
        guard let v = args.first else { Bench.fail("--dir needs a folder") }
        args.removeFirst()
        settings.dir = URL(fileURLWithPath: v)
        keepDir = true
    default: Bench.fail("unknown option \(a)\n\n" + Bench.usage)
    }
}

let workingDir = settings.dir, removeWorkingDir = !keepDir
Interrupt.install { if removeWorkingDir { try? FileManager.default.removeItem(at: workingDir) } }
let figures = Scenarios(settings: settings).run(chosen)
if !keepDir { try? FileManager.default.removeItem(at: settings.dir) }
let machine: [String: Any] = ["cores": ProcessInfo.processInfo.activeProcessorCount,
                              "memoryBytes": ProcessInfo.processInfo.physicalMemory, "tls": settings.tls]
print(settings.json ? Report.json(figures.list, quick: settings.quick, machine: machine)
                    : Report.table(figures.list, quick: settings.quick))
exit(figures.failures.isEmpty ? 0 : 1)
