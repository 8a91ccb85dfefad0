import ChorusCore
import FlowEngine
import Foundation
import Storage

extension FlowController {
    /// The keys a script step may have, exactly one at a time, and what each takes.
    static let stepRules: KeyValuePairs<String, String> = [
        "say": "say is the text the user types, at most 4096 characters.",
        "tap": "tap is the id of the button or list row the user taps, 1 to 200 characters.",
        "wait": "wait is the seconds that pass, from 0 to 31622400.",
        "timeout": "timeout is true: the earliest pending timer fires now.",
        "agentReturns": "agentReturns is true: an agent hands the conversation back.",
    ]

    /// Runs the draft, or a published version, against a script of user messages with canned model and
    /// integration results, and returns what happened. Nothing is saved.
    @Sendable func simulate(_ scope: TenantScope) async throws -> Reply {
        let flow = try await Self.flow(scope)
        let body = try scope.reader()
        let version = body.integer("version", required: false, range: 1...Int(Int32.max))
        let script = body.objects("script", maxCount: Simulation.maximumSteps) { _, step in Self.step(step) }
        let results = Self.results(body)
        let input = Self.values(body, "input")
        let contact = Self.values(body, "contact")
        let channel = Self.values(body, "channel")
        let conversationId = body.string("conversationId", required: false, maxLength: 200)
        let seed = body.integer("seed", required: false, range: 0...999_999_999_999_999)
        let now = body.timestamp("now", required: false)
        try body.finish()
        guard let script else { throw Problem.internal() }

        let document: String
        if let version {
            guard let record = try await scope.tx.flowVersion(flowID: flow.id, version: version),
                let definition = record.definition
            else {
                throw Self.invalidField("/version", "The flow has no version \(version).")
            }
            document = definition
        } else {
            document = flow.draft ?? "{}"
        }
        let validation = FlowDefinition.validate(Data(document.utf8), references: try await Self.references(scope.tx))
        guard let definition = validation.definition else {
            throw Self.invalid(validation, "The \(version == nil ? "draft" : "version") cannot be simulated")
        }
        let simulation = Simulation(
            script: script.compactMap { $0 },
            results: results,
            input: input,
            contact: contact,
            channel: channel,
            conversationId: conversationId ?? "simulation",
            now: now ?? Date(),
            seed: UInt64(seed ?? 1)
        )
        // Tenant settings (`tenant.*` in templates) have no storage yet, so a simulation reads none.
        let library = try await Self.library(for: definition, in: scope.tx)
        let outcome = simulation.run(definition, version: version ?? 0, library: library)
        return try .json(outcome)
    }

    /// One script step: exactly one of `say`, `tap`, `wait`, `timeout` or `agentReturns`.
    static func step(_ reader: BodyReader) -> Simulation.Step? {
        let given = stepRules.compactMap { rule in reader.json(rule.key, required: false).map { (rule.key, $0) } }
        guard given.count == 1, let (key, value) = given.first else {
            reader.fail(
                at: [], #"A step has exactly one of say, tap, wait, timeout and agentReturns, such as {"say": "hi"}."#
            )
            return nil
        }
        switch (key, value) {
        case ("say", .string(let text)) where text.unicodeScalars.count <= 4096: return .say(text)
        case ("tap", .string(let id)) where (1...200).contains(id.unicodeScalars.count): return .tap(id)
        case ("wait", .number(let seconds)) where (0...31_622_400).contains(seconds): return .wait(seconds: seconds)
        case ("timeout", .bool(true)): return .timeout
        case ("agentReturns", .bool(true)): return .agentReturns
        default:
            reader.fail(key, stepRules.first { $0.key == key }?.value ?? "\(key) is not valid.")
            return nil
        }
    }

