/// Something that happened to a conversation, fed to ``Interpreter/advance(_:with:now:random:)``.
public enum FlowEvent: Sendable, Hashable {
    /// Starts a flow for a new conversation.
    case start(Start)
    /// The user sent a message.
    case message(UserMessage)
    /// An effect the flow asked for finished: a model call, an integration call, or a handoff handed back.
    case result(EffectResult)
    /// A timer the flow started fired.
    case timer(id: String)

    /// How to start.
    public struct Start: Sendable, Hashable {
        /// The flow to run.
        public var flow: String
        /// The version to run; `nil` for the live version, or the experiment's pick.
        public var version: Int?
        /// An experiment to assign the conversation in; it decides the version.
        public var experiment: Experiment?
        /// Initial variables, on top of the declared defaults.
        public var input: [String: FlowValue]

        /// Creates a start event.
        public init(flow: String, version: Int? = nil, experiment: Experiment? = nil, input: [String: FlowValue] = [:]) {
            self.flow = flow
            self.version = version
            self.experiment = experiment
            self.input = input
        }
    }

    /// A user's message.
    public struct UserMessage: Sendable, Hashable, Codable {
        /// The text, empty for a tap on a button with no text.
        public var text: String
        /// The id of the button or list row tapped, if the message is a tap.
        public var payload: String?

        /// Creates a message.
        public init(text: String, payload: String? = nil) {
            self.text = text
            self.payload = payload
        }
    }

    /// The outcome of an effect.
    public struct EffectResult: Sendable, Hashable, Codable {
        /// The `id` of the effect this answers.
        public var request: String
        /// The outcome.
        public var outcome: Outcome

        /// Creates a result.
        public init(request: String, outcome: Outcome) {
            self.request = request
            self.outcome = outcome
        }

        /// Success with a value, or failure with a reason; in JSON, `{"success": value}` or
        /// `{"failure": {"code", "message", "retryable"}}`.
        public enum Outcome: Sendable, Hashable, Codable {
            case success(FlowValue)
            case failure(FlowFailure)

            private enum Key: String, CodingKey { case success, failure }

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: Key.self)
                guard container.allKeys.count == 1, let key = container.allKeys.first else {
                    throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "An outcome has exactly one of `success` or `failure`."))
                }
                switch key {
                case .success: self = .success(try container.decode(FlowValue.self, forKey: .success))
                case .failure: self = .failure(try container.decode(FlowFailure.self, forKey: .failure))
                }
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                switch self {
                case .success(let value): try container.encode(value, forKey: .success)
                case .failure(let failure): try container.encode(failure, forKey: .failure)
                }
            }
        }
    }
}

/// Why a model call, an integration call or the flow itself failed, as the flow sees it in `vars.error`.
public struct FlowFailure: Sendable, Hashable, Codable {
    /// A stable code such as `timeout`, `http-503`, `step-limit`.
    public var code: String
    /// A plain-language explanation.
    public var message: String
    /// Whether trying again may succeed; only retryable integration failures are retried.
    public var retryable: Bool

    /// Creates a failure.
    public init(code: String, message: String, retryable: Bool = false) {
        self.code = code
        self.message = message
        self.retryable = retryable
    }

    private enum CodingKeys: String, CodingKey { case code, message, retryable }

    /// Reads a failure; `message` defaults to the code and `retryable` to false.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        message = try container.decodeIfPresent(String.self, forKey: .message) ?? code
        retryable = try container.decodeIfPresent(Bool.self, forKey: .retryable) ?? false
    }

    var value: FlowValue { .object(["code": .string(code), "message": .string(message), "retryable": .bool(retryable)]) }
}
