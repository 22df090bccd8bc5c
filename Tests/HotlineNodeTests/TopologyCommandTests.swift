import Foundation
import Testing
import HotlineCore
@testable import HotlineNode

/// `topology --check FILE` and `--install FILE`: a new network file is compared with the node's record, refused while
/// a node that leaves or moves still holds open tickets or queued messages, and otherwise installed whole for the
/// node's next start, the file before it kept.
struct TopologyCommandTests {
    func ask(_ daemon: NodeDaemon, _ argv: [String], file: String? = nil) throws -> AdminResponse {
        let answers = RoundTakenBackTests.Answers()
        let content = file.map { ["--content-base64", Data($0.utf8).base64EncodedString()] } ?? []
        _ = daemon.drain([.admin(AdminRequest(argv: argv + content, user: "operator", uid: 1000), reply: { answers.add($0) })])
        return try #require(answers.all.first)
    }

    func topologyFile(_ node: NodeFixture) -> URL { node.context.dir.appendingPathComponent("topology.json") }

    @Test func aUnitLeavingWhileItHoldsATicketIsRefusedAndTheFileStaysAsItWas() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let ticket = try city.intake()
        try city.perform(.dispatch(lead: "w", assisting: [], tier: nil), on: ticket.id)
        let daemon = try NodeDaemon(context: city.context)
        let before = try Data(contentsOf: topologyFile(city))
        let withoutWater = try TopologyChangeTests.edited { $0.removeAll { $0["id"] as? String == "w" } }

        let check = try ask(daemon, ["topology", "--check", "/etc/hotline/new.json"], file: withoutWater)
        #expect(check.exitCode == 1)
        #expect(check.text.contains("removed  w 水务集团"), "\(check.text)")
        #expect(check.text.contains("- w leaves the network, and w holds 1 open ticket(s) (\(ticket.id))"), "\(check.text)")
        #expect(check.text.contains("- 1 message(s) wait on the link to w"), "\(check.text)")
        let bytes = try #require(check.json)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(json["installable"] as? Bool == false && (json["blocking"] as? [String])?.count == 2)

