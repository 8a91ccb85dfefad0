import Foundation

/// What a tenant has that flows may refer to. A `nil` set is not checked.
public struct FlowReferences: Sendable {
    /// Model route names.
    public var routes: Set<String>?
    /// Prompt names and their versions.
    public var prompts: [String: Set<Int>]?
    /// Integration names and their operations; a `nil` operation set accepts any operation.
    public var integrations: [String: Set<String>?]?
    /// Flow ids and their published versions.
    public var flows: [String: Set<Int>]?

    /// Creates a catalog.
    public init(
        routes: Set<String>? = nil,
        prompts: [String: Set<Int>]? = nil,
        integrations: [String: Set<String>?]? = nil,
        flows: [String: Set<Int>]? = nil
    ) {
        self.routes = routes
        self.prompts = prompts
        self.integrations = integrations
        self.flows = flows
    }
}

/// The outcome of reading and checking a flow document.
public struct FlowValidation: Sendable {
    /// The definition, when there are no errors.
    public var definition: FlowDefinition?
    /// Errors and warnings, in document order for each check.
    public var problems: [FlowProblem]

    /// Whether the flow has no errors (warnings allowed).
    public var isValid: Bool { definition != nil }
    /// The errors only.
    public var errors: [FlowProblem] { problems.filter { $0.severity == .error } }
    /// The warnings only.
    public var warnings: [FlowProblem] { problems.filter { $0.severity == .warning } }
}

extension FlowDefinition {
    /// The largest flow document accepted, in bytes.
    public static let maximumDocumentBytes = 4 << 20

    /// Reads and checks a flow document, reporting every problem at once.
    ///
    /// The checks: JSON syntax and duplicate keys; the shape of every field (unknown fields, wrong types, values out
    /// of range, unknown state types, patterns and templates that do not compile); transitions to states that do not
    /// exist; states no path reaches; choices without `default`; cycles that never wait for input; variables that
    /// templates read but no path sets (warnings); and, with `references`, routes, prompts, integrations and flows
    /// the tenant does not have.
    /// - Parameters:
    ///   - document: the JSON document's bytes.
    ///   - references: what the tenant has, or `nil` to skip those checks.
    public static func validate(_ document: some Collection<UInt8>, references: FlowReferences? = nil) -> FlowValidation {
        let bytes = Array(document)
        guard bytes.count <= maximumDocumentBytes else {
            return FlowValidation(definition: nil, problems: [FlowProblem(.error, "", "too-large", "A flow document may be at most \(maximumDocumentBytes >> 20) MiB.")])
        }
        let parsed: (node: JSONNode, duplicates: [String])
        do {
            parsed = try JSONNodeParser.parse(bytes)
        } catch {
            return FlowValidation(definition: nil, problems: [FlowProblem(.error, "", "json", "The document is not valid JSON: \(error.message) at line \(error.line), column \(error.column).")])
        }
        var problems = parsed.duplicates.map {
            FlowProblem(.error, $0, "duplicate-id", "`\(Self.lastToken($0))` appears twice in the same object; ids and keys must be unique (the later one would silently win).")
        }
        var reader = FlowReader()
        let definition = reader.read(parsed.node)
        problems += reader.problems
        if let definition {
            var checks = FlowChecks(definition: definition, uses: reader.uses)
            checks.run(references: references)
            problems += checks.problems
        }
        let hasErrors = problems.contains { $0.severity == .error }
        return FlowValidation(definition: hasErrors ? nil : definition, problems: problems)
    }

    /// Reads a flow document that must be valid.
    /// - Throws: ``FlowInvalid`` with every problem when there is an error.
    public static func read(_ document: some Collection<UInt8>, references: FlowReferences? = nil) throws(FlowInvalid) -> FlowDefinition {
        let validation = validate(document, references: references)
        guard let definition = validation.definition else { throw FlowInvalid(problems: validation.problems) }
        return definition
    }

