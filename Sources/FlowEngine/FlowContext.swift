
/// Everything a conversation's flow needs between two events, small enough to store with every turn.
///
/// A context names the exact flow version each frame runs, so publishing a new version never changes a
/// conversation already in progress. It is `Codable`; ``FlowContext/encoded()`` gives the compact, sorted-key
/// JSON that is stored.
public struct FlowContext: Sendable, Hashable, Codable {
    /// The conversation this context belongs to; experiment assignment hashes it.
    public var conversationId: String
    /// The call stack: the last frame is running; the others wait in `call` states. Empty before the start and
    /// after the end.
    public var frames: [Frame]
    /// What the running frame is waiting for, if anything.
    public var waiting: Waiting?
    /// The status the flow ended with, once it has.
    public var ended: String?
    /// Contact attributes templates can read as `contact.*`.
    public var contact: [String: FlowValue]
    /// Channel attributes templates can read as `channel.*`.
    public var channel: [String: FlowValue]
    /// The experiment and arm this conversation was assigned to, if any.
    public var experiment: ExperimentAssignment?
    /// The last number used for request and timer ids, which are unique within the conversation.
    public var sequence: Int

    /// A context for a conversation that has not started.
    public init(conversationId: String, contact: [String: FlowValue] = [:], channel: [String: FlowValue] = [:]) {
        self.conversationId = conversationId
        self.frames = []
        self.waiting = nil
        self.ended = nil
        self.contact = contact
        self.channel = channel
        self.experiment = nil
        self.sequence = 0
    }

    /// One flow on the call stack.
    public struct Frame: Sendable, Hashable, Codable {
        /// The flow's id.
        public var flow: String
        /// The published version this frame runs (0 for a draft under simulation).
        public var version: Int
        /// The current state's id.
        public var state: String
        /// The flow's variables.
        public var vars: [String: FlowValue]
        /// Failed answers in a `collect`, or calls made in an `integration`, in the current state.
        public var attempts: Int

        /// Creates a frame.
        public init(flow: String, version: Int, state: String, vars: [String: FlowValue], attempts: Int = 0) {
            self.flow = flow
            self.version = version
            self.state = state
            self.vars = vars
            self.attempts = attempts
        }
    }

    /// What a waiting flow will react to.
    public struct Waiting: Sendable, Hashable, Codable {
        /// The kinds of waiting.
        public enum Kind: String, Sendable, Hashable, Codable {
            /// A `collect` waits for an answer; `timer` is its timeout, if any.
            case answer
            /// An `llm` or `integration` waits for the result of `request`; `timer` is its deadline.
            case result
            /// An `integration` waits for `timer` before trying again.
            case retry
            /// A `wait` waits for `timer`.
            case timer
            /// A `handoff` waits for an agent to hand back `request`.
            case handoff
        }
        public var kind: Kind
        public var request: String?
        public var timer: String?

        /// Creates a waiting state.
        public init(kind: Kind, request: String?, timer: String?) {
            self.kind = kind
            self.request = request
            self.timer = timer
        }
    }

    /// Whether the flow has ended.
    public var isEnded: Bool { ended != nil }

}

/// The experiment arm a conversation was put in.
public struct ExperimentAssignment: Sendable, Hashable, Codable {
    public var experiment: String
    public var version: Int
}
