public import Foundation

/// Runs flows: a pure function from a context and an event to a new context and the effects to carry out.
///
/// The interpreter does no I/O. It reads flow versions from its ``FlowSource`` and tenant settings it was given,
/// takes the time and randomness as arguments, and returns everything it wants done as ``Effect`` values. The same
/// inputs therefore always give the same outputs, which is what makes simulation, replay and tests exact.
public struct Interpreter: Sendable {
    /// Published flow versions.
    public var source: any FlowSource
    /// Tenant settings templates can read as `tenant.*`.
    public var tenant: [String: FlowValue]

    /// The deepest `call` nesting allowed.
    public static let maximumCallDepth = 8
    /// How much longer than a call's own timeout the interpreter waits for its result before counting it as
    /// timed out, so that the caller's more precise error normally arrives first.
    public static let deadlineGrace: TimeInterval = 5

    /// Creates an interpreter.
    public init(source: some FlowSource, tenant: [String: FlowValue] = [:]) {
        self.source = source
        self.tenant = tenant
    }

    /// Applies one event.
    ///
    /// - Parameters:
    ///   - context: the conversation's context; a new one from ``FlowContext/init(conversationId:contact:channel:)``
    ///     for a start event.
    ///   - event: what happened.
    ///   - now: the time, for timers and relative dates.
    ///   - random: randomness, used only for retry jitter.
    /// - Returns: the new context and the effects, in order. An event that does not apply (a message after the end,
    ///   a stale timer, a late result) changes nothing and yields one `event.ignored` analytics event.
    public func advance(
        _ context: FlowContext,
        with event: FlowEvent,
        now: Date,
        random: inout some RandomNumberGenerator
    ) -> (context: FlowContext, effects: [Effect]) {
        var run = Run(interpreter: self, context: context, now: now, random: random)
        switch event {
        case .start(let start): run.start(start)
        case .message(let message): run.receive(message)
        case .result(let result): run.receive(result)
        case .timer(let id): run.fire(id)
        }
        random = run.random
        return (run.context, run.effects)
    }
}

/// One call of `advance`.
struct Run<Random: RandomNumberGenerator> {
    let interpreter: Interpreter
    var context: FlowContext
    let now: Date
    var random: Random
    var effects: [Effect] = []
    var steps = 0
    var handlingError = false
    /// The definition the top frame runs.
    var definition: FlowDefinition!

    init(interpreter: Interpreter, context: FlowContext, now: Date, random: Random) {
        self.interpreter = interpreter
        self.context = context
        self.now = now
        self.random = random
        if let top = context.frames.last {
            definition = interpreter.source.definition(of: top.flow, version: top.version)
        }
    }

    private var topIndex: Int { context.frames.count - 1 }

    private var scope: RenderScope {
        RenderScope(vars: context.frames[topIndex].vars, contact: context.contact, channel: context.channel, tenant: interpreter.tenant)
    }

    private var today: Int { Int((now.timeIntervalSince1970 / 86_400).rounded(.down)) }

    // MARK: Events

    mutating func start(_ start: FlowEvent.Start) {
        guard context.frames.isEmpty, context.ended == nil else {
            return ignore(start.flow, "the conversation has already started")
        }
        var version = start.version
        if let experiment = start.experiment, let arm = experiment.arm(for: context.conversationId) {
            version = arm.version
            context.experiment = ExperimentAssignment(experiment: experiment.id, version: arm.version)
            analytics(.experimentAssigned, flow: start.flow, version: arm.version, state: nil, detail: ["experiment": .string(experiment.id)])
        }
        guard let version = version ?? interpreter.source.liveVersion(of: start.flow),
            let found = interpreter.source.definition(of: start.flow, version: version)
        else {
            context.ended = "error"
            analytics(.error, flow: start.flow, version: start.version ?? 0, state: nil, detail: FlowFailure(code: "flow-not-found", message: "The flow `\(start.flow)` has no such version.").value.objectValue)
            effects.append(.end(status: "error"))
            return
        }
        definition = found
        var vars = Self.defaults(of: found)
        for (key, value) in start.input { vars[key] = value }
        context.frames = [FlowContext.Frame(flow: found.id, version: version, state: found.states[found.start].id, vars: vars)]
        analytics(.flowStarted, state: nil)
        enter(found.start)
    }

