/// The differences between two flow documents, member by member, with a summary by state: what a reviewer reads
/// before publishing or rolling back.
public struct FlowDiff: Sendable, Hashable, Codable {
    /// One difference.
    public struct Change: Sendable, Hashable, Codable {
        /// `added`, `removed` or `changed`.
        public var op: String
        /// Where, as a JSON pointer into the documents.
        public var pointer: String
        /// The value before, for `removed` and `changed`.
        public var from: FlowValue?
        /// The value after, for `added` and `changed`.
        public var to: FlowValue?
    }

    /// Every difference, in document order.
    public var changes: [Change]
    /// States only in the newer document.
    public var statesAdded: [String]
    /// States only in the older document.
    public var statesRemoved: [String]
    /// States in both that differ.
    public var statesChanged: [String]

    /// Compares two documents.
    /// - Throws: ``FlowInvalid`` when either is not JSON.
    public init(from old: some Collection<UInt8>, to new: some Collection<UInt8>) throws(FlowInvalid) {
        let before = try Self.parse(old)
        let after = try Self.parse(new)
        var changes: [Change] = []
        Self.compare(before, after, pointer: "", into: &changes)
        self.changes = changes
        let oldStates = Self.stateIDs(before)
        let newStates = Self.stateIDs(after)
        statesAdded = newStates.filter { !oldStates.contains($0) }
        statesRemoved = oldStates.filter { !newStates.contains($0) }
        let touched = Set(changes.compactMap { change -> String? in
            let parts = change.pointer.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count >= 4, parts[1] == "states" else { return nil }
            return String(parts[2]).replacingTildes
        })
        statesChanged = newStates.filter { oldStates.contains($0) && touched.contains($0) }
    }

    private static func parse(_ bytes: some Collection<UInt8>) throws(FlowInvalid) -> JSONNode {
        do {
            return try JSONNodeParser.parse(Array(bytes)).node
        } catch {
            throw FlowInvalid(problems: [FlowProblem(.error, "", "json", "Not valid JSON: \(error.message) at line \(error.line), column \(error.column).")])
        }
    }

    private static func stateIDs(_ node: JSONNode) -> [String] {
        guard case .object(let members)? = node["states"] else { return [] }
        return members.map(\.key)
    }

    private static func compare(_ old: JSONNode, _ new: JSONNode, pointer: String, into changes: inout [Change]) {
        switch (old, new) {
        case (.object(let before), .object(let after)):
            var oldKeys: [String: JSONNode] = [:]
            for member in before where oldKeys[member.key] == nil { oldKeys[member.key] = member.value }
            var newKeys: Set<String> = []
            for member in after where newKeys.insert(member.key).inserted {
                if let previous = oldKeys[member.key] {
                    compare(previous, member.value, pointer: pointer.slash(member.key), into: &changes)
                } else {
                    changes.append(Change(op: "added", pointer: pointer.slash(member.key), from: nil, to: member.value.value))
                }
            }
            for member in before where !newKeys.contains(member.key) && oldKeys[member.key] != nil {
                changes.append(Change(op: "removed", pointer: pointer.slash(member.key), from: member.value.value, to: nil))
                oldKeys[member.key] = nil
            }
        case (.array(let before), .array(let after)):
            for index in 0..<min(before.count, after.count) {
                compare(before[index], after[index], pointer: pointer.slash(index), into: &changes)
            }
            for index in before.count..<max(before.count, after.count) {
                changes.append(Change(op: "added", pointer: pointer.slash(index), from: nil, to: after[index].value))
            }
            for index in (after.count..<max(after.count, before.count)).reversed() {
                changes.append(Change(op: "removed", pointer: pointer.slash(index), from: before[index].value, to: nil))
            }
        default:
            let from = old.value
            let to = new.value
            if from != to { changes.append(Change(op: "changed", pointer: pointer, from: from, to: to)) }
        }
    }
}

extension String {
    fileprivate var replacingTildes: String {
        var out = ""
        var escape = false
        for character in self {
            if escape {
                out.append(character == "1" ? "/" : "~")
                escape = false
            } else if character == "~" {
                escape = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}
