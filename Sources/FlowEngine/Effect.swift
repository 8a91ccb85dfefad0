public import Foundation

/// Something the flow asks the world to do, as data: the conversation worker carries effects out, and the
/// simulator records them.
public enum Effect: Sendable, Hashable {
    /// Send messages to the user, in order.
    case send([OutboundMessage])
    /// Call a model route; answer with a ``FlowEvent/result(_:)`` for `id`.
    case callModel(ModelCall)
    /// Call an integration's operation; answer with a ``FlowEvent/result(_:)`` for `id`.
    case callIntegration(IntegrationCall)
    /// Hand the conversation to a human queue. When the handoff state has a `next`, answer with a result for
    /// `id` once an agent hands the conversation back.
    case handOff(Handoff)
    /// Start a timer; fire it with ``FlowEvent/timer(id:)`` at `at`.
    case startTimer(id: String, at: Date)
    /// Cancel a timer that has not fired.
    case cancelTimer(id: String)
    /// The conversation's flow ended with this status.
    case end(status: String)
    /// An analytics event.
    case event(FlowAnalyticsEvent)

    /// A rendered message.
    public struct OutboundMessage: Sendable, Hashable, Codable {
        public var text: String?
        public var media: Media?
        public var buttons: [Choice]?
        public var list: List?

        public struct Media: Sendable, Hashable, Codable {
            public var kind: String
            public var url: String
            public var caption: String?
            public var filename: String?
        }
        public struct Choice: Sendable, Hashable, Codable {
            public var id: String
            public var title: String
            public var description: String?
        }
        public struct List: Sendable, Hashable, Codable {
            public var button: String
            public var sections: [Section]
            public struct Section: Sendable, Hashable, Codable {
                public var title: String?
                public var rows: [Choice]
            }
        }

        /// A text-only message.
        public init(text: String) {
            self.text = text
        }

        init(text: String?, media: Media?, buttons: [Choice]?, list: List?) {
            self.text = text
            self.media = media
            self.buttons = buttons
            self.list = list
        }
    }

    /// A model call.
    public struct ModelCall: Sendable, Hashable, Codable {
        public var id: String
        public var route: String
        /// A versioned prompt, rendered by the orchestrator with `input`.
        public var prompt: PromptReference?
        /// Inline messages, already rendered.
        public var messages: [Message]
        public var input: [String: FlowValue]
        /// A JSON Schema the answer must follow; the answer is then a JSON value, else a string.
        public var schema: FlowValue?
        public var temperature: Double?
        public var maxTokens: Int?
        public var timeoutSeconds: Double

        public struct Message: Sendable, Hashable, Codable {
            public var role: String
            public var content: String
        }
    }

    /// An integration call.
    public struct IntegrationCall: Sendable, Hashable, Codable {
        public var id: String
        public var integration: String
        public var operation: String
        public var input: [String: FlowValue]
        public var timeoutSeconds: Double
        /// 1 for the first try.
        public var attempt: Int
    }

    /// A handoff to humans.
    public struct Handoff: Sendable, Hashable, Codable {
        public var id: String
        public var queue: String
        public var priority: String
        public var note: String?
        /// Whether the flow resumes when an agent hands the conversation back.
        public var resumes: Bool
    }
}

/// An analytics event from the interpreter.
public struct FlowAnalyticsEvent: Sendable, Hashable, Codable {
    /// The kinds of events.
    public enum Kind: String, Sendable, Hashable, Codable {
        case flowStarted = "flow.started"
        case flowEnded = "flow.ended"
        case stateEntered = "state.entered"
        case stateLeft = "state.left"
        case variableCollected = "variable.collected"
        case validationFailed = "validation.failed"
        case experimentAssigned = "experiment.assigned"
        case interrupted = "interrupt.matched"
        case error = "flow.error"
        case ignored = "event.ignored"
    }
    public var kind: Kind
    public var flow: String
    public var version: Int
    public var state: String?
    /// For `state.left`, the transition taken (`next`, `collected`, `default`, `choices/0`…); for `flow.ended`,
    /// the status.
    public var outcome: String?
    /// Kind-specific details: the variable collected, why an answer failed, the experiment's id, the error.
    public var detail: [String: FlowValue]?

    public init(kind: Kind, flow: String, version: Int, state: String?, outcome: String? = nil, detail: [String: FlowValue]? = nil) {
        self.kind = kind
        self.flow = flow
        self.version = version
        self.state = state
        self.outcome = outcome
        self.detail = detail
    }
}

extension Effect: Codable {
    private enum Key: String, CodingKey {
        case type, messages, call, handoff, id, at, status, event
    }

    /// The effect's type as written in JSON: `send`, `call-model`, `call-integration`, `hand-off`, `start-timer`,
    /// `cancel-timer`, `end` or `event`.
    public var typeName: String {
        switch self {
        case .send: return "send"
        case .callModel: return "call-model"
        case .callIntegration: return "call-integration"
        case .handOff: return "hand-off"
        case .startTimer: return "start-timer"
        case .cancelTimer: return "cancel-timer"
        case .end: return "end"
        case .event: return "event"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(typeName, forKey: .type)
        switch self {
        case .send(let messages): try container.encode(messages, forKey: .messages)
        case .callModel(let call): try container.encode(call, forKey: .call)
        case .callIntegration(let call): try container.encode(call, forKey: .call)
        case .handOff(let handoff): try container.encode(handoff, forKey: .handoff)
        case .startTimer(let id, let at):
            try container.encode(id, forKey: .id)
            try container.encode(at.timeIntervalSince1970, forKey: .at)
        case .cancelTimer(let id): try container.encode(id, forKey: .id)
        case .end(let status): try container.encode(status, forKey: .status)
        case .event(let event): try container.encode(event, forKey: .event)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        switch try container.decode(String.self, forKey: .type) {
        case "send": self = .send(try container.decode([OutboundMessage].self, forKey: .messages))
        case "call-model": self = .callModel(try container.decode(ModelCall.self, forKey: .call))
        case "call-integration": self = .callIntegration(try container.decode(IntegrationCall.self, forKey: .call))
        case "hand-off": self = .handOff(try container.decode(Handoff.self, forKey: .handoff))
        case "start-timer":
            self = .startTimer(
                id: try container.decode(String.self, forKey: .id),
                at: Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .at))
            )
        case "cancel-timer": self = .cancelTimer(id: try container.decode(String.self, forKey: .id))
        case "end": self = .end(status: try container.decode(String.self, forKey: .status))
        case "event": self = .event(try container.decode(FlowAnalyticsEvent.self, forKey: .event))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown effect type \(other)")
        }
    }
}