    mutating func receive(_ message: FlowEvent.UserMessage) {
        guard !context.frames.isEmpty, context.ended == nil else {
            return ignore(context.frames.last?.flow ?? "", context.ended == nil ? "the flow has not started" : "the flow has ended")
        }
        if let (frame, target, trigger) = interrupt(for: message) {
            clearWaiting()
            while context.frames.count > frame + 1 {
                let dropped = context.frames.removeLast()
                analytics(.flowEnded, flow: dropped.flow, version: dropped.version, state: dropped.state, outcome: "interrupted")
            }
            definition = interpreter.source.definition(of: context.frames[topIndex].flow, version: context.frames[topIndex].version)
            let state = context.frames[topIndex].state
            analytics(.interrupted, state: state, detail: ["trigger": .string(trigger)])
            analytics(.stateLeft, state: state, outcome: "interrupt")
            return enter(target)
        }
        guard let waiting = context.waiting, waiting.kind == .answer, let index = definition.index(of: context.frames[topIndex].state),
            case .collect(let step) = definition.states[index].kind
        else { return ignore(context.frames[topIndex].flow, "the flow is not waiting for a message") }
        let stateID = definition.states[index].id
        switch step.rule.check(text: message.text, payload: message.payload, today: today, dateOrder: definition.dateOrder) {
        case .success(let value):
            clearWaiting()
            context.frames[topIndex].vars[step.variable] = value
            analytics(.variableCollected, state: stateID, detail: ["variable": .string(step.variable)])
            analytics(.stateLeft, state: stateID, outcome: "collected")
            enter(step.collected)
        case .failure(let refusal):
            context.frames[topIndex].attempts += 1
            let attempts = context.frames[topIndex].attempts
            analytics(.validationFailed, state: stateID, detail: ["variable": .string(step.variable), "reason": .string(refusal.rawValue), "attempt": .number(Double(attempts))])
            if attempts >= step.maxAttempts {
                clearWaiting()
                analytics(.stateLeft, state: stateID, outcome: "exhausted")
                return enter(step.exhausted)
            }
            send(step.retry.isEmpty ? step.prompt : step.retry)
            clearWaiting()
            ask(step)
        }
    }

    mutating func receive(_ result: FlowEvent.EffectResult) {
        guard context.ended == nil, let waiting = context.waiting, waiting.request == result.request,
            let index = definition.index(of: context.frames[topIndex].state)
        else { return ignore(context.frames.last?.flow ?? "", "no effect with id `\(result.request)` is awaited") }
        let state = definition.states[index]
        switch (waiting.kind, state.kind) {
        case (.result, .llm(let step)):
            clearWaiting()
            finishCall(state.id, output: step.output, result.outcome, success: step.success, failure: step.failure)
        case (.result, .integration(let step)):
            clearWaiting()
            if case .failure(let failure) = result.outcome, retry(step, after: failure) { return }
            finishCall(state.id, output: step.output, result.outcome, success: step.success, failure: step.failure)
        case (.handoff, .handoff(let step)):
            context.waiting = nil
            analytics(.stateLeft, state: state.id, outcome: "next")
            if let next = step.next { enter(next) } else { finish("handoff") }
        default:
            ignore(context.frames[topIndex].flow, "no effect with id `\(result.request)` is awaited")
        }
    }

