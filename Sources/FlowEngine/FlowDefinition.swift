/// A flow: a state machine a tenant writes as JSON, read and checked by ``FlowDefinition/read(_:)``.
///
/// States are kept in document order and refer to each other by index once read, so the interpreter never looks a
/// state up by name.
public struct FlowDefinition: Sendable {
    /// The flow's id, a slug such as `order-status`.
    public var id: String
    /// A display name.
    public var name: String?
    /// The state a conversation starts in.
    public var start: Int
    /// Declared variables with their defaults, set when a conversation starts.
    public var variables: [Variable]
    /// Every state, in document order.
    public var states: [State]
    /// Keyword and pattern interrupts checked on every user message.
    public var interrupts: [Interrupt]
    /// Where a failure the flow does not handle goes; without it such a conversation ends with status `error`.
    public var onError: Int?
    /// The most states one event may pass through before the flow counts as a runaway.
    public var maxSteps: Int
    /// How to read ambiguous dates such as `03/04/2027`.
    public var dateOrder: DateOrder

    /// The default bound on states per event.
    public static let defaultMaxSteps = 100
    /// The largest bound a flow may set.
    public static let maximumMaxSteps = 10_000

    /// Whether `text` is a valid flow id (and route, queue or status name): a lowercase letter or digit, then up to 63
    /// lowercase letters, digits, `-` or `_`.
    public static func isValidID(_ text: String) -> Bool { FlowReader.isSlug(text) }

    /// The index of the state named `id`.
    public func index(of id: String) -> Int? { stateIndex[id] }

    var stateIndex: [String: Int]

    /// A declared variable.
    public struct Variable: Sendable {
        public var name: String
        public var type: VariableType
        public var defaultValue: FlowValue?
    }

    /// The JSON type a declared variable holds.
    public enum VariableType: String, Sendable, CaseIterable {
        case string, number, boolean, object, array, any
    }

    /// Day-month order for dates written with slashes or dots.
    public enum DateOrder: String, Sendable, CaseIterable {
        /// `31/12/2027`
        case dmy
        /// `12/31/2027`
        case mdy
    }

    /// A flow-level interrupt: a user message that matches jumps to `next` from any waiting state.
    public struct Interrupt: Sendable {
        /// Whole messages that trigger it, compared ignoring case, surrounding space and punctuation.
        public var keywords: [String]
        /// A pattern that triggers it when found anywhere in the message.
        public var pattern: MessagePattern?
        /// The state to jump to.
        public var next: Int
    }
}

/// One state of a flow.
public struct State: Sendable {
    /// The state's id, its key in `states`.
    public var id: String
    /// What the state does.
    public var kind: Kind

    /// The state types.
    public enum Kind: Sendable {
        case message(MessageStep)
        case collect(CollectStep)
        case choice(ChoiceStep)
        case set(SetStep)
        case llm(ModelStep)
        case integration(IntegrationStep)
        case handoff(HandoffStep)
        case wait(WaitStep)
        case call(CallStep)
        case link(LinkStep)
        case end(EndStep)
    }

    /// The type name used in JSON.
    public var typeName: String {
        switch kind {
        case .message: return "message"
        case .collect: return "collect"
        case .choice: return "choice"
        case .set: return "set"
        case .llm: return "llm"
        case .integration: return "integration"
        case .handoff: return "handoff"
        case .wait: return "wait"
        case .call: return "call"
        case .link: return "link"
        case .end: return "end"
        }
    }

    /// Every state this one can go to, with the name of the transition.
    public var transitions: [(name: String, target: Int)] {
        switch kind {
        case .message(let step): return [("next", step.next)]
        case .collect(let step):
            var out = [("collected", step.collected), ("exhausted", step.exhausted)]
            if let timeout = step.timeout { out.append(("timeout", timeout)) }
            return out
        case .choice(let step):
            return step.choices.enumerated().map { ("choices/\($0.offset)", $0.element.next) } + [("default", step.fallback)]
        case .set(let step): return [("next", step.next)]
        case .llm(let step): return [("success", step.success), ("failure", step.failure)]
        case .integration(let step): return [("success", step.success), ("failure", step.failure)]
        case .handoff(let step): return step.next.map { [("next", $0)] } ?? []
        case .wait(let step): return [("next", step.next)]
        case .call(let step): return [("next", step.next)]
        case .link, .end: return []
        }
    }

    /// Whether entering this state always stops the current event and waits for something from outside: a user
    /// message, a result or a timer. A cycle must pass through at least one such state.
    public var waits: Bool {
        switch kind {
        case .collect, .llm, .integration, .handoff, .wait: return true
        case .message, .choice, .set, .call, .link, .end: return false
        }
    }
}

/// One outbound message: text, media, quick-reply buttons or a list.
public struct OutboundContent: Sendable {
    public var text: Template?
    public var media: Media?
    public var buttons: [Button]
    public var list: ListPicker?

    /// An attachment.
    public struct Media: Sendable {
        public enum Kind: String, Sendable, CaseIterable { case image, video, audio, file }
        public var kind: Kind
        public var url: Template
        public var caption: Template?
        public var filename: String?
    }

    /// A quick-reply button; a tap arrives as a user message whose payload is `id`.
    public struct Button: Sendable {
        public var id: String
        public var title: Template
    }

