public import ChorusCore

/// A model call in one shape for every provider: what the flow engine's `llm` states and the OpenAI-compatible
/// endpoint hand to the orchestrator.
public struct ModelRequest: Sendable, Equatable {
    /// The system prompt, kept apart because providers place it differently (a message, a field, an instruction).
    public var system: String?
    /// The conversation, oldest first.
    public var messages: [ModelMessage]
    /// Sampling temperature, 0 to 2; `nil` leaves the provider's default.
    public var temperature: Double?
    /// The most tokens to generate; `nil` leaves the provider's default (Anthropic requires one; its codec fills in
    /// ``ModelRequest/defaultMaxTokens``).
    public var maxTokens: Int?
    /// Tools (functions) the model may call.
    public var tools: [ModelTool]
    /// A JSON Schema the answer must follow, for structured output.
    public var responseSchema: JSONValue?
    /// Stop sequences.
    public var stop: [String]

    /// What codecs use when a provider requires a token limit and the request has none.
    public static let defaultMaxTokens = 1024

    /// Creates a request.
    public init(
        system: String? = nil,
        messages: [ModelMessage],
        temperature: Double? = nil,
        maxTokens: Int? = nil,
        tools: [ModelTool] = [],
        responseSchema: JSONValue? = nil,
        stop: [String] = []
    ) {
        self.system = system
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.tools = tools
        self.responseSchema = responseSchema
        self.stop = stop
    }
}

/// One message of a conversation.
public struct ModelMessage: Sendable, Equatable {
    /// Who speaks.
    public enum Role: String, Sendable, Equatable {
        case user, assistant, tool
    }

    public var role: Role
    /// The text; empty for an assistant message that only calls tools.
    public var content: String
    /// Tool calls the assistant made, for an assistant message.
    public var toolCalls: [ModelToolCall]
    /// For a `tool` message: the id of the call it answers.
    public var toolCallID: String?

    /// Creates a message.
    public init(role: Role, content: String, toolCalls: [ModelToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    public static func user(_ text: String) -> ModelMessage { ModelMessage(role: .user, content: text) }
    public static func assistant(_ text: String) -> ModelMessage { ModelMessage(role: .assistant, content: text) }
}

/// A function the model may call.
public struct ModelTool: Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The JSON Schema of the arguments.
    public var parameters: JSONValue

    public init(name: String, description: String? = nil, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// A call of a tool by the model.
public struct ModelToolCall: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// The arguments as a JSON text, as providers stream them.
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}