    mutating func fire(_ timer: String) {
        guard context.ended == nil, let waiting = context.waiting, waiting.timer == timer,
            let index = definition.index(of: context.frames[topIndex].state)
        else { return ignore(context.frames.last?.flow ?? "", "no timer `\(timer)` is running") }
        let state = definition.states[index]
        context.waiting = nil
        switch (waiting.kind, state.kind) {
        case (.answer, .collect(let step)):
            analytics(.stateLeft, state: state.id, outcome: "timeout")
            enter(step.timeout ?? step.exhausted)
        case (.result, .llm(let step)):
            finishCall(state.id, output: step.output, .failure(Self.timedOut(step.timeoutSeconds)), success: step.success, failure: step.failure)
        case (.result, .integration(let step)):
            let failure = Self.timedOut(step.timeoutSeconds)
            if retry(step, after: failure) { return }
            finishCall(state.id, output: step.output, .failure(failure), success: step.success, failure: step.failure)
        case (.retry, .integration(let step)):
            callIntegration(step)
        case (.timer, .wait(let step)):
            analytics(.stateLeft, state: state.id, outcome: "next")
            enter(step.next)
        default:
            ignore(context.frames[topIndex].flow, "no timer `\(timer)` is running")
        }
    }

    // MARK: Running states

    /// Runs states from `start` until one waits or the flow ends.
    mutating func enter(_ start: Int) {
        var next: Int? = start
        while let index = next { next = step(index) }
    }

    /// Enters one state; returns the state to enter next, or `nil` when the flow now waits or has ended.
    private mutating func step(_ index: Int) -> Int? {
        guard definition.states.indices.contains(index) else {
            return fail(FlowFailure(code: "invalid-flow", message: "The flow goes to a state that does not exist."))
        }
        steps += 1
        if steps > definition.maxSteps {
            return fail(FlowFailure(code: "step-limit", message: "The flow passed through more than \(definition.maxSteps) states for one event without waiting for anything."))
        }
        let state = definition.states[index]
        context.frames[topIndex].state = state.id
        context.frames[topIndex].attempts = 0
        analytics(.stateEntered, state: state.id)
        switch state.kind {
        case .message(let step):
            send(step.messages)
            analytics(.stateLeft, state: state.id, outcome: "next")
            return step.next
        case .set(let step):
            for assignment in step.assignments {
                let value = evaluate(assignment.value)
                context.frames[topIndex].vars[assignment.name] = value
            }
            analytics(.stateLeft, state: state.id, outcome: "next")
            return step.next
        case .choice(let step):
            let (outcome, target) = choose(step)
            analytics(.stateLeft, state: state.id, outcome: outcome)
            return target
        case .collect(let step):
            send(step.prompt)
            ask(step)
            return nil
        case .llm(let step):
            callModel(step)
            return nil
        case .integration(let step):
            callIntegration(step)
            return nil
        case .handoff(let step):
            let id = nextID("r")
            effects.append(.handOff(Effect.Handoff(id: id, queue: step.queue, priority: step.priority, note: step.note.map(render), resumes: step.next != nil)))
            if step.next != nil {
                context.waiting = .init(kind: .handoff, request: id, timer: nil)
            } else {
                analytics(.stateLeft, state: state.id, outcome: "handoff")
                finish("handoff")
            }
            return nil
        case .wait(let step):
            let timer = nextID("t")
            effects.append(.startTimer(id: timer, at: now.addingTimeInterval(step.seconds)))
            context.waiting = .init(kind: .timer, request: nil, timer: timer)
            return nil
        case .call(let step):
            return call(step, from: state.id)
        case .link(let step):
            return link(step, from: state.id)
        case .end(let step):
            return end(step.status, state: state.id)
        }
    }

    private func choose(_ step: ChoiceStep) -> (String, Int) {
        let scope = self.scope
        for (offset, choice) in step.choices.enumerated() where choice.rule.holds(in: scope) {
            return (choiceOutcomes[safe: offset] ?? "choices/\(offset)", choice.next)
        }
        return ("default", step.fallback)
    }


    private mutating func ask(_ step: CollectStep) {
        var timer: String?
        if let seconds = step.timeoutSeconds {
            timer = nextID("t")
            effects.append(.startTimer(id: timer!, at: now.addingTimeInterval(seconds)))
        }
        context.waiting = .init(kind: .answer, request: nil, timer: timer)
    }