    private static func lastToken(_ pointer: String) -> String {
        String(pointer.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
            .replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }
}

/// A flow document with errors.
public struct FlowInvalid: Error, Sendable, CustomStringConvertible {
    /// Every problem found, warnings included.
    public var problems: [FlowProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// The checks that need the whole graph.
struct FlowChecks {
    let definition: FlowDefinition
    let uses: [(state: Int, pointer: String, path: VariablePath)]
    var problems: [FlowProblem] = []

    /// Each state's successors, computed once.
    let adjacency: [[Int]]

    init(definition: FlowDefinition, uses: [(state: Int, pointer: String, path: VariablePath)]) {
        self.definition = definition
        self.uses = uses
        let count = definition.states.count
        adjacency = definition.states.map { state in state.transitions.map(\.target).filter { (0..<count).contains($0) } }
    }

    private func pointer(_ state: Int) -> String { "/states".slash(definition.states[state].id) }

    private var entries: [Int] {
        ([definition.start] + definition.interrupts.map(\.next) + [definition.onError].compactMap { $0 })
            .filter { definition.states.indices.contains($0) }
    }

    private func successors(_ state: Int) -> [Int] { adjacency[state] }

    mutating func run(references: FlowReferences?) {
        reachability()
        cycles()
        unsetVariables()
        if let references { check(references) }
    }

    private mutating func reachability() {
        var seen = [Bool](repeating: false, count: definition.states.count)
        var stack = entries
        for entry in stack { seen[entry] = true }
        while let state = stack.popLast() {
            for next in successors(state) where !seen[next] {
                seen[next] = true
                stack.append(next)
            }
        }
        for (index, reached) in seen.enumerated() where !reached {
            problems.append(FlowProblem(.error, pointer(index), "unreachable-state", "No path from `start`, an interrupt or `onError` leads to `\(definition.states[index].id)`; connect it or delete it."))
        }
    }

    /// Cycles made only of states that never wait (message, choice, set, end) would spin until the step limit.
    /// `call` counts as waiting here, since the subflow may wait; the step limit still guards it at run time.
    private mutating func cycles() {
        let count = definition.states.count
        let spinning = definition.states.map { state -> Bool in
            switch state.kind {
            case .message, .choice, .set: return true
            default: return false
            }
        }
        let spins: (Int) -> Bool = { spinning[$0] }
        let spinningAdjacency = adjacency.map { $0.filter(spins) }
        // Tarjan's strongly connected components over non-waiting states, iteratively.
        var index = [Int](repeating: -1, count: count)
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var counter = 0
        var components: [[Int]] = []
        for root in 0..<count where spins(root) && index[root] < 0 {
            var work: [(state: Int, next: Int)] = [(root, 0)]
            index[root] = counter
            low[root] = counter
            counter += 1
            stack.append(root)
            onStack[root] = true
            while let (state, position) = work.last {
                let outs = spinningAdjacency[state]
                if position < outs.count {
                    work[work.count - 1].next += 1
                    let next = outs[position]
                    if index[next] < 0 {
                        index[next] = counter
                        low[next] = counter
                        counter += 1
                        stack.append(next)
                        onStack[next] = true
                        work.append((next, 0))
                    } else if onStack[next] {
                        low[state] = min(low[state], index[next])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last { low[parent.state] = min(low[parent.state], low[state]) }
                if low[state] == index[state] {
                    var component: [Int] = []
                    while let top = stack.popLast() {
                        onStack[top] = false
                        component.append(top)
                        if top == state { break }
                    }
                    let selfLoop = component.count == 1 && successors(state).contains(state)
                    if component.count > 1 || selfLoop { components.append(component.sorted()) }
                }
            }
        }
        for component in components.sorted(by: { $0[0] < $1[0] }) {
            let names = component.prefix(6).map { "`\(definition.states[$0].id)`" }.joined(separator: ", ")
            problems.append(FlowProblem(.error, pointer(component[0]), "cycle-without-wait", "The states \(names)\(component.count > 6 ? " and \(component.count - 6) more" : "") form a loop that never waits for the user, a result or a timer; it would run until the step limit. Put a collect, llm, integration or wait state on the loop."))
        }
    }

    /// Variables read where no path from an entry has set them: a forward may-analysis over the graph.
    private mutating func unsetVariables() {
        var names: [String: Int] = [:]
        func number(_ name: String) -> Int {
            if let index = names[name] { return index }
            names[name] = names.count
            return names.count - 1
        }
        let count = definition.states.count
        var sets = [[Int]](repeating: [], count: count)
        for (index, state) in definition.states.enumerated() {
            switch state.kind {
            case .collect(let step): sets[index] = [number(step.variable)]
            case .set(let step): sets[index] = step.assignments.map { number($0.name) }
            case .llm(let step): sets[index] = step.output.map { [number($0)] } ?? []
            case .integration(let step): sets[index] = step.output.map { [number($0)] } ?? []
            case .call(let step): sets[index] = step.output.map { number($0.variable) } + [number("subflowStatus")]
            default: break
            }
        }
        for use in uses { if let name = use.path.variable { _ = number(name) } }
        let words = (names.count + 63) / 64
        guard words > 0 else { return }
        var before = [[UInt64]](repeating: [UInt64](repeating: 0, count: words), count: count)
        var initial = [UInt64](repeating: 0, count: words)
        for name in definition.variables.map(\.name) + ["error"] where names[name] != nil {
            initial[names[name]! / 64] |= 1 << UInt64(names[name]! % 64)
        }
        var queued = [Bool](repeating: false, count: count)
        var queue: [Int] = []
        for entry in entries {
            for word in 0..<words { before[entry][word] |= initial[word] }
            if !queued[entry] {
                queued[entry] = true
                queue.append(entry)
            }
        }
        while let state = queue.popLast() {
            queued[state] = false
            var after = before[state]
            for variable in sets[state] { after[variable / 64] |= 1 << UInt64(variable % 64) }
            for next in successors(state) {
                var changed = false
                for word in 0..<words where before[next][word] | after[word] != before[next][word] {
                    before[next][word] |= after[word]
                    changed = true
                }
                if changed && !queued[next] {
                    queued[next] = true
                    queue.append(next)
                }
            }
        }
        var reported: Set<String> = []
        for use in uses {
            guard let name = use.path.variable, let variable = names[name] else { continue }
            var known = before[use.state][variable / 64] & (1 << UInt64(variable % 64)) != 0
            // A `set` state may read what it assigned earlier in the same state.
            if !known, case .set(let step) = definition.states[use.state].kind {
                let prefix = pointer(use.state).slash("assign")
                let reader = step.assignments.firstIndex { use.pointer == prefix.slash($0.name) || use.pointer.hasPrefix(prefix.slash($0.name) + "/") }
                let writer = step.assignments.firstIndex { $0.name == name }
                if let reader, let writer, writer < reader { known = true }
            }
            if !known, reported.insert(use.pointer + "\u{0}" + name).inserted {
                problems.append(FlowProblem(.warning, use.pointer, "unset-variable", "`\(name)` is read here, but no path to `\(definition.states[use.state].id)` sets it, so it will be empty. Declare it in `variables`, or set it before this state."))
            }
        }
    }

    private mutating func check(_ references: FlowReferences) {
        for (index, state) in definition.states.enumerated() {
            let at = pointer(index)
            switch state.kind {
            case .llm(let step):
                if let routes = references.routes, !routes.contains(step.route) {
                    problems.append(FlowProblem(.error, at.slash("route"), "unknown-route", "This tenant has no model route `\(step.route)`\(Self.listing(routes))."))
                }
                if let prompt = step.prompt, let prompts = references.prompts {
                    if let versions = prompts[prompt.name] {
                        if !versions.contains(prompt.version) {
                            problems.append(FlowProblem(.error, at.slash("prompt"), "unknown-prompt", "The prompt `\(prompt.name)` has no version \(prompt.version); it has \(versions.sorted().map(String.init).joined(separator: ", "))."))
                        }
                    } else {
                        problems.append(FlowProblem(.error, at.slash("prompt"), "unknown-prompt", "This tenant has no prompt `\(prompt.name)`."))
                    }
                }
            case .integration(let step):
                if let integrations = references.integrations {
                    if let operations = integrations[step.integration] {
                        if let operations, !operations.contains(step.operation) {
                            problems.append(FlowProblem(.error, at.slash("operation"), "unknown-operation", "The integration `\(step.integration)` has no operation `\(step.operation)`\(Self.listing(operations))."))
                        }
                    } else {
                        problems.append(FlowProblem(.error, at.slash("integration"), "unknown-integration", "This tenant has no integration `\(step.integration)`\(Self.listing(Set(integrations.keys)))."))
                    }
                }
            case .call(let step):
                checkFlow(step.flow, version: step.version, at: at, references)
            case .link(let step):
                checkFlow(step.flow, version: step.version, at: at, references)
            default:
                break
            }
        }
    }

    private mutating func checkFlow(_ flow: String, version: Int?, at: String, _ references: FlowReferences) {
        guard let flows = references.flows else { return }
        guard let versions = flows[flow], !versions.isEmpty else {
            problems.append(FlowProblem(.error, at.slash("flow"), "unknown-flow", "This tenant has no published flow `\(flow)`."))
            return
        }
        if let version, !versions.contains(version) {
            problems.append(FlowProblem(.error, at.slash("version"), "unknown-flow", "The flow `\(flow)` has no published version \(version); its latest is \(versions.max()!)."))
        }
    }

    private static func listing(_ names: Set<String>) -> String {
        guard !names.isEmpty else { return "" }
        let sorted = names.sorted()
        return " (it has \(sorted.prefix(8).map { "`\($0)`" }.joined(separator: ", "))\(sorted.count > 8 ? ", …" : ""))"
    }
}
