import Foundation
import Testing

@testable import FlowEngine

/// Reads a flow that must be valid, recording its problems otherwise.
func definition(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> FlowDefinition {
    let validation = FlowDefinition.validate(Array(json.utf8))
    if !validation.isValid {
        Issue.record("invalid flow: \(validation.problems.map(\.description).joined(separator: "; "))", sourceLocation: sourceLocation)
    }
    return try #require(validation.definition, sourceLocation: sourceLocation)
}

/// Every problem in a document.
func problems(_ json: String, references: FlowReferences? = nil) -> [FlowProblem] {
    FlowDefinition.validate(Array(json.utf8), references: references).problems
}

/// A conversation driven event by event, on a clock the test moves.
struct Conversation {
    var interpreter: Interpreter
    var context: FlowContext
    var now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15T08:00:00Z, a Friday
    var random = SplitMix64(seed: 7)
    var effects: [Effect] = []

    init(_ definitions: [(FlowDefinition, Int)], tenant: [String: FlowValue] = [:], contact: [String: FlowValue] = [:]) {
        var library = FlowLibrary()
        for (definition, version) in definitions { library.add(definition, version: version) }
        interpreter = Interpreter(source: library, tenant: tenant)
        context = FlowContext(conversationId: "c-1", contact: contact, channel: ["type": "web"])
    }

    init(_ definition: FlowDefinition) { self.init([(definition, 1)]) }

    @discardableResult
    mutating func apply(_ event: FlowEvent) -> [Effect] {
        let result = interpreter.advance(context, with: event, now: now, random: &random)
        context = result.context
        effects = result.effects
        return result.effects
    }

    @discardableResult
    mutating func start(_ flow: String, version: Int? = nil, input: [String: FlowValue] = [:]) -> [Effect] {
        apply(.start(.init(flow: flow, version: version, input: input)))
    }

    @discardableResult
    mutating func say(_ text: String, payload: String? = nil) -> [Effect] {
        apply(.message(.init(text: text, payload: payload)))
    }

    var vars: [String: FlowValue] { context.frames.last?.vars ?? [:] }
    var state: String? { context.frames.last?.state }
}

extension [Effect] {
    /// The texts sent, in order.
    var texts: [String] {
        flatMap { effect -> [String] in
            if case .send(let messages) = effect { return messages.compactMap(\.text) }
            return []
        }
    }

    /// The states entered, in order.
    var entered: [String] {
        compactMap { effect in
            if case .event(let event) = effect, event.kind == .stateEntered { return event.state }
            return nil
        }
    }

    func events(_ kind: FlowAnalyticsEvent.Kind) -> [FlowAnalyticsEvent] {
        compactMap { effect in
            if case .event(let event) = effect, event.kind == kind { return event }
            return nil
        }
    }

    var timers: [(id: String, at: Date)] {
        compactMap { effect in
            if case .startTimer(let id, let at) = effect { return (id, at) }
            return nil
        }
    }

    var cancelled: [String] {
        compactMap { effect in
            if case .cancelTimer(let id) = effect { return id }
            return nil
        }
    }

    var modelCalls: [Effect.ModelCall] {
        compactMap { effect in
            if case .callModel(let call) = effect { return call }
            return nil
        }
    }

    var integrationCalls: [Effect.IntegrationCall] {
        compactMap { effect in
            if case .callIntegration(let call) = effect { return call }
            return nil
        }
    }

    var endStatus: String? {
        for effect in self { if case .end(let status) = effect { return status } }
        return nil
    }
}