    private mutating func callModel(_ step: ModelStep) {
        let id = nextID("r")
        let scope = self.scope
        let call = Effect.ModelCall(
            id: id,
            route: step.route,
            prompt: step.prompt,
            messages: step.messages.map { .init(role: $0.role, content: $0.content.render(scope)) },
            input: Self.evaluate(step.input, in: scope),
            schema: step.schema,
            temperature: step.temperature,
            maxTokens: step.maxTokens,
            timeoutSeconds: step.timeoutSeconds
        )
        effects.append(.callModel(call))
        let timer = nextID("t")
        effects.append(.startTimer(id: timer, at: now.addingTimeInterval(step.timeoutSeconds + Interpreter.deadlineGrace)))
        context.waiting = .init(kind: .result, request: id, timer: timer)
    }

    private mutating func callIntegration(_ step: IntegrationStep) {
        context.frames[topIndex].attempts += 1
        let id = nextID("r")
        let call = Effect.IntegrationCall(
            id: id,
            integration: step.integration,
            operation: step.operation,
            input: Self.evaluate(step.input, in: scope),
            timeoutSeconds: step.timeoutSeconds,
            attempt: context.frames[topIndex].attempts
        )
        effects.append(.callIntegration(call))
        let timer = nextID("t")
        effects.append(.startTimer(id: timer, at: now.addingTimeInterval(step.timeoutSeconds + Interpreter.deadlineGrace)))
        context.waiting = .init(kind: .result, request: id, timer: timer)
    }

    /// Schedules another try after a retryable failure, if tries remain.
    private mutating func retry(_ step: IntegrationStep, after failure: FlowFailure) -> Bool {
        let attempts = context.frames[topIndex].attempts
        guard failure.retryable, attempts < step.retry.maxAttempts else { return false }
        let base = min(step.retry.maxBackoffSeconds, step.retry.backoffSeconds * pow(step.retry.multiplier, Double(attempts - 1)))
        // Equal jitter: half the backoff for sure, the other half at random, so that retries spread out.
        let delay = base / 2 + (base > 0 ? Double.random(in: 0...(base / 2), using: &random) : 0)
        analytics(.error, state: context.frames[topIndex].state, detail: ["code": .string(failure.code), "retryInSeconds": .number((delay * 1000).rounded() / 1000)])
        guard delay > 0 else {
            callIntegration(step)
            return true
        }
        let timer = nextID("t")
        effects.append(.startTimer(id: timer, at: now.addingTimeInterval(delay)))
        context.waiting = .init(kind: .retry, request: nil, timer: timer)
        return true
    }

    private mutating func finishCall(_ state: String, output: String?, _ outcome: FlowEvent.EffectResult.Outcome, success: Int, failure: Int) {
        switch outcome {
        case .success(let value):
            if let output { context.frames[topIndex].vars[output] = value }
            analytics(.stateLeft, state: state, outcome: "success")
            enter(success)
        case .failure(let reason):
            context.frames[topIndex].vars["error"] = reason.value
            analytics(.stateLeft, state: state, outcome: "failure", detail: ["code": .string(reason.code)])
            enter(failure)
        }
    }

    private mutating func call(_ step: CallStep, from state: String) -> Int? {
        guard context.frames.count < Interpreter.maximumCallDepth else {
            return fail(FlowFailure(code: "call-depth", message: "Subflows nest more than \(Interpreter.maximumCallDepth) deep."))
        }
        guard let sub = interpreter.source.definition(of: step.flow, version: step.version) else {
            return fail(FlowFailure(code: "flow-not-found", message: "The subflow `\(step.flow)` has no version \(step.version)."))
        }
        var vars = Self.defaults(of: sub)
        for (key, value) in Self.evaluate(step.input, in: scope) { vars[key] = value }
        context.frames.append(FlowContext.Frame(flow: sub.id, version: step.version, state: sub.states[sub.start].id, vars: vars))
        definition = sub
        analytics(.flowStarted, state: nil, detail: ["caller": .string(state)])
        return sub.start
    }

