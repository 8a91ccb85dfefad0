public import Foundation
import Synchronization

/// Calls one target; the transport implements it for real providers, tests with canned answers.
public protocol ModelCaller: Sendable {
    /// The answer of `target` to `request`.
    func complete(_ request: ModelRequest, target: RouteTarget) async -> Result<ModelResponse, ModelError>
    /// The answer of `target` to `request`, as it arrives; it ends with `finish` or `failure`.
    func stream(_ request: ModelRequest, target: RouteTarget) -> AsyncStream<ModelStreamEvent>
}

extension ModelCaller {
    /// A stream made of the whole answer, for callers that cannot stream.
    public func stream(_ request: ModelRequest, target: RouteTarget) -> AsyncStream<ModelStreamEvent> {
        AsyncStream { continuation in
            let task = Task {
                switch await complete(request, target: target) {
                case .success(let response):
                    if !response.text.isEmpty { continuation.yield(.text(response.text)) }
                    for (index, call) in response.toolCalls.enumerated() {
                        continuation.yield(.toolCall(index: index, id: call.id, name: call.name, arguments: call.arguments))
                    }
                    continuation.yield(.usage(response.usage))
                    continuation.yield(.finish(response.finishReason))
                case .failure(let error):
                    continuation.yield(.failure(error))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// What a routed stream says: the attempts made before an answer started, which target answers (`nil` for the
/// last resort), then the answer's events.
public enum RouteStreamEvent: Sendable, Equatable {
    case attempts([RouteOutcome.Attempt])
    case answering(RouteTarget?)
    case event(ModelStreamEvent)
}

/// What a routed call did: the answer, who gave it, and every attempt on the way.
public struct RouteOutcome: Sendable, Equatable {
    /// One try.
    public struct Attempt: Sendable, Equatable {
        public var target: String
        /// `nil` when the try succeeded.
        public var error: ModelError?
        /// Why the target was skipped without a call (`breaker open`, `disabled`), if it was.
        public var skipped: String?
    }

    public var response: ModelResponse
    /// The target that answered, or `nil` when the route's last resort did.
    public var target: RouteTarget?
    public var attempts: [Attempt]
    /// Whether the answer came from the response cache (no target was called).
    public var cacheHit: Bool = false
}

/// Runs routes: orders targets by policy, retries with backoff that honours `retry-after`, follows the general,
/// context-window and content-policy chains, keeps a circuit breaker and latency statistics per target, takes
/// targets with bad credentials or unknown models out of rotation, and ends with the route's last resort, so a call
/// always gets an answer.
///
/// Breakers and statistics live in this process; the `clock` and `sleep` are injected so that tests run instantly.
public final class ModelRouter: Sendable {
    private struct State {
        var latencies: [String: LatencyStats] = [:]
        var disabled: [String: ModelError] = [:]
        var random: SplitMixRandom
    }

    private let caller: any ModelCaller
    private let breakerPolicy: CircuitBreaker.Policy
    private let breakers: any BreakerStore
    private let cache: (any ResponseCache)?
    private let tenant: String
    private let clock: @Sendable () -> Double
    private let sleep: @Sendable (Double) async -> Void
    private let state: Mutex<State>

    /// Creates a router.
    /// - Parameters:
    ///   - caller: what calls targets.
    ///   - breakerPolicy: the circuit breakers' rules.
    ///   - breakers: where breakers keep their counts; by default in this process on `clock`.
    ///   - cache: where answers are cached for routes that cache; `nil` caches nothing.
    ///   - tenant: the tenant this router serves, part of every cache key.
    ///   - clock: the time in seconds (monotonic).
    ///   - sleep: waits for backoff.
    ///   - seed: the seed of the jitter and weighted choices.
    public init(
        caller: any ModelCaller,
        breakerPolicy: CircuitBreaker.Policy = CircuitBreaker.Policy(),
        breakers: (any BreakerStore)? = nil,
        cache: (any ResponseCache)? = nil,
        tenant: String = "",
        clock: @escaping @Sendable () -> Double,
        sleep: @escaping @Sendable (Double) async -> Void,
        seed: UInt64
    ) {
        self.caller = caller
        self.breakerPolicy = breakerPolicy
        self.breakers = breakers ?? LocalBreakerStore(clock: clock)
        self.cache = cache
        self.tenant = tenant
        self.clock = clock
        self.sleep = sleep
        self.state = Mutex(State(random: SplitMixRandom(seed: seed)))
    }

    /// The breaker state of a target.
    public func breakerState(of target: String) async -> CircuitBreaker.State {
        await breakers.state(of: target)
    }

    /// Puts a target taken out of rotation back, after its credentials or model were fixed.
    public func enable(_ target: String) {
        _ = state.withLock { $0.disabled.removeValue(forKey: target) }
    }

    /// Answers `request` through `route`.
    public func complete(_ request: ModelRequest, route: ModelRoute) async -> RouteOutcome {
        var cacheKey: String?
        if let cache, let settings = route.cache, settings.applies(to: request) {
            let key = CacheSettings.key(tenant: tenant, route: route.name, request: request)
            if let hit = await cache.answer(for: key) {
                let target = (route.targets + route.contextWindowChain + route.contentPolicyChain).first { $0.id == hit.target }
                return RouteOutcome(response: hit.response, target: target, attempts: [], cacheHit: true)
            }
            cacheKey = key
        }
        let outcome = await routed(request, route: route)
        // Only answers from a target are kept: errors never are, and the last resort is not an answer to keep.
        if let cache, let cacheKey, let settings = route.cache, let target = outcome.target {
            await cache.store(CachedAnswer(response: outcome.response, target: target.id), for: cacheKey, ttl: settings.ttl)
        }
        return outcome
    }

    private func routed(_ request: ModelRequest, route: ModelRoute) async -> RouteOutcome {
        let (answer, target, attempts) = await run(request, route: route) { target in
            var result = await self.caller.complete(request, target: target)
            var giveUp = false
            if case .success(let response) = result, let problem = route.quality.problem(with: response, to: request) {
                result = .failure(ModelError(.malformedResponse, message: "Quality check failed: \(problem)."))
                giveUp = route.quality.action == .nextTarget
            }
            return (result, giveUp)
        }
        guard let answer, let target else {
            return RouteOutcome(response: LocalModel(fallbackText: route.lastResort).respond(to: request), target: nil, attempts: attempts)
        }
        return RouteOutcome(response: answer, target: target, attempts: attempts)
    }

    /// Streams the answer to `request` through `route`. Fallback happens before the first token: a target whose
    /// stream fails before any text, tool call or finish is treated like a failed call, and the next one is tried.
    /// Once a target has started answering, its stream is passed on as it is, and a failure after that point arrives
    /// as a `failure` event, never as a silently shorter answer.
    public func stream(_ request: ModelRequest, route: ModelRoute) -> AsyncStream<RouteStreamEvent> {
        AsyncStream { continuation in
            let task = Task {
                let (opened, target, attempts) = await self.run(request, route: route) {
                    (target: RouteTarget) async -> (Result<OpenedStream, ModelError>, giveUp: Bool) in
                    let stream = self.caller.stream(request, target: target)
                    var iterator = stream.makeAsyncIterator()
                    var buffered: [ModelStreamEvent] = []
                    while let event = await iterator.next() {
                        switch event {
                        case .usage:
                            buffered.append(event)
                        case .failure(let error):
                            return (.failure(error), false)
                        case .text, .toolCall, .finish:
                            buffered.append(event)
                            return (.success(OpenedStream(buffered: buffered, rest: iterator)), false)
                        }
                    }
                    return (.failure(ModelError(.malformedResponse, message: "The stream ended before any answer.")), false)
                }
                continuation.yield(.attempts(attempts))
                guard var opened, let target else {
                    continuation.yield(.answering(nil))
                    let local = LocalModel(fallbackText: route.lastResort).respond(to: request)
                    continuation.yield(.event(.text(local.text)))
                    continuation.yield(.event(.usage(local.usage)))
                    continuation.yield(.event(.finish(local.finishReason)))
                    continuation.finish()
                    return
                }
                continuation.yield(.answering(target))
                for event in opened.buffered { continuation.yield(.event(event)) }
                while let event = await opened.rest.next() {
                    if case .failure(let error) = event {
                        await self.breakers.record(target.id, success: error.kind != .retryable && error.kind != .malformedResponse, policy: self.breakerPolicy)
                    }
                    continuation.yield(.event(event))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A stream that has started answering: what arrived so far, and the rest.
    struct OpenedStream {
        var buffered: [ModelStreamEvent]
        var rest: AsyncStream<ModelStreamEvent>.AsyncIterator
    }

    /// The routing loop shared by ``complete(_:route:)`` and ``stream(_:route:)``: orders targets, checks breakers and
    /// rotation, tries each with `attempt` (which also says when a failure should not be retried on the same target),
    /// retries with backoff, follows the chains, and returns the first success with its target, or `nil` when every
    /// target failed.
    private func run<Answer>(
        _ request: ModelRequest,
        route: ModelRoute,
        attempt call: (RouteTarget) async -> (Result<Answer, ModelError>, giveUp: Bool)
    ) async -> (Answer?, RouteTarget?, [RouteOutcome.Attempt]) {
        let estimatedInput = request.messages.reduce((request.system?.utf8.count ?? 0)) { $0 + $1.content.utf8.count } / 4
        var queue = state.withLock { state in
            TargetSelector.order(
                route,
                latencies: state.latencies.compactMapValues(\.median),
                estimatedInputTokens: estimatedInput,
                random: &state.random
            )
        }
        var tried: Set<String> = []
        var attempts: [RouteOutcome.Attempt] = []
        var switchedForContent = false

        targets: while !queue.isEmpty {
            let target = queue.removeFirst()
            guard tried.insert(target.id).inserted else { continue }
            var attempt = 1
            while true {
                var admission: String? = state.withLock { $0.disabled[target.id] != nil ? "disabled" : nil }
                if admission == nil, await !breakers.allows(target.id, policy: breakerPolicy) { admission = "breaker open" }
                if let skipped = admission {
                    attempts.append(.init(target: target.id, error: nil, skipped: skipped))
                    continue targets
                }
                let started = clock()
                let (result, giveUp) = await call(target)
                let elapsed = clock() - started
                await record(result.map { _ in () }, target: target.id, elapsed: elapsed)
                switch result {
                case .success(let answer):
                    attempts.append(.init(target: target.id, error: nil, skipped: nil))
                    return (answer, target, attempts)
                case .failure(let error):
                    attempts.append(.init(target: target.id, error: error, skipped: nil))
                    switch error.kind {
                    case .retryable, .malformedResponse:
                        if !giveUp, attempt < route.retry.attemptsPerTarget,
                            let delay = state.withLock({ route.retry.delay(after: attempt, error: error, random: &$0.random) })
                        {
                            await sleep(delay)
                            attempt += 1
                            continue
                        }
                    case .contextWindowExceeded:
                        queue = route.contextWindowChain + queue
                    case .contentPolicy:
                        if !switchedForContent {
                            switchedForContent = true
                            queue = route.contentPolicyChain
                        }
                    case .badCredentials, .unknownModel:
                        state.withLock { _ = $0.disabled.updateValue(error, forKey: target.id) }
                    case .quotaExhausted, .invalidRequest:
                        break
                    }
                    continue targets
                }
            }
        }
        return (nil, nil, attempts)
    }

    /// Feeds breakers and latency statistics. Only failures that say something about the target's health count
    /// against its breaker: a prompt too long or blocked by policy is the request's doing.
    private func record(_ result: Result<Void, ModelError>, target: String, elapsed: Double) async {
        switch result {
        case .success:
            state.withLock { $0.latencies[target, default: LatencyStats()].record(elapsed) }
            await breakers.record(target, success: true, policy: breakerPolicy)
        case .failure(let error):
            switch error.kind {
            case .retryable, .malformedResponse:
                await breakers.record(target, success: false, policy: breakerPolicy)
            case .contextWindowExceeded, .contentPolicy, .invalidRequest, .badCredentials, .unknownModel, .quotaExhausted:
                break
            }
        }
    }
}

/// SplitMix64, for jitter and weighted choices that tests can repeat.
struct SplitMixRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

extension ModelRouter {
    /// Puts every target taken out of rotation back, after the tenant changed its providers.
    public func enableAll() {
        state.withLock { $0.disabled.removeAll() }
    }
}

/// What the flow engine's `llm` effects and the OpenAI-compatible endpoint call: a tenant's route answers a
/// request, within the tenant's budgets and limits.
public protocol ModelOrchestrating: Sendable {
    /// The answer of the tenant's route `route` to `request`, or why there is none (no such route, a budget or limit
    /// reached). Provider failures do not end up here: the route's chains and last resort answer instead.
    func complete(_ request: ModelRequest, route: String, tenant: UUID) async -> Result<RouteOutcome, ModelError>
    /// The same answer as it arrives.
    func stream(_ request: ModelRequest, route: String, tenant: UUID) async -> Result<AsyncStream<RouteStreamEvent>, ModelError>
}
