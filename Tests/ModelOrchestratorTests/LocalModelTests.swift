import ChorusCore
import Foundation
import Testing

@testable import ModelOrchestrator

@Suite struct LocalModelTests {
    @Test func answersWithTheTenantsFallbackText() {
        let local = LocalModel(fallbackText: "  Our team will reply by email.  ")
        let answer = local.respond(to: ModelRequest(system: "Be kind.", messages: [.user("Where is my order 123456?")]))
        #expect(answer.text == "Our team will reply by email.")
        #expect(answer.finishReason == .stop)
        #expect(answer.usage.inputTokens == 2 + 7 && answer.usage.outputTokens == 8)
        #expect(LocalModel(fallbackText: " ").respond(to: ModelRequest(messages: [])).text == LocalModel.defaultFallback)
    }

    @Test func structuredOutputFollowsTheSchemasOutline() throws {
        let schema = try JSONDecoder().decode(JSONValue.self, from: Data(#"""
            {"type": "object", "required": ["answer", "confidence", "sources", "escalate", "topic", "meta"],
             "properties": {"answer": {"type": "string"}, "confidence": {"type": "number"}, "sources": {"type": "array"},
                            "escalate": {"type": "boolean"}, "topic": {"enum": ["billing", "orders"]},
                            "meta": {"type": "object", "required": ["lang"], "properties": {"lang": {"type": "string"}}},
                            "optional": {"type": "string"}}}
            """#.utf8))
        let answer = LocalModel(fallbackText: "Ask again later.").respond(to: ModelRequest(messages: [.user("hi")], responseSchema: schema))
        #expect(answer.text == #"{"answer":"Ask again later.","confidence":0,"escalate":false,"meta":{"lang":"Ask again later."},"sources":[],"topic":"billing"}"#)
    }
}