        let install = try ask(daemon, ["topology", "--install", "/etc/hotline/new.json"], file: withoutWater)
        #expect(install.exitCode != 0 && install.text.contains("nothing was installed"), "\(install.text)")
        #expect(try Data(contentsOf: topologyFile(city)) == before)
        #expect(!FileManager.default.fileExists(atPath: city.context.dir.appendingPathComponent("topology.json.previous").path))
    }

    @Test func aNodeJoiningIsInstalledForTheNextStartAndTheFileBeforeItIsKept() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let daemon = try NodeDaemon(context: city.context)
        let before = try Data(contentsOf: topologyFile(city))
        let withGas = try TopologyChangeTests.edited {
            $0.append(["id": "gas", "kind": "unit", "parent": "k", "name": "燃气公司", "areas": ["历下区"], "topics": ["燃气"]])
        }

        let check = try ask(daemon, ["topology", "--check", "/etc/hotline/new.json"], file: withGas)
        #expect(check.exitCode == 0)
        #expect(check.text.contains("added    gas 燃气公司 (unit under k)") && check.text.contains("restart, for the change to work: c, k, gas"),
                "\(check.text)")
        #expect(try Data(contentsOf: topologyFile(city)) == before, "a check writes nothing")

        let install = try ask(daemon, ["topology", "--install", "/etc/hotline/new.json"], file: withGas)
        #expect(install.exitCode == 0, "\(install.text)")
        #expect(try Data(contentsOf: topologyFile(city)) == Data(withGas.utf8))
        #expect(try Data(contentsOf: city.context.dir.appendingPathComponent("topology.json.previous")) == before)
        #expect(city.log.contains { $0.contains("event=topology-installed") && $0.contains("added=1") })
        let audit = try city.context.db.query("SELECT command, fields FROM audit WHERE command = 'topology'")
        #expect(audit.count == 1 && audit.first?.string(1) == "installed:/etc/hotline/new.json")

        // Until the node starts again it runs with the old network, and says a new one waits.
        #expect(city.context.topology.node("gas") == nil)
        let status = try ask(daemon, ["status", "--check"])
        #expect(status.exitCode == 1 && status.text.contains("a new topology file is installed and not yet in use"), "\(status.text)")
        #expect(try ask(daemon, ["topology"]).text.contains("a new topology file is installed and is used from the next start"))

        // The next start reads it.
        let restarted = try NodeContext(dir: city.context.dir, log: Log(node: "c", sink: { _ in }))
        #expect(restarted.topology.node("gas")?.parent == "k")
        #expect(!TopologyCommand.installedAndWaiting(restarted))
    }

    @Test func aUnitMovingToAnotherParentWhileItHoldsATicketAndOwesItsParentAMessageIsRefused() throws {
        let ticket = try DataAtRestTests().assigned(to: "s1").1
        let unit = try NodeFixture(id: "s1", role: .unit)
        try unit.deliver(.ticketAssign, body: AssignBody(ticket: Privacy.view(of: ticket, for: "s1"), role: "lead"), origin: "c", from: "k")
        try unit.perform(.sign, on: ticket.id)  // the sign-for waits on the link to the station
        let daemon = try NodeDaemon(context: unit.context)
        let underTheCentre = try TopologyChangeTests.edited { nodes in
            if let i = nodes.firstIndex(where: { $0["id"] as? String == "s1" }) { nodes[i]["parent"] = "c" }
        }
        let check = try ask(daemon, ["topology", "--check", "new.json"], file: underTheCentre)
        #expect(check.exitCode == 1)
        #expect(check.text.contains("moved    s1 解放路街道: unit under k → unit under c") && check.text.contains("this node's links: +c -k"),
                "\(check.text)")
        #expect(check.text.contains("- 1 message(s) wait on the link to k"), "\(check.text)")
        #expect(check.text.contains("- s1 moves in the tree, and s1 holds 1 open ticket(s) (\(ticket.id))"), "\(check.text)")
    }

    @Test func aNodeWithoutTLSRefusesAFileWithAnAddressOffLoopback() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let daemon = try NodeDaemon(context: city.context)
        let remote = try TopologyChangeTests.edited { nodes in
            if let i = nodes.firstIndex(where: { $0["id"] as? String == "k" }) { nodes[i]["listen"] = "10.20.1.10:7401" }
        }
        let check = try ask(daemon, ["topology", "--check", "new.json"], file: remote)
        #expect(check.exitCode == 1)
        #expect(check.text.contains("changed  k: listen") && check.text.contains("without TLS (--insecure)"), "\(check.text)")
        #expect(!check.text.contains("note: the file names the profile"), "the same profile")
        let otherProfile = TopologyTests.valid.replacingOccurrences(of: "jinan-2018", with: "tonghua-2021")
        let note = try ask(daemon, ["topology", "--check", "new.json"], file: otherProfile)
        #expect(note.exitCode == 0 && note.text.contains("note: the file names the profile tonghua-2021; this node runs jinan-2018"),
                "\(note.text)")
    }

    @Test func aBrokenFileIsRefusedWithWhatIsWrongAndNothingIsWritten() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let daemon = try NodeDaemon(context: city.context)
        let before = try Data(contentsOf: topologyFile(city))
        let answer = try ask(daemon, ["topology", "--install", "new.json"], file: #"{"nodes": [{"id": "x", "kind": "unit"}]}"#)
        #expect(answer.exitCode != 0 && answer.text.hasPrefix("new.json: "), "\(answer.text)")
        #expect(try Data(contentsOf: topologyFile(city)) == before)
    }
}

/// After a node left the network, the centre's record still names it on tickets it once worked on (an assisting
/// unit, the lead of a closed ticket): the centre's later steps on those tickets go to the nodes still there.
struct NodeThatLeftTests {
    @Test func theCentreDecidesOnATicketWhoseAssistingUnitLeftTheNetwork() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let ticket = try city.intake()
        try city.perform(.dispatch(lead: "s1", assisting: ["w"], tier: nil), on: ticket.id)
        // The water company leaves: the new file is installed and the centre starts again with it.
        let withoutWater = try TopologyChangeTests.edited { $0.removeAll { $0["id"] as? String == "w" } }
        try TopologyCommand.installFile(Data(withoutWater.utf8), in: city.context.dir)
        let restarted = try NodeContext(dir: city.context.dir, log: Log(node: "c", sink: { _ in }))
        let service = TicketService(context: restarted)
        let queuedForStation = try restarted.links.pendingCount(link: "k")