    /// A list picker: a button that opens sections of rows.
    public struct ListPicker: Sendable {
        public var button: Template
        public var sections: [Section]
        public struct Section: Sendable {
            public var title: Template?
            public var rows: [Row]
        }
        public struct Row: Sendable {
            public var id: String
            public var title: Template
            public var description: Template?
        }
    }
}

/// `message`: sends one or more messages, then goes on.
public struct MessageStep: Sendable {
    public var messages: [OutboundContent]
    public var next: Int
}

/// `collect`: asks, waits for an answer, checks it, re-asks, and stores it.
public struct CollectStep: Sendable {
    public var variable: String
    public var prompt: [OutboundContent]
    public var rule: AnswerRule
    public var retry: [OutboundContent]
    public var maxAttempts: Int
    public var timeoutSeconds: Double?
    public var collected: Int
    public var exhausted: Int
    public var timeout: Int?

    public static let defaultMaxAttempts = 3
}

/// How a `collect` state checks an answer.
public struct AnswerRule: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case text, number, integer, email, phone, date, choice, boolean
    }
    public var kind: Kind
    /// A pattern the whole answer must match.
    public var pattern: MessagePattern?
    /// Bounds: on the value for numbers, on the length for text, on the day for dates.
    public var minimum: Bound?
    public var maximum: Bound?
    /// The accepted options for `choice`.
    public var options: [Option]

    public enum Bound: Sendable {
        case number(Double)
        /// A date relative to the day of the answer: `today`, `today+30`, or a fixed ISO day as an offset from
        /// 1970-01-01.
        case day(relativeToToday: Int?, fixed: Int?)
    }

    /// An accepted answer to a `choice` question.
    public struct Option: Sendable {
        /// The value stored.
        public var value: String
        /// Other words that mean this option, compared like keywords.
        public var synonyms: [String]
    }
}

/// `choice`: the first rule that holds picks the next state; otherwise `default`.
public struct ChoiceStep: Sendable {
    public var choices: [(rule: Rule, next: Int)]
    public var fallback: Int
}

/// `set`: assigns variables from literals and templates, in order.
public struct SetStep: Sendable {
    public var assignments: [(name: String, value: ValueTemplate)]
    public var next: Int
}

/// A value to produce at run time: a literal, a template rendered to a string, or a template that is exactly
/// one variable reference (`"{{order}}"`), which copies the value with its type.
public enum ValueTemplate: Sendable {
    case literal(FlowValue)
    case template(Template)
    case reference(VariablePath)
    case array([ValueTemplate])
    case object([(key: String, value: ValueTemplate)])
}

/// `llm`: calls a model route.
public struct ModelStep: Sendable {
    public var route: String
    public var prompt: PromptReference?
    public var messages: [(role: String, content: Template)]
    public var input: [(key: String, value: ValueTemplate)]
    public var output: String?
    public var schema: FlowValue?
    public var temperature: Double?
    public var maxTokens: Int?
    public var timeoutSeconds: Double
    public var success: Int
    public var failure: Int

    public static let defaultTimeoutSeconds = 60.0
}

/// A versioned prompt, `name@version`.
public struct PromptReference: Sendable, Hashable, Codable {
    public var name: String
    public var version: Int

    /// A reference to version `version` of the prompt `name`.
    public init(name: String, version: Int) {
        self.name = name
        self.version = version
    }
    public var description: String { "\(name)@\(version)" }
}

/// `integration`: calls an operation of a tenant integration, retrying with backoff.
public struct IntegrationStep: Sendable {
    public var integration: String
    public var operation: String
    public var input: [(key: String, value: ValueTemplate)]
    public var output: String?
    public var retry: RetryPolicy
    public var timeoutSeconds: Double
    public var success: Int
    public var failure: Int

    public static let defaultTimeoutSeconds = 10.0
}

/// Retries of a failed call: `maxAttempts` tries in all, waiting `backoffSeconds × multiplier^(n-1)` (at most
/// `maxBackoffSeconds`) before try n+1, with equal jitter: half of that for sure, the other half at random.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var backoffSeconds: Double
    public var multiplier: Double
    public var maxBackoffSeconds: Double

    public static let none = RetryPolicy(maxAttempts: 1, backoffSeconds: 1, multiplier: 2, maxBackoffSeconds: 30)
}

/// `handoff`: hands the conversation to a human queue; resumes at `next` when an agent hands it back.
public struct HandoffStep: Sendable {
    public var queue: String
    public var priority: String
    public var note: Template?
    public var next: Int?
}

/// `wait`: pauses for a duration.
public struct WaitStep: Sendable {
    public var seconds: Double
    public var next: Int
}

/// `call`: runs another flow, pinned to a version, and comes back.
public struct CallStep: Sendable {
    public var flow: String
    public var version: Int
    public var input: [(key: String, value: ValueTemplate)]
    /// Caller variable ← subflow variable, copied back when the subflow ends.
    public var output: [(variable: String, from: String)]
    public var next: Int
}

/// `link`: hands the conversation over to another flow for good.
public struct LinkStep: Sendable {
    public var flow: String
    /// A pinned version, or `nil` for the version live when the link is followed.
    public var version: Int?
    public var input: [(key: String, value: ValueTemplate)]
}

/// `end`: ends the flow with a status; in a subflow, returns to the caller.
public struct EndStep: Sendable {
    public var status: String
    public static let defaultStatus = "completed"
}
