import ChorusCore
import Foundation

/// Checks on an answer that came back well but may still be unusable, and what to do when one fails.
public struct QualityChecks: Sendable, Equatable {
    /// What to do with an answer that fails a check.
    public enum Action: String, Sendable, Equatable {
        /// Ask the same target again (within the route's tries per target), then move on.
        case retry
        /// Move on to the next target at once.
        case nextTarget = "next_target"
    }

    /// Refuse answers with no text and no tool calls.
    public var rejectEmpty: Bool
    /// Refuse refusals.
    public var rejectRefusal: Bool
    /// Refuse answers longer than this many characters.
    public var maxLength: Int?
    /// For structured output, refuse answers that are not JSON following the schema's outline (type and required
    /// properties, recursively).
    public var validateSchema: Bool
    public var action: Action

    public init(rejectEmpty: Bool = true, rejectRefusal: Bool = false, maxLength: Int? = nil, validateSchema: Bool = true, action: Action = .nextTarget) {
        self.rejectEmpty = rejectEmpty
        self.rejectRefusal = rejectRefusal
        self.maxLength = maxLength
        self.validateSchema = validateSchema
        self.action = action
    }

    /// Why `response` to `request` is not acceptable, or `nil`.
    public func problem(with response: ModelResponse, to request: ModelRequest) -> String? {
        // Scanning stops at the first visible character, where trimming would copy the whole answer.
        if rejectEmpty, response.toolCalls.isEmpty, response.text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            return "empty answer"
        }
        if rejectRefusal, response.finishReason == .refusal { return "refusal" }
        if let maxLength, response.text.count > maxLength { return "answer longer than \(maxLength) characters" }
        if validateSchema, let schema = request.responseSchema, response.toolCalls.isEmpty {
            guard let value = JSONValue.read(Data(response.text.utf8)) else {
                return "structured output is not JSON"
            }
            if let mismatch = Self.mismatch(value, schema, at: "") { return "structured output does not follow the schema: \(mismatch)" }
        }
        return nil
    }

    /// The first place `value` does not follow `schema` (type, enum, required properties, items), or `nil`.
    static func mismatch(_ value: JSONValue, _ schema: JSONValue, at pointer: String, depth: Int = 0) -> String? {
        guard depth < 32, case .object(let rules) = schema else { return nil }
        if case .array(let options)? = rules["enum"], !options.contains(value) { return "\(pointer.isEmpty ? "/" : pointer) is not one of the allowed values" }
        if let type = rules["type"] {
            let allowed: [String] = switch type {
            case .string(let name): [name]
            case .array(let names): names.compactMap { if case .string(let name) = $0 { name } else { nil } }
            default: []
            }
            if !allowed.isEmpty, !allowed.contains(where: { Self.matches(value, type: $0) }) {
                return "\(pointer.isEmpty ? "/" : pointer) is \(value.typeName), not \(allowed.joined(separator: " or "))"
            }
        }
        if case .object(let members) = value {
            if case .array(let required)? = rules["required"] {
                for case .string(let name) in required where members[name] == nil { return "\(pointer)/\(name) is missing" }
            }
            if case .object(let properties)? = rules["properties"] {
                for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                    if let rule = properties[name], let mismatch = Self.mismatch(member, rule, at: "\(pointer)/\(name)", depth: depth + 1) {
                        return mismatch
                    }
                }
            }
        }
        if case .array(let elements) = value, let items = rules["items"] {
            for (index, element) in elements.enumerated() {
                if let mismatch = Self.mismatch(element, items, at: "\(pointer)/\(index)", depth: depth + 1) { return mismatch }
            }
        }
        return nil
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number):
            return true
        case ("integer", .number(let number)):
            return number.rounded() == number
        default:
            return false
        }
    }
}