    private mutating func link(_ step: LinkStep, from state: String) -> Int? {
        guard let version = step.version ?? interpreter.source.liveVersion(of: step.flow),
            let target = interpreter.source.definition(of: step.flow, version: version)
        else { return fail(FlowFailure(code: "flow-not-found", message: "The linked flow `\(step.flow)` has no live version.")) }
        var vars = Self.defaults(of: target)
        for (key, value) in Self.evaluate(step.input, in: scope) { vars[key] = value }
        analytics(.stateLeft, state: state, outcome: "link")
        for frame in context.frames.reversed() {
            analytics(.flowEnded, flow: frame.flow, version: frame.version, state: frame.state, outcome: "linked")
        }
        context.frames = [FlowContext.Frame(flow: target.id, version: version, state: target.states[target.start].id, vars: vars)]
        definition = target
        analytics(.flowStarted, state: nil)
        return target.start
    }

    private mutating func end(_ status: String, state: String) -> Int? {
        guard context.frames.count > 1 else {
            finish(status)
            return nil
        }
        let sub = context.frames.removeLast()
        analytics(.flowEnded, flow: sub.flow, version: sub.version, state: state, outcome: status)
        let caller = context.frames[topIndex]
        guard let callerDefinition = interpreter.source.definition(of: caller.flow, version: caller.version),
            let index = callerDefinition.index(of: caller.state), case .call(let step) = callerDefinition.states[index].kind
        else { return fail(FlowFailure(code: "invalid-context", message: "The calling flow is no longer available.")) }
        definition = callerDefinition
        for (variable, from) in step.output { context.frames[topIndex].vars[variable] = sub.vars[from] ?? .null }
        context.frames[topIndex].vars["subflowStatus"] = .string(status)
        analytics(.stateLeft, state: caller.state, outcome: "next")
        return step.next
    }

    /// Ends the whole conversation's flow.
    private mutating func finish(_ status: String) {
        clearWaiting()
        context.ended = status
        analytics(.flowEnded, state: context.frames.last?.state, outcome: status)
        effects.append(.end(status: status))
    }

    /// Handles a failure the flow did not route: once per event to `onError`, else the end.
    private mutating func fail(_ failure: FlowFailure) -> Int? {
        let state = context.frames.last?.state
        analytics(.error, state: state, detail: ["code": .string(failure.code), "message": .string(failure.message)])
        clearWaiting()
        // A subflow without `onError` hands the failure to the nearest caller that has one.
        if !handlingError, definition?.onError == nil, context.frames.count > 1 {
            var index = context.frames.count - 2
            while index >= 0 {
                let frame = context.frames[index]
                if let caller = interpreter.source.definition(of: frame.flow, version: frame.version), caller.onError != nil {
                    while context.frames.count > index + 1 {
                        let dropped = context.frames.removeLast()
                        analytics(.flowEnded, flow: dropped.flow, version: dropped.version, state: dropped.state, outcome: "error")
                    }
                    definition = caller
                    break
                }
                index -= 1
            }
        }
        if !handlingError, let onError = definition?.onError, !context.frames.isEmpty {
            handlingError = true
            steps = 0
            var value = failure.value.objectValue ?? [:]
            value["state"] = state.map(FlowValue.string) ?? .null
            context.frames[topIndex].vars["error"] = .object(value)
            return onError
        }
        finish("error")
        return nil
    }

    // MARK: Pieces

    private mutating func clearWaiting() {
        if let timer = context.waiting?.timer { effects.append(.cancelTimer(id: timer)) }
        context.waiting = nil
    }

    private mutating func nextID(_ prefix: String) -> String {
        context.sequence += 1
        return prefix + String(context.sequence)
    }

    private func render(_ template: Template) -> String { template.render(scope) }

