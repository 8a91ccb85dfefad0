import ChorusCore
import Foundation

/// The built-in `local` provider: it needs no network and never fails. It answers with the tenant's configured
/// fallback text, so that default routes can end with it and a flow always gets an answer, even with no provider
/// keys at all.
public struct LocalModel: Sendable {
    /// The provider's name in routes.
    public static let name = "local"
    /// What it says when the tenant has configured nothing.
    public static let defaultFallback = "Sorry, I can't answer that right now. A member of our team will follow up."

    /// The tenant's fallback text.
    public var fallbackText: String

    /// Creates the provider with the tenant's fallback text.
    public init(fallbackText: String? = nil) {
        let trimmed = fallbackText?.trimmingWhitespace() ?? ""
        self.fallbackText = trimmed.isEmpty ? Self.defaultFallback : trimmed
    }

    /// The answer to `request`: the fallback text, or for structured output a JSON value that follows the schema's
    /// outline (required string properties carry the text; other required properties get empty values).
    public func respond(to request: ModelRequest) -> ModelResponse {
        let text: String
        if let schema = request.responseSchema {
            text = Self.value(for: schema, text: fallbackText).jsonText
        } else {
            text = fallbackText
        }
        let input = request.messages.reduce(request.system.map(Self.estimateTokens) ?? 0) { $0 + Self.estimateTokens($1.content) }
        return ModelResponse(
            text: text,
            finishReason: .stop,
            usage: ModelUsage(inputTokens: input, outputTokens: Self.estimateTokens(text)),
            model: Self.name
        )
    }

    /// A rough count, four bytes of UTF-8 to a token, as providers' tokenizers average on English text; the local
    /// provider costs nothing, so the count only feeds usage reports.
    static func estimateTokens(_ text: String) -> Int { (text.utf8.count + 3) / 4 }

    static func value(for schema: JSONValue, text: String, depth: Int = 0) -> JSONValue {
        guard depth < 16, case .object(let members) = schema else { return .string(text) }
        if case .array(let options)? = members["enum"], let first = options.first { return first }
        let type: String? = if case .string(let name)? = members["type"] { name } else { nil }
        switch type {
        case "object":
            var object: [String: JSONValue] = [:]
            let required: [String] = if case .array(let names)? = members["required"] {
                names.compactMap { if case .string(let name) = $0 { name } else { nil } }
            } else { [] }
            if case .object(let properties)? = members["properties"] {
                for name in required {
                    object[name] = properties[name].map { value(for: $0, text: text, depth: depth + 1) } ?? .null
                }
            }
            return .object(object)
        case "array": return .array([])
        case "number", "integer": return .number(0)
        case "boolean": return .bool(false)
        case "null": return .null
        default: return .string(text)
        }
    }
}
