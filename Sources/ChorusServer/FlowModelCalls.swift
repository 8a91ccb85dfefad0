import ChorusCore
import FlowEngine
import Foundation
import ModelOrchestrator
import Storage

/// Carries out the flow engine's `call-model` effects in process: renders the state's prompt (`name@version`) or
/// takes its inline messages, sends the request through the Model Orchestrator, and turns the answer into the
/// result event the interpreter expects.
struct FlowModelCalls: Sendable {
    /// Answers routed calls.
    let orchestrator: any ModelOrchestrating
    /// A prompt version of a tenant; `nil` when there is none.
    let prompt: @Sendable (UUID, PromptReference) async throws -> PromptTemplate?

    /// Versions never change, so each is read once per process (bounded).
    final class PromptCache: Sendable {
        private let entries = BoundedMap<String, PromptTemplate>(capacity: 10_000)

        func template(_ key: String, load: () async throws -> PromptTemplate?) async throws -> PromptTemplate? {
            if let hit = entries[key] { return hit }
            guard let loaded = try await load() else { return nil }
            entries[key] = loaded
            return loaded
        }
    }

    /// Calls through `models`, reading prompts from `database`.
    init(models: ModelService, database: Database, cache: PromptCache = PromptCache()) {
        self.orchestrator = models
        self.prompt = { tenant, reference in
            try await cache.template("\(tenant.uuidString)/\(reference.name)@\(reference.version)") {
                let record = try await database.withTenant(tenant) { tx in
                    try await tx.prompt(name: reference.name, version: reference.version)
                }
                return record?.template.flatMap(PromptTemplate.stored)
            }
        }
    }

    init(orchestrator: any ModelOrchestrating, prompt: @escaping @Sendable (UUID, PromptReference) async throws -> PromptTemplate?) {
        self.orchestrator = orchestrator
        self.prompt = prompt
    }

    /// The result of `call` for the tenant's conversation: the answer's text, or with a schema its JSON value; a
    /// failure with a stable code when there is no answer in time.
    func perform(_ call: Effect.ModelCall, tenant: UUID) async -> FlowEvent.EffectResult {
        let request: ModelRequest
        switch await self.request(for: call, tenant: tenant) {
        case .success(let built): request = built
        case .failure(let refusal): return FlowEvent.EffectResult(request: call.id, outcome: .failure(refusal.failure))
        }
        let orchestrator = self.orchestrator
        let outcome = await withTaskGroup(of: Result<RouteOutcome, ModelError>?.self) { group in
            group.addTask { await orchestrator.complete(request, route: call.route, tenant: tenant) }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int64(call.timeoutSeconds * 1000)))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let outcome else {
            return FlowEvent.EffectResult(request: call.id, outcome: .failure(FlowFailure(
                code: "timeout", message: "The model did not answer within \(call.timeoutSeconds) seconds.", retryable: true
            )))
        }
        switch outcome {
        case .failure(let error):
            return FlowEvent.EffectResult(request: call.id, outcome: .failure(FlowFailure(
                code: error.kind.rawValue, message: error.message, retryable: error.kind == .retryable
            )))
        case .success(let routed):
            guard call.schema != nil else { return FlowEvent.EffectResult(request: call.id, outcome: .success(.string(routed.response.text))) }
            guard let value = try? JSONDecoder().decode(FlowValue.self, from: Data(routed.response.text.utf8)) else {
                return FlowEvent.EffectResult(request: call.id, outcome: .failure(FlowFailure(
                    code: "malformed_response", message: "The answer is not the JSON the state's schema asks for.", retryable: false
                )))
            }
            return FlowEvent.EffectResult(request: call.id, outcome: .success(value))
        }
    }

    /// Why no request could be built.
    struct Refusal: Error {
        var failure: FlowFailure
    }

    /// The normalized request for `call`: the prompt rendered with the call's input, then any inline messages.
    func request(for call: Effect.ModelCall, tenant: UUID) async -> Result<ModelRequest, Refusal> {
        var system: [String] = []
        var messages: [ModelMessage] = []
        var temperature = call.temperature
        var maxTokens = call.maxTokens
        if let reference = call.prompt {
            let template: PromptTemplate?
            do {
                template = try await prompt(tenant, reference)
            } catch {
                return .failure(Refusal(failure: FlowFailure(code: "retryable", message: "The prompt \(reference.description) could not be read.", retryable: true)))
            }
            guard let template else {
                return .failure(Refusal(failure: FlowFailure(code: "unknown_prompt", message: "The tenant has no prompt \(reference.description).")))
            }
            let rendered = template.render(call.input)
            if let text = rendered.system { system.append(text) }
            messages += rendered.messages
            temperature = temperature ?? template.temperature
            maxTokens = maxTokens ?? template.maxTokens
        }
        for message in call.messages {
            switch message.role {
            case "system": system.append(message.content)
            case "assistant": messages.append(.assistant(message.content))
            default: messages.append(.user(message.content))
            }
        }
        let schema = call.schema.flatMap { value -> JSONValue? in
            guard let data = try? JSONEncoder().encode(value) else { return nil }
            return try? JSONDecoder().decode(JSONValue.self, from: data)
        }
        return .success(ModelRequest(
            system: system.isEmpty ? nil : system.joined(separator: "\n\n"), messages: messages,
            temperature: temperature, maxTokens: maxTokens, responseSchema: schema
        ))
    }
}