    /// Canned results by state id, each `{"success": value}` or `{"failure": {"code", "message", "retryable"}}` as
    /// `FlowEvent.EffectResult.Outcome` encodes them. They are read member by member rather than decoded, so that
    /// every problem is reported with its pointer.
    static func results(_ body: BodyReader) -> [String: [FlowEvent.EffectResult.Outcome]] {
        guard let value = body.json("results", required: false) else { return [:] }
        guard case .object(let states) = value, states.count <= 1000 else {
            body.fail(
                "results", "results is an object of at most 1000 state ids, each with a list of results.", code: "type"
            )
            return [:]
        }
        let shape =
            #"Each result is {"success": value} or {"failure": {"code": "…", "message": "…", "retryable": false}}."#
        var out: [String: [FlowEvent.EffectResult.Outcome]] = [:]
        for (state, list) in states.sorted(by: { $0.key < $1.key }) {
            guard case .array(let items) = list, (1...100).contains(items.count) else {
                body.fail(
                    at: ["results", state], "Each state has a list of 1 to 100 results, used in turn; the last repeats."
                )
                continue
            }
            var outcomes: [FlowEvent.EffectResult.Outcome] = []
            for (index, item) in items.enumerated() {
                let path = ["results", state, String(index)]
                guard case .object(let members) = item, members.count == 1, let (kind, content) = members.first else {
                    body.fail(at: path, shape)
                    continue
                }
                switch (kind, content) {
                case ("success", let result):
                    outcomes.append(.success(flowValue(result)))
                case ("failure", .object(let failure)):
                    guard case .string(let code)? = failure["code"], (1...100).contains(code.count) else {
                        body.fail(
                            at: path + ["failure", "code"], "code is a string of 1 to 100 characters, such as http-503."
                        )
                        continue
                    }
                    var message = code
                    switch failure["message"] {
                    case nil, .null?: break
                    case .string(let text)? where text.count <= 1000: message = text
                    default:
                        body.fail(at: path + ["failure", "message"], "message is a string of at most 1000 characters.")
                        continue
                    }
                    var retryable = false
                    switch failure["retryable"] {
                    case nil, .null?: break
                    case .bool(let flag)?: retryable = flag
                    default:
                        body.fail(at: path + ["failure", "retryable"], "retryable is true or false.")
                        continue
                    }
                    let known: Set = ["code", "message", "retryable"]
                    if let unknown = failure.keys.sorted().first(where: { !known.contains($0) }) {
                        body.fail(
                            at: path + ["failure", unknown], "\(unknown) is not a known field.", code: "unknown_field"
                        )
                        continue
                    }
                    outcomes.append(.failure(FlowFailure(code: code, message: message, retryable: retryable)))
                default:
                    body.fail(at: path, shape)
                }
            }
            out[state] = outcomes
        }
        return out
    }

    /// An object of values, such as the initial variables.
    static func values(_ body: BodyReader, _ key: String) -> [String: FlowValue] {
        guard let value = body.json(key, required: false) else { return [:] }
        guard case .object(let members) = value else {
            body.fail(key, "\(key) must be an object, got \(value.typeName).", code: "type")
            return [:]
        }
        return members.mapValues(flowValue)
    }

    static func flowValue(_ value: JSONValue) -> FlowValue {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let number): .number(number)
        case .string(let text): .string(text)
        case .array(let elements): .array(elements.map(flowValue))
        case .object(let members): .object(members.mapValues(flowValue))
        }
    }

    /// The published versions a simulation may enter: the version each `call` state pins, and for each `link`
    /// state the pinned or live version, followed through the flows those reach in turn.
    static func library(for definition: FlowDefinition, in tx: TenantTransaction) async throws -> FlowLibrary {
        let live = try await tx.liveFlowVersions()
        var library = FlowLibrary()
        var loaded: Set<String> = []
        var pending = entries(of: definition, live: live)
        // A bound on the versions loaded, so that a web of flows cannot make one simulation read them all.
        while let (flow, version) = pending.popLast(), loaded.count < 200 {
            guard loaded.insert("\(flow)@\(version)").inserted,
                let text = try await tx.flowVersion(flowID: flow, version: version)?.definition,
                let found = FlowDefinition.validate(Data(text.utf8)).definition
            else { continue }
            library.add(found, version: version)
            pending += entries(of: found, live: live)
        }
        // Only what is live in the tenant is live here: a version loaded for a pinned `call` must not become the
        // target of an unpinned `link`.
        for flow in library.flows {
            let version = live[flow]
            library.setLive(flow, version: version.flatMap { library.definition(of: flow, version: $0) != nil ? $0 : nil })
        }
        return library
    }

    private static func entries(of definition: FlowDefinition, live: [String: Int]) -> [(String, Int)] {
        definition.states.compactMap { state -> (String, Int)? in
            switch state.kind {
            case .call(let step): (step.flow, step.version)
            case .link(let step): (step.version ?? live[step.flow]).map { (step.flow, $0) }
            default: nil
            }
        }
    }
}
