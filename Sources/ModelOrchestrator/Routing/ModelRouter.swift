import Synchronization

/// Calls one target; the transport implements it for real providers, tests with canned answers.
public protocol ModelCaller: Sendable {
    /// The answer of `target` to `request`.
    func complete(_ request: ModelRequest, target: RouteTarget) async -> Result<ModelResponse, ModelError>
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
    private let clock: @Sendable () -> Double
    private let sleep: @Sendable (Double) async -> Void
    private let state: Mutex<State>

    /// Creates a router.
    /// - Parameters:
    ///   - caller: what calls targets.
    ///   - breakerPolicy: the circuit breakers' rules.
    ///   - breakers: where breakers keep their counts; by default in this process on `clock`.
    ///   - clock: the time in seconds (monotonic).
    ///   - sleep: waits for backoff.
    ///   - seed: the seed of the jitter and weighted choices.
    public init(
        caller: any ModelCaller,
        breakerPolicy: CircuitBreaker.Policy = CircuitBreaker.Policy(),
        breakers: (any BreakerStore)? = nil,
        clock: @escaping @Sendable () -> Double,
        sleep: @escaping @Sendable (Double) async -> Void,
        seed: UInt64
    ) {
        self.caller = caller
        self.breakerPolicy = breakerPolicy
        self.breakers = breakers ?? LocalBreakerStore(clock: clock)
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
                var result = await caller.complete(request, target: target)
                let elapsed = clock() - started
                if case .success(let response) = result, let problem = route.quality.problem(with: response, to: request) {
                    result = .failure(ModelError(.malformedResponse, message: "Quality check failed: \(problem)."))
                    if route.quality.action == .nextTarget { attempt = route.retry.attemptsPerTarget }
                }
                await record(result, target: target.id, elapsed: elapsed)
                switch result {
                case .success(let response):
                    attempts.append(.init(target: target.id, error: nil, skipped: nil))
                    return RouteOutcome(response: response, target: target, attempts: attempts)
                case .failure(let error):
                    attempts.append(.init(target: target.id, error: error, skipped: nil))
                    switch error.kind {
                    case .retryable, .malformedResponse:
                        if attempt < route.retry.attemptsPerTarget,
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
        let local = LocalModel(fallbackText: route.lastResort).respond(to: request)
        return RouteOutcome(response: local, target: nil, attempts: attempts)
    }

    /// Feeds breakers and latency statistics. Only failures that say something about the target's health count
    /// against its breaker: a prompt too long or blocked by policy is the request's doing.
    private func record(_ result: Result<ModelResponse, ModelError>, target: String, elapsed: Double) async {
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
