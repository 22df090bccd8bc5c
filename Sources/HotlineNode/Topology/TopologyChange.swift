/// What a new topology file changes for one node of the network, before it is installed there (`topology --check`):
/// the nodes added, removed, moved (another parent or kind) and otherwise changed, and which of them this node must
/// see finished with first. Pure: the command adds what the node's own record says (open tickets, queued messages).
struct TopologyChange {
    struct Moved: Equatable {
        var id: String
        var from: TopologyNode
        var to: TopologyNode
    }

    /// One node whose name, address, areas or topics differ; `fields` names them.
    struct Changed: Equatable {
        var id: String
        var fields: [String]
    }

    let node: String
    let added: [TopologyNode]
    let removed: [TopologyNode]
    let moved: [Moved]
    let changed: [Changed]
    /// This node's links that the new file removes, and those it adds (a new parent or child).
    let linksRemoved: [String]
    let linksAdded: [String]
    /// Why the file cannot be this node's at all, whatever its record holds: it leaves this node out, or gives it
    /// another kind (a node's kind is fixed when it is initialised, and so is its schema).
    let refusals: [String]

    /// The nodes that must run with the new file for the change to work, in the new file's order: each node whose
    /// links change (an added, removed or moved node, its old and new parent) and the centre, which routes by every
    /// node's areas and topics and names them to operators. The others may install it at their next restart.
    let affected: [String]

    var isEmpty: Bool { added.isEmpty && removed.isEmpty && moved.isEmpty && changed.isEmpty }

    /// The nodes whose work must be over before the change, as far as this node's record can show it: those that
    /// leave the network or move in the tree (the tickets they hold were sent along their old path, which the new
    /// file no longer has), and this node itself when its own parent changes.
    var leaving: [String] {
        removed.map(\.id) + moved.map(\.id)
    }

    init(from old: Topology, to new: Topology, node: String) {
        self.node = node
        added = new.nodes.filter { old.node($0.id) == nil }
        removed = old.nodes.filter { new.node($0.id) == nil }
        var moved: [Moved] = [], changed: [Changed] = []
        for before in old.nodes {
            guard let after = new.node(before.id) else { continue }
            if before.kind != after.kind || before.parent != after.parent {
                moved.append(Moved(id: before.id, from: before, to: after))
                continue
            }
            var fields: [String] = []
            if before.name != after.name { fields.append("name") }
            if before.listen != after.listen { fields.append("listen") }
            if before.areas != after.areas { fields.append("areas") }
            if before.topics != after.topics { fields.append("topics") }
            if !fields.isEmpty { changed.append(Changed(id: before.id, fields: fields)) }
        }
        self.moved = moved
        self.changed = changed
        func links(_ t: Topology) -> Set<String> {
            Set((t.parent(of: node).map { [$0.id] } ?? []) + t.children(of: node).map(\.id))
        }
        let oldLinks = links(old), newLinks = new.node(node) == nil ? [] : links(new)
        // A neighbour that changes kind keeps its place but is a new node at the other end of the link.
        let renewed = Set(moved.filter { $0.from.kind != $0.to.kind }.map(\.id))
        linksRemoved = old.nodes.map(\.id).filter { oldLinks.contains($0) && (!newLinks.contains($0) || renewed.contains($0)) }
        linksAdded = new.nodes.map(\.id).filter { newLinks.contains($0) && (!oldLinks.contains($0) || renewed.contains($0)) }
        var refusals: [String] = []
        if let mine = old.node(node) {
            if let theirs = new.node(node) {
                if theirs.kind != mine.kind {
                    refusals.append("it makes this node (\(node)) a \(theirs.kind.rawValue), and it is a \(mine.kind.rawValue): a node's kind is fixed when it is initialised; initialise a new node for the new place")
                }
            } else {
                refusals.append("this node (\(node)) is not in it: a node that leaves the network is stopped once its work is over, not given a topology without it")
            }
        }
        self.refusals = refusals
        var affected = Set<String>()
        for n in added { affected.formUnion([n.id] + (n.parent.map { [$0] } ?? [])) }
        for n in removed { affected.formUnion(n.parent.map { [$0] } ?? []) }
        for m in moved { affected.formUnion([m.id] + [m.from.parent, m.to.parent].compactMap { $0 }) }
        if !(added.isEmpty && removed.isEmpty && moved.isEmpty && changed.isEmpty), let city = new.city { affected.insert(city.id) }
        self.affected = new.nodes.map(\.id).filter(affected.contains)
    }
}
