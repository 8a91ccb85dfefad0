import ChorusCore
import FlowEngine
import Foundation
import HTTPTypes
import Hummingbird
import ModelOrchestrator
import SecurityHub
import Storage

/// A prompt template: a system prompt and messages written in the flows' mustache dialect, rendered with the
/// input a flow's `llm` state maps (`{{order.status}}`, or `{{vars.order.status}}`).
struct PromptTemplate: Sendable {
    struct Message: Sendable {
        var role: ModelMessage.Role
        var content: Template
    }

    var system: Template?
    var messages: [Message]
    var temperature: Double?
    var maxTokens: Int?

    /// Reads a template document, recording problems on `reader`.
    static func read(_ reader: BodyReader) -> PromptTemplate? {
        func template(_ item: BodyReader, _ key: String, required: Bool) -> Template? {
            guard let text = item.text(key, required: required, maxLength: Template.maximumLength) else { return nil }
            do {
                return try Template(text)
            } catch {
                item.fail(key, "The template does not read: \(error.description)", code: "template")
                return nil
            }
        }
        _ = reader.text("description", required: false, maxLength: 1000)
        let system = template(reader, "system", required: false)
        let messages = reader.objects("messages", required: false, maxCount: 50) { _, item -> Message? in
            let role = item.string("role", maxLength: 16)
            let content = template(item, "content", required: true)
            guard let role else { return nil }
            guard role == "user" || role == "assistant" else {
                item.fail("role", "role is user or assistant; put instructions in system.", code: "enum")
                return nil
            }
            guard let content else { return nil }
            return Message(role: role == "user" ? .user : .assistant, content: content)
        }
        let temperature = reader.number("temperature", required: false, range: 0...2)
        let maxTokens = reader.integer("maxTokens", required: false, range: 1...1_000_000)
        if system == nil, (messages ?? []).isEmpty, reader.json("system", required: false) == nil {
            reader.fail("messages", "A prompt needs a system prompt, messages, or both.", code: "required")
            return nil
        }
        guard let messages, !messages.contains(where: { $0 == nil }) else { return nil }
        return PromptTemplate(system: system, messages: messages.compactMap { $0 }, temperature: temperature, maxTokens: maxTokens)
    }

    /// The template rendered with `input`: the system prompt and the messages.
    func render(_ input: [String: FlowValue]) -> (system: String?, messages: [ModelMessage]) {
        let scope = RenderScope(vars: input)
        return (system?.render(scope), messages.map { ModelMessage(role: $0.role, content: $0.content.render(scope)) })
    }

    /// Reads a stored template.
    static func stored(_ text: String) -> PromptTemplate? {
        guard let reader = try? BodyReader(data: Data(text.utf8)) else { return nil }
        return read(reader)
    }
}

/// Versioned prompt templates that flows reference as `name@version`. A version never changes once saved.
struct PromptController {
    struct PromptDTO: Codable, Sendable {
        var name: String
        var version: Int
        var message: String
        var author: String
        var createdAt: Date

        init(_ record: PromptRecord) {
            name = record.name
            version = record.version
            message = record.message
            author = record.author
            createdAt = record.createdAt
        }
    }

    struct RenderedDTO: Codable, Sendable {
        struct Message: Codable, Sendable {
            var role: String
            var content: String
        }

        var system: String?
        var messages: [Message]
    }

    func register(on api: APIRoutes) {
        api.add(.get, "/api/v2/prompts", .modelsRead, list)
        api.add(.get, "/api/v2/prompts/{prompt}/versions", .modelsRead, versions)
        api.add(.post, "/api/v2/prompts/{prompt}/versions", .modelsWrite, create)
        api.add(.get, "/api/v2/prompts/{prompt}/versions/{version}", .modelsRead, version)
        api.add(.post, "/api/v2/prompts/{prompt}/versions/{version}/render", .modelsRead, render)
    }

    static let noPrompt = Problem.notFound("The tenant has no prompt with this name.")
    static let noVersion = Problem.notFound("The prompt has no version with this number.")

    @Sendable func list(_ scope: TenantScope) async throws -> Reply {
        try .json(ListDTO(items: try await scope.tx.latestPrompts().map(PromptDTO.init), nextCursor: nil))
    }

    @Sendable func versions(_ scope: TenantScope) async throws -> Reply {
        let items = try await scope.tx.promptVersions(name: try Self.name(scope)).map(PromptDTO.init)
        guard !items.isEmpty else { throw Self.noPrompt }
        return try .json(ListDTO(items: items, nextCursor: nil))
    }

    /// Saves the next version: `{"template": {"system", "messages", "temperature", "maxTokens"}, "message": "…"}`.
    @Sendable func create(_ scope: TenantScope) async throws -> Reply {
        let name = try Self.name(scope, forWriting: true)
        let body = try scope.reader()
        let message = body.string("message", maxLength: 1000)
        _ = body.object("template") { PromptTemplate.read($0) }
        try body.finish()
        guard let message, case .object(let members) = try JSONValue.parse(scope.scope.body), let template = members["template"] else {
            throw Problem.internal()
        }
        let text = String(decoding: try Reply.encoder.encode(template), as: UTF8.self)
        let record = try await scope.tx.insertPromptVersion(name: name, template: text, message: message,
                                                            by: FlowController.author(scope.principal))
        try await scope.audit("prompt.version.created", "prompt", name, ["version": String(record.version), "message": message])
        return try .json(PromptDTO(record), embedding: ["template": record.template ?? "{}"], status: .created)
    }

    @Sendable func version(_ scope: TenantScope) async throws -> Reply {
        let record = try await Self.record(scope)
        return try .json(PromptDTO(record), embedding: ["template": record.template ?? "{}"])
    }

    /// Renders a version with `input`, to see what a model would be sent.
    @Sendable func render(_ scope: TenantScope) async throws -> Reply {
        let record = try await Self.record(scope)
        let body = try scope.reader()
        let input = body.json("input", required: false) ?? .object([:])
        if case .object = input {} else { body.fail("input", "input must be an object.", code: "type") }
        try body.finish()
        guard let template = PromptTemplate.stored(record.template ?? "") else { throw Problem.internal() }
        let (system, messages) = template.render(try Self.flowValues(input))
        return try .json(RenderedDTO(system: system, messages: messages.map { .init(role: $0.role.rawValue, content: $0.content) }))
    }

    static func flowValues(_ input: JSONValue) throws -> [String: FlowValue] {
        try JSONDecoder().decode([String: FlowValue].self, from: try JSONEncoder().encode(input))
    }

    static func record(_ scope: TenantScope) async throws -> PromptRecord {
        let name = try name(scope)
        guard let text = scope.scope.context.parameters.get("version"), let number = Int(text), number > 0, number <= Int(Int32.max) else {
            throw noVersion
        }
        guard let record = try await scope.tx.prompt(name: name, version: number) else {
            throw try await scope.tx.promptVersions(name: name).isEmpty ? noPrompt : noVersion
        }
        return record
    }

    static func name(_ scope: TenantScope, forWriting: Bool = false) throws -> String {
        try scope.scope.slug("prompt", notFound: noPrompt, forWriting: forWriting)
    }
}
