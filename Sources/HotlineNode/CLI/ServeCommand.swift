import Foundation
@preconcurrency import Glibc

/// `hotline-<role> serve --data DIR`: runs the node until SIGTERM or SIGINT; SIGHUP reloads the certificate.
enum ServeCommand {
    static let spec = CommandSpec(
        name: "serve", summary: "run the node · 运行节点", usage: "serve --data DIR",
        options: [], examples: ["{tool} serve --data /var/lib/hotline/NODE"])

    static func run(role: NodeKind, _ args: ParsedArguments) -> Never {
        guard let data = args.value("--data") else { HotlineTool.fail("serve needs --data DIR", code: 2) }
        let log = Log(node: "-")
        let daemon: NodeDaemon
        do {
            let context = try NodeContext(dir: URL(fileURLWithPath: data), log: log)
            guard context.role == role else {
                HotlineTool.fail("\(data) holds a \(context.role.rawValue) node: run hotline-\(context.role.rawValue) serve", code: 2)
            }
            log.node = context.nodeId
            daemon = try NodeDaemon(context: context)
            try daemon.start()
        } catch {
            log.error("start-failed", ["error": "\(error)"])
            exit(1)
        }
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        let queue = DispatchQueue(label: "hotline-signals")
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            let s = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            s.setEventHandler {
                log.info("shutdown", ["signal": sig == SIGTERM ? "TERM" : "INT"])
                daemon.stop()
            }
            s.resume()
            sources.append(s)
        }
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hup.setEventHandler { daemon.reloadTLS() }
        hup.resume()
        sources.append(hup)
        daemon.waitUntilStopped()
        withExtendedLifetime(sources) {}
        exit(0)
    }
}