        let supervised = try restarted.db.transaction {
            try service.perform(.supervise(form: "written", reason: "超期未办结"), on: try service.repository.load(ticket.id), now: restarted.clock.now).0
        }
        #expect(supervised.events.last?.type == .supervised)
        #expect(try restarted.links.pendingCount(link: "k") == queuedForStation + 1, "the lead unit s1 hears of it through its station")
    }

    @Test func theCentreArchivesAFinishedTicketWhoseUnitLeftTheNetwork() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let ticket = try city.intake()
        try city.perform(.dispatch(lead: "w", assisting: [], tier: nil), on: ticket.id)
        try city.perform(.terminate(reason: "三次联系不上", evidence: "通话记录"), on: ticket.id)
        let daemon = try NodeDaemon(context: city.context)
        // The ticket is finished: the water company may leave once its queue is delivered (here nothing was).
        let withoutWater = try TopologyChangeTests.edited { $0.removeAll { $0["id"] as? String == "w" } }
        let answers = RoundTakenBackTests.Answers()
        _ = daemon.drain([.admin(AdminRequest(argv: ["topology", "--check", "new.json", "--content-base64", Data(withoutWater.utf8).base64EncodedString()],
                                              user: "operator", uid: 1000), reply: { answers.add($0) })])
        let check = try #require(answers.all.first)
        #expect(!check.text.contains("open ticket") && check.text.contains("wait on the link to w"), "\(check.text)")

        try TopologyCommand.installFile(Data(withoutWater.utf8), in: city.context.dir)
        let restarted = try NodeContext(dir: city.context.dir, log: Log(node: "c", sink: { _ in }))
        let service = TicketService(context: restarted)
        let archived = try restarted.db.transaction {
            try service.perform(.archive, on: try service.repository.load(ticket.id), now: restarted.clock.now).0
        }
        #expect(archived.status == .archived)
    }

    /// The knowledge base keeps a departed unit's entries: an error report about one is recorded (no one to tell),
    /// and its submission waiting for review can still be decided.
    @Test func theCentreTakesAnErrorReportAndDecidesASubmissionOfAUnitThatLeft() throws {
        let city = try NodeFixture(id: "c", role: .city)
        var submitted = KnowledgeEntry(id: "outage", version: 1, title: "停水通知", body: "计划停水提前公告。", topic: "供水",
                                       areas: [], owner: "w")
        submitted.status = .submitted
        var approved = submitted
        approved.id = "hotline"
        approved.status = .approved
        try city.context.db.transaction {
            try city.service.knowledge.store(submitted)
            try city.service.knowledge.store(approved)
        }
        let withoutWater = try TopologyChangeTests.edited { $0.removeAll { $0["id"] as? String == "w" } }
        try TopologyCommand.installFile(Data(withoutWater.utf8), in: city.context.dir)
        let restarted = try NodeContext(dir: city.context.dir, log: Log(node: "c", sink: { _ in }))
        let service = TicketService(context: restarted)
        let report = KnowledgeReport(id: "r1", entry: "hotline", text: "电话已变更", at: restarted.clock.now, by: "s1")
        try restarted.db.transaction { try service.receiveReport(report, now: restarted.clock.now) }
        let rejected = try restarted.db.transaction {
            try service.decide(entry: "outage", version: nil, approve: false, note: "缺少依据", now: restarted.clock.now)
        }
        #expect(rejected.status == .rejected)
        #expect(try restarted.db.query("SELECT count(*) FROM kb_reports").first?.int(0) == 1)
    }
}