    private func evaluate(_ value: ValueTemplate) -> FlowValue {
        if case .literal(let literal) = value { return literal }
        return value.evaluate(in: scope)
    }

    private static func evaluate(_ pairs: [(key: String, value: ValueTemplate)], in scope: RenderScope) -> [String: FlowValue] {
        var out: [String: FlowValue] = [:]
        for pair in pairs { out[pair.key] = pair.value.evaluate(in: scope) }
        return out
    }

    private mutating func send(_ contents: [OutboundContent]) {
        guard !contents.isEmpty else { return }
        let scope = self.scope
        effects.append(.send(contents.map { Self.render($0, in: scope) }))
    }

    static func render(_ content: OutboundContent, in scope: RenderScope) -> Effect.OutboundMessage {
        Effect.OutboundMessage(
            text: content.text?.render(scope),
            media: content.media.map { .init(kind: $0.kind.rawValue, url: $0.url.render(scope), caption: $0.caption?.render(scope), filename: $0.filename) },
            buttons: content.buttons.isEmpty ? nil : content.buttons.map { .init(id: $0.id, title: $0.title.render(scope), description: nil) },
            list: content.list.map { list in
                .init(button: list.button.render(scope), sections: list.sections.map { section in
                    .init(title: section.title?.render(scope), rows: section.rows.map { .init(id: $0.id, title: $0.title.render(scope), description: $0.description?.render(scope)) })
                })
            }
        )
    }

    static func defaults(of definition: FlowDefinition) -> [String: FlowValue] {
        var vars: [String: FlowValue] = [:]
        for variable in definition.variables { vars[variable.name] = variable.defaultValue ?? .null }
        return vars
    }

    static func timedOut(_ seconds: Double) -> FlowFailure {
        FlowFailure(code: "timeout", message: "No result within \(FlowValue.format(seconds)) seconds.", retryable: true)
    }

    /// The frame index and target of the first interrupt that matches, from the running flow down the stack.
    private func interrupt(for message: FlowEvent.UserMessage) -> (Int, Int, String)? {
        let key = Keyword.normalize(message.text)
        for frameIndex in context.frames.indices.reversed() {
            let frame = context.frames[frameIndex]
            guard let flow = frameIndex == topIndex ? definition : interpreter.source.definition(of: frame.flow, version: frame.version) else { continue }
            for interrupt in flow.interrupts {
                if !key.isEmpty, interrupt.keywords.contains(key) { return (frameIndex, interrupt.next, key) }
                if let payload = message.payload, interrupt.keywords.contains(Keyword.normalize(payload)) { return (frameIndex, interrupt.next, payload) }
                if let pattern = interrupt.pattern, pattern.matches(message.text) { return (frameIndex, interrupt.next, pattern.source) }
            }
        }
        return nil
    }

    private mutating func ignore(_ flow: String, _ reason: String) {
        effects.append(.event(FlowAnalyticsEvent(kind: .ignored, flow: flow, version: context.frames.last?.version ?? 0, state: context.frames.last?.state, detail: ["reason": .string(reason)])))
    }

    private mutating func analytics(_ kind: FlowAnalyticsEvent.Kind, state: String?, outcome: String? = nil, detail: [String: FlowValue]? = nil) {
        let frame = context.frames[topIndex]
        effects.append(.event(FlowAnalyticsEvent(kind: kind, flow: frame.flow, version: frame.version, state: state, outcome: outcome, detail: detail)))
    }

    private mutating func analytics(_ kind: FlowAnalyticsEvent.Kind, flow: String, version: Int, state: String?, outcome: String? = nil, detail: [String: FlowValue]? = nil) {
        effects.append(.event(FlowAnalyticsEvent(kind: kind, flow: flow, version: version, state: state, outcome: outcome, detail: detail)))
    }
}

/// Outcome names for the first choices, made once so that a choice does not build a string per transition.
private let choiceOutcomes = (0..<32).map { "choices/\($0)" }

extension FlowValue {
    var objectValue: [String: FlowValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
