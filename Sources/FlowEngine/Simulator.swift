public import Foundation

/// Runs a flow against a script of user messages, with canned results for model and integration calls, and
/// records what happened: how a flow designer tests a flow before publishing it.
///
/// The simulator drives the same ``Interpreter`` a live conversation uses, on a fixed clock and a seeded random
/// generator, so a simulation is exactly repeatable.
public struct Simulation: Sendable, Codable {
    /// The user's side of the conversation, in order.
    public var script: [Step]
    /// Canned results by state id: each call from that state takes the next one; the last one repeats. A call with
    /// none fails with code `not-simulated`.
    public var results: [String: [FlowEvent.EffectResult.Outcome]]
    /// Initial variables.
    public var input: [String: FlowValue]
    /// Contact attributes (`contact.*`).
    public var contact: [String: FlowValue]
    /// Channel attributes (`channel.*`).
    public var channel: [String: FlowValue]
    /// The conversation id, which experiments hash.
    public var conversationId: String
    /// The simulated start time; the clock moves only with `wait` steps and timers.
    public var now: Date
    /// The seed for retry jitter.
    public var seed: UInt64

    /// The most script steps a simulation may have.
    public static let maximumSteps = 500
    /// The most states a whole simulation may enter; it stops there with a note, so that no flow can make a
    /// simulation's work or its answer grow without bound.
    public static let maximumStatesEntered = 5_000

    /// Creates a simulation.
    public init(
        script: [Step],
        results: [String: [FlowEvent.EffectResult.Outcome]] = [:],
        input: [String: FlowValue] = [:],
        contact: [String: FlowValue] = [:],
        channel: [String: FlowValue] = [:],
        conversationId: String = "simulation",
        now: Date = Date(timeIntervalSince1970: 1_800_000_000),
        seed: UInt64 = 1
    ) {
        self.script = script
        self.results = results
        self.input = input
        self.contact = contact
        self.channel = channel
        self.conversationId = conversationId
        self.now = now
        self.seed = seed
    }

    /// One thing the user (or the world) does.
    public enum Step: Sendable, Hashable, Codable {
        /// The user types a message.
        case say(String)
        /// The user taps a button or list row with this id.
        case tap(String)
        /// Time passes; due timers fire in order.
        case wait(seconds: Double)
        /// The earliest pending timer fires now, whatever its time: a collect's timeout, a wait's end.
        case timeout
        /// An agent hands the conversation back to the flow.
        case agentReturns