/// `init --force` rewrites a node's configuration; the network of a node that holds tickets changes only through
/// `topology --install`, which checks that none of them is stranded.
struct InitForceTests {
    func initAgain(_ node: NodeFixture, topology: String) throws -> String {
        let file = node.dir.appendingPathComponent("again.json")
        try Data(topology.utf8).write(to: file)
        let args = try ArgumentParser.parse(["--topology", file.path, "--id", node.context.nodeId, "--data", node.context.dir.path,
                                             "--insecure", "--force"], spec: InitCommand.spec)
        return try InitCommand.run(role: node.context.role, args)
    }

    @Test func initForceKeepsTheNetworkOfANodeHoldingTicketsAndSendsTheOperatorToTopologyInstall() throws {
        let city = try NodeFixture(id: "c", role: .city)
        let withoutWater = try TopologyChangeTests.edited { $0.removeAll { $0["id"] as? String == "w" } }
        // No ticket yet: a new node may be given another network.
        #expect(try initAgain(city, topology: withoutWater).hasPrefix("initialised"))
        #expect(try initAgain(city, topology: TopologyTests.valid).hasPrefix("initialised"))

        _ = try city.intake()
        let before = try Data(contentsOf: city.context.dir.appendingPathComponent("topology.json"))
        #expect {
            try initAgain(city, topology: withoutWater)
        } throws: { error in
            "\(error)".contains("topology --install") && "\(error)".contains("holds tickets")
        }
        #expect(try Data(contentsOf: city.context.dir.appendingPathComponent("topology.json")) == before)
        // The same network: the configuration is written again, as for a damaged file.
        #expect(try initAgain(city, topology: TopologyTests.valid).hasPrefix("initialised"))
    }
}

/// A unit moved under a county station keeps its finished tickets, which the station never held: the centre's later
/// step on one (here `archive`) reaches the unit through the station, which asks the centre for the record it lacks.
struct MovedNodeTests {
    @Test func aUnitMovedUnderAStationGetsTheCentresLaterStepOnItsFinishedTicketThroughIt() throws {
        let sim = try Simulation(seed: 7)
        sim.faultsOn = false
        func settle(_ done: () -> Bool) {
            var steps = 0
            while !(done() && sim.pending() == 0) && steps < 50_000 {
                sim.step()
                steps += 1
            }
        }
        var id: String?
        sim.command("c", ["intake", "--channel", "phone", "--kind", "complain", "--area", "历下区/解放路街道", "--topic", "供水",
                          "--text", "停水三天"]) { r in
            if let json = r?.json, let o = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] { id = o["id"] as? String }
        }
        settle { id != nil }
        let ticket = try #require(id)
        sim.command("c", ["dispatch", ticket, "--to", "w"]) { _ in }
        settle { sim.ticket(ticket, at: "w") != nil }
        sim.command("c", ["terminate", ticket, "--reason", "三次联系不上", "--evidence", "通话记录"]) { _ in }
        settle { sim.ticket(ticket, at: "w")?.status == .terminated }
        #expect(sim.ticket(ticket, at: "w")?.status == .terminated)
        #expect(sim.ticket(ticket, at: "k") == nil)

        // The water company moves under the station: the same new file at every node, each restarted with it.
        let moved = Simulation.topology.replacingOccurrences(of: #""id": "w", "kind": "unit", "parent": "c""#,
                                                             with: #""id": "w", "kind": "unit", "parent": "k""#)
        #expect(moved != Simulation.topology)
        for node in sim.nodes.keys.sorted() {
            let dir = try #require(sim.nodes[node]).dir
            try TopologyCommand.installFile(Data(moved.utf8), in: dir)
            sim.crash(node)
            try sim.start(node)
        }
        sim.parents["w"] = "k"

        sim.command("c", ["archive", ticket]) { _ in }
        settle { sim.ticket(ticket, at: "w")?.status == .archived }
        #expect(sim.ticket(ticket, at: "c")?.status == .archived)
        #expect(sim.ticket(ticket, at: "w")?.status == .archived, "the unit's copy follows the centre's record")
        #expect(sim.ticket(ticket, at: "k")?.status == .archived, "the station took the centre's record of what it relays")
        #expect(sim.pending() == 0)
    }
}
