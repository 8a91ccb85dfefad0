import FlowEngine
import Foundation
import HTTPTypes
import ModelProviderSimulator
import PostgresNIO
import Storage
import Testing

@testable import ChorusServer

/// A flow's `llm` state answered in process by the orchestrator: the prompt version rendered with the state's
/// input, sent through the tenant's route, and the answer handed back to the interpreter.
@Suite struct FlowModelCallTests {
    static let flow = #"""
        {"id": "helper", "start": "answer", "states": {
          "answer": {"type": "llm", "route": "support", "prompt": "answer@1", "input": {"shop": "Acme", "question": "{{question}}"},
                     "output": "reply", "timeoutSeconds": 5, "on": {"success": "tell", "failure": "sorry"}},
          "tell": {"type": "message", "text": "{{reply}}", "next": "done"},
          "sorry": {"type": "message", "text": "Sorry ({{error.code}}).", "next": "done"},
          "done": {"type": "end"}}}
        """#

    @Test func anLLMStateIsAnsweredThroughTheTenantsRoute() async throws {
        try await ProviderSimulator.run { simulator in
            let configuration = try Harness.configuration()
            try await Harness.withAPI(configuration) { api in
                let tenant = try await api.createTenant("flowllm")
                try await ModelAPITests.addSimulator(api, tenant, simulator)
                let saved = try await api.call(.put, "/api/v2/llm/routes/support", as: tenant.owner, json: ModelAPITests.route([
                    ["id": "sim", "provider": "sim", "model": "gpt-4o-mini"],
                ]))
                try #require(saved.status == 201, "\(saved.text)")
                let template: [String: any Sendable] = [
                    "system": "You answer for {{shop}}.\nBe brief.", "messages": [["role": "user", "content": "{{question}}"]],
                ]
                let prompt = try await api.call(.post, "/api/v2/prompts/answer/versions", as: tenant.owner,
                                                json: ["message": "first", "template": template])
                try #require(prompt.status == 201, "\(prompt.text)")

                // The same configuration (master keys included) as the server: this process opens the provider key too.
                let services = try await AppServices(configuration: configuration, logger: Harness.logger)
                let pool = Task { await services.database.client.run() }
                defer { pool.cancel() }
                let calls = FlowModelCalls(models: services.models, database: services.database)
                let tenantID = try #require(UUID(uuidString: tenant.id))

                var library = FlowLibrary()
                library.add(try FlowDefinition.read(Array(Self.flow.utf8)), version: 1)
                let interpreter = Interpreter(source: library)
                var random = SystemRandomNumberGenerator()
                var (context, effects) = interpreter.advance(
                    FlowContext(conversationId: "c-1"), with: .start(.init(flow: "helper", version: 1, input: ["question": "Where is my parcel?"])),
                    now: Date(), random: &random
                )
                let call = try #require(effects.compactMap { effect -> Effect.ModelCall? in
                    if case .callModel(let call) = effect { return call }
                    return nil
                }.first)
                let result = await calls.perform(call, tenant: tenantID)
                (context, effects) = interpreter.advance(context, with: .result(result), now: Date(), random: &random)
                let texts = effects.flatMap { effect -> [String] in
                    if case .send(let messages) = effect { return messages.compactMap(\.text) }
                    return []
                }
                #expect(texts == [SimulatorBehaviour.defaultAnswer])
                // The provider got the rendered prompt, line break included.
                let sent = try #require(simulator.requests.last?.json)
                let messages = sent["messages"] as? [[String: Any]] ?? []
                #expect(messages.first?["content"] as? String == "You answer for Acme.\nBe brief.")
                #expect(messages.last?["content"] as? String == "Where is my parcel?")

                // A prompt version the tenant does not have fails the state with a code the flow can branch on.
                var missing = call
                missing.prompt = PromptReference(name: "answer", version: 9)
                let failed = await calls.perform(missing, tenant: tenantID)
                #expect(failed.outcome == .failure(FlowFailure(code: "unknown_prompt", message: "The tenant has no prompt answer@9.")))
                await services.models.shutdownTransport()
            }
        }
    }
}