        private enum Key: String, CodingKey { case say, tap, wait, timeout, agentReturns }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            guard container.allKeys.count == 1, let key = container.allKeys.first else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "A step has exactly one of say, tap, wait, timeout, agentReturns."))
            }
            switch key {
            case .say: self = .say(try container.decode(String.self, forKey: .say))
            case .tap: self = .tap(try container.decode(String.self, forKey: .tap))
            case .wait:
                let seconds = try container.decode(Double.self, forKey: .wait)
                guard seconds >= 0, seconds <= 366 * 86_400 else {
                    throw DecodingError.dataCorruptedError(forKey: .wait, in: container, debugDescription: "wait is 0 to 31,622,400 seconds.")
                }
                self = .wait(seconds: seconds)
            case .timeout: self = .timeout
            case .agentReturns: self = .agentReturns
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            switch self {
            case .say(let text): try container.encode(text, forKey: .say)
            case .tap(let id): try container.encode(id, forKey: .tap)
            case .wait(let seconds): try container.encode(seconds, forKey: .wait)
            case .timeout: try container.encode(true, forKey: .timeout)
            case .agentReturns: try container.encode(true, forKey: .agentReturns)
            }
        }
    }

    /// What a simulation produced.
    public struct Outcome: Sendable, Hashable, Codable {
        /// The conversation as the user would see it, plus the calls the flow made.
        public var transcript: [Line]
        /// Every effect, in order.
        public var effects: [Effect]
        /// Every state entered, in order.
        public var statesVisited: [Visit]
        /// The variables of the flow on top of the stack at the end.
        public var variables: [String: FlowValue]
        /// The end status, or `nil` if the flow is still waiting.
        public var ended: String?
        /// What the flow waits for at the end: `answer`, `result`, `retry`, `timer` or `handoff`.
        public var waitingFor: String?
        /// The final context.
        public var context: FlowContext
        /// Things the designer should know: script steps that did nothing, calls without canned results.
        public var notes: [String]
    }

    /// A line of the transcript.
    public struct Line: Sendable, Hashable, Codable {
        /// `user`, `bot` or `system`.
        public var from: String
        public var text: String?
        public var message: Effect.OutboundMessage? = nil
    }

    /// A state entered.
    public struct Visit: Sendable, Hashable, Codable {
        public var flow: String
        public var state: String
    }

    /// Runs the simulation on `flow`, whose version number in the context is `version` (0 for a draft); `library`
    /// holds the published versions of flows it calls or links to.
    public func run(_ flow: FlowDefinition, version: Int, library: FlowLibrary = FlowLibrary(), tenant: [String: FlowValue] = [:]) -> Outcome {
        var library = library
        library.add(flow, version: version)
        library.setLive(flow.id, version: version)
        let interpreter = Interpreter(source: library, tenant: tenant)
        var driver = Driver(simulation: self, interpreter: interpreter)
        driver.apply(.start(.init(flow: flow.id, version: version, input: input)))
        for (index, step) in script.prefix(Self.maximumSteps).enumerated() where !driver.stopped {
            driver.perform(step, index: index)
        }
        if script.count > Self.maximumSteps { driver.notes.append("Only the first \(Self.maximumSteps) script steps ran.") }
        let context = driver.context
        return Outcome(
            transcript: driver.transcript,
            effects: driver.effects,
            statesVisited: driver.visits,
            variables: context.frames.last?.vars ?? [:],
            ended: context.ended,
            waitingFor: context.waiting?.kind.rawValue,
            context: context,
            notes: driver.notes
        )
    }

    private struct Driver {
        let simulation: Simulation
        let interpreter: Interpreter
        var context: FlowContext
        var now: Date
        var random: SplitMix64
        var timers: [(id: String, at: Date)] = []
        var used: [String: Int] = [:]
        var transcript: [Line] = []
        var effects: [Effect] = []
        var visits: [Visit] = []
        var notes: [String] = []
        /// Guards against a flow that keeps calling with canned results that send it back to the call.
        var budget = 10_000
        /// Set once the simulation has entered `maximumStatesEntered` states.
        var stopped = false

        init(simulation: Simulation, interpreter: Interpreter) {
            self.simulation = simulation
            self.interpreter = interpreter
            self.context = FlowContext(conversationId: simulation.conversationId, contact: simulation.contact, channel: simulation.channel)
            self.now = simulation.now
            self.random = SplitMix64(seed: simulation.seed)
        }

        mutating func perform(_ step: Step, index: Int) {
            switch step {
            case .say(let text):
                transcript.append(Line(from: "user", text: text))
                apply(.message(.init(text: text)))
            case .tap(let id):
                transcript.append(Line(from: "user", text: id))
                apply(.message(.init(text: id, payload: id)))
            case .wait(let seconds):
                let until = now.addingTimeInterval(seconds)
                while let next = timers.min(by: { $0.at < $1.at }), next.at <= until {
                    now = max(now, next.at)
                    fire(next.id)
                }
                now = until
            case .timeout:
                guard let next = timers.min(by: { $0.at < $1.at }) else {
                    notes.append("Step \(index): `timeout`, but no timer was running.")
                    return
                }
                now = max(now, next.at)
                fire(next.id)
            case .agentReturns:
                guard let waiting = context.waiting, waiting.kind == .handoff, let request = waiting.request else {
                    notes.append("Step \(index): `agentReturns`, but the flow was not handed off to an agent.")
                    return
                }
                transcript.append(Line(from: "system", text: "An agent handed the conversation back."))
                apply(.result(.init(request: request, outcome: .success(.null))))
            }
        }

        private mutating func fire(_ id: String) {
            timers.removeAll { $0.id == id }
            apply(.timer(id: id))
        }

        mutating func apply(_ event: FlowEvent) {
            var pending: [FlowEvent] = [event]
            while !pending.isEmpty, budget > 0, !stopped {
                budget -= 1
                let next = pending.removeFirst()
                let (context, produced) = interpreter.advance(self.context, with: next, now: now, random: &random)
                self.context = context
                for effect in produced {
                    effects.append(effect)
                    switch effect {
                    case .send(let messages):
                        for message in messages { transcript.append(Line(from: "bot", text: message.text, message: message)) }
                    case .callModel(let call):
                        transcript.append(Line(from: "system", text: "Model route `\(call.route)` called."))
                        pending.append(.result(.init(request: call.id, outcome: canned(call.id, kind: "model"))))
                    case .callIntegration(let call):
                        transcript.append(Line(from: "system", text: "Integration `\(call.integration)` operation `\(call.operation)` called (attempt \(call.attempt))."))
                        pending.append(.result(.init(request: call.id, outcome: canned(call.id, kind: "integration"))))
                    case .handOff(let handoff):
                        transcript.append(Line(from: "system", text: "Handed off to the `\(handoff.queue)` queue."))
                    case .startTimer(let id, let at):
                        timers.append((id, at))
                        // Retry backoffs pass on their own; the script moves only the timers it cares about.
                        if self.context.waiting?.kind == .retry, self.context.waiting?.timer == id {
                            now = max(now, at)
                            timers.removeAll { $0.id == id }
                            pending.append(.timer(id: id))
                        }
                    case .cancelTimer(let id):
                        timers.removeAll { $0.id == id }
                    case .end(let status):
                        transcript.append(Line(from: "system", text: "The flow ended: \(status)."))
                    case .event(let event):
                        if event.kind == .stateEntered, let state = event.state { visits.append(Visit(flow: event.flow, state: state)) }
                        if visits.count >= Simulation.maximumStatesEntered && !stopped {
                            stopped = true
                            notes.append("The simulation stopped after entering \(Simulation.maximumStatesEntered) states.")
                        }
                        if event.kind == .ignored, let reason = event.detail?["reason"] { notes.append("Ignored: \(reason.text).") }
                    }
                }
            }
            if budget <= 0 { notes.append("The simulation stopped after 10,000 events.") }
        }

        /// The next canned result for the call just made, from the state that made it.
        private mutating func canned(_ request: String, kind: String) -> FlowEvent.EffectResult.Outcome {
            let state = context.frames.last?.state ?? ""
            guard let list = simulation.results[state], !list.isEmpty else {
                notes.append("No canned result for the \(kind) call in `\(state)`; it failed with `not-simulated`.")
                return .failure(FlowFailure(code: "not-simulated", message: "No canned result for `\(state)`."))
            }
            let index = used[state, default: 0]
            used[state] = index + 1
            return list[min(index, list.count - 1)]
        }
    }
}

/// A small seeded generator, so that simulations and tests repeat exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator from a seed.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

