import ChorusCore
import Foundation
import Synchronization
import Testing

@testable import ModelOrchestrator

/// Scripted answers per target, in order; the last one repeats.
final class ScriptedCaller: ModelCaller, Sendable {
    private let script: Mutex<[String: [Result<ModelResponse, ModelError>]]>
    private let calls = Mutex<[String]>([])
    let clock: TestClock

    init(_ script: [String: [Result<ModelResponse, ModelError>]], clock: TestClock) {
        self.script = Mutex(script)
        self.clock = clock
    }

    var called: [String] { calls.withLock { $0 } }

    func complete(_ request: ModelRequest, target: RouteTarget) async -> Result<ModelResponse, ModelError> {
        calls.withLock { $0.append(target.id) }
        clock.advance(0.1)
        return script.withLock { script in
            guard var list = script[target.id], let first = list.first else {
                return .failure(ModelError(.retryable, status: 503, message: "no script"))
            }
            if list.count > 1 { list.removeFirst() }
            script[target.id] = list
            return first
        }
    }
}

/// A clock the test moves; sleeping moves it too and is recorded.
final class TestClock: Sendable {
    private let time = Mutex<Double>(1000)
    private let sleeps = Mutex<[Double]>([])
    var now: Double { time.withLock { $0 } }
    var slept: [Double] { sleeps.withLock { $0 } }
    func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
    func sleep(_ seconds: Double) {
        sleeps.withLock { $0.append(seconds) }
        advance(seconds)
    }
}

func answer(_ text: String) -> Result<ModelResponse, ModelError> {
    .success(ModelResponse(text: text, finishReason: .stop, usage: ModelUsage(inputTokens: 10, outputTokens: 5)))
}

@Suite struct ModelRouterTests {
    let a = RouteTarget(id: "a", provider: "openai", model: "gpt-4o-mini")
    let b = RouteTarget(id: "b", provider: "anthropic", model: "claude-haiku")
    let big = RouteTarget(id: "big", provider: "gemini", model: "gemini-pro-long")
    let safe = RouteTarget(id: "safe", provider: "mistral", model: "mistral-small")
    let request = ModelRequest(messages: [.user("Where is my order?")])

    func makeRouter(_ script: [String: [Result<ModelResponse, ModelError>]], policy: CircuitBreaker.Policy = .init()) -> (ModelRouter, ScriptedCaller, TestClock) {
        let clock = TestClock()
        let caller = ScriptedCaller(script, clock: clock)
        let router = ModelRouter(caller: caller, breakerPolicy: policy, clock: { clock.now }, sleep: { clock.sleep($0) }, seed: 42)
        return (router, caller, clock)
    }

    @Test func theFirstTargetThatAnswersWins() async {
        let (router, caller, _) = makeRouter(["a": [answer("from a")], "b": [answer("from b")]])
        let outcome = await router.complete(request, route: ModelRoute(name: "r", targets: [a, b]))
        #expect(outcome.response.text == "from a" && outcome.target == a)
        #expect(caller.called == ["a"])
    }

    @Test func retryAfterIsHonouredThenTheRetrySucceeds() async {
        let limited = ModelError(.retryable, status: 429, retryAfter: 1.5, message: "slow down")
        let (router, caller, clock) = makeRouter(["a": [.failure(limited), answer("second try")]])
        let outcome = await router.complete(request, route: ModelRoute(name: "r", targets: [a, b]))
        #expect(outcome.response.text == "second try")
        #expect(clock.slept == [1.5])
        #expect(caller.called == ["a", "a"])
        #expect(outcome.attempts.map(\.error?.status) == [429, nil])
    }

    @Test func aRetryAfterLongerThanTheRouteWaitsMovesOn() async {
        let limited = ModelError(.retryable, status: 429, retryAfter: 60, message: "slow down")
        let (router, caller, clock) = makeRouter(["a": [.failure(limited)], "b": [answer("from b")]])
        let outcome = await router.complete(request, route: ModelRoute(name: "r", targets: [a, b]))
        #expect(outcome.target == b && clock.slept.isEmpty && caller.called == ["a", "b"])
    }

    @Test func backoffIsJitteredAndBounded() async {
        let down = ModelError(.retryable, status: 503, message: "down")
        let (router, caller, clock) = makeRouter(["a": [.failure(down)], "b": [.failure(down)]])
        let route = ModelRoute(name: "r", targets: [a, b], retry: RouteRetry(attemptsPerTarget: 3, baseDelay: 0.5, maxDelay: 0.8), lastResort: "We'll get back to you.")
        let outcome = await router.complete(request, route: route)
        #expect(caller.called == ["a", "a", "a", "b", "b", "b"])
        #expect(clock.slept.count == 4)
        #expect(clock.slept.allSatisfy { $0 >= 0 && $0 <= 0.8 })
        #expect(outcome.target == nil && outcome.response.text == "We'll get back to you.")
        #expect(outcome.response.model == LocalModel.name)
    }

    @Test func contextWindowAndContentPolicyFollowTheirChains() async {
        let tooLong = ModelError(.contextWindowExceeded, status: 400, message: "too long")
        let blocked = ModelError(.contentPolicy, status: 400, message: "blocked")
        let route = ModelRoute(name: "r", targets: [a, b], contextWindowChain: [big], contentPolicyChain: [safe])
        let (longRouter, longCaller, _) = makeRouter(["a": [.failure(tooLong)], "big": [answer("long context")]])
        let long = await longRouter.complete(request, route: route)
        #expect(long.target == big && longCaller.called == ["a", "big"])

        let (policyRouter, policyCaller, _) = makeRouter(["a": [.failure(blocked)], "b": [answer("b")], "safe": [answer("careful answer")]])
        let careful = await policyRouter.complete(request, route: route)
        #expect(careful.target == safe && policyCaller.called == ["a", "safe"])
    }

    @Test func badCredentialsTakeATargetOutOfRotationUntilEnabled() async {
        let (router, caller, _) = makeRouter(["a": [.failure(ModelError(.badCredentials, status: 401, message: "bad key")), answer("fixed")], "b": [answer("from b")]])
        let route = ModelRoute(name: "r", targets: [a, b])
        #expect(await router.complete(request, route: route).target == b)
        let second = await router.complete(request, route: route)
        #expect(second.target == b && second.attempts.first?.skipped == "disabled")
        #expect(caller.called == ["a", "b", "b"])
        router.enable("a")
        #expect(await router.complete(request, route: route).response.text == "fixed")
    }

    @Test func theBreakerOpensProbesAndCloses() async {
        let policy = CircuitBreaker.Policy(failureRatio: 0.5, minimumRequests: 4, window: 60, openDuration: 10, halfOpenProbes: 2)
        let down = ModelError(.retryable, status: 500, message: "down")
        let (router, caller, clock) = makeRouter(["a": [.failure(down), .failure(down), .failure(down), .failure(down), answer("a is back")], "b": [answer("from b")]], policy: policy)
        let route = ModelRoute(name: "r", targets: [a, b], retry: RouteRetry(attemptsPerTarget: 1))
        for _ in 0..<4 { _ = await router.complete(request, route: route) }
        #expect(await router.breakerState(of: "a") == .open)
        let whileOpen = await router.complete(request, route: route)
        #expect(whileOpen.attempts.first?.skipped == "breaker open" && whileOpen.target == b)
        #expect(caller.called.filter { $0 == "a" }.count == 4)
        clock.advance(11)
        #expect(await router.complete(request, route: route).target == a)
        #expect(await router.breakerState(of: "a") == .halfOpen)
        #expect(await router.complete(request, route: route).target == a)
        #expect(await router.breakerState(of: "a") == .closed)
    }

    @Test func qualityChecksMoveOnFromEmptyAndOffSchemaAnswers() async throws {
        let schema = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}}"#.utf8))
        let structured = ModelRequest(messages: [.user("hi")], responseSchema: schema)
        let (router, caller, _) = makeRouter(["a": [answer(#"{"reply": "x"}"#)], "b": [answer(#"{"answer": "fine"}"#)]])
        let outcome = await router.complete(structured, route: ModelRoute(name: "r", targets: [a, b]))
        #expect(outcome.target == b && caller.called == ["a", "b"])
        #expect(outcome.attempts.first?.error?.message.contains("/answer is missing") == true)

        let (emptyRouter, emptyCaller, _) = makeRouter(["a": [answer("  "), answer("second")]])
        let retried = await emptyRouter.complete(request, route: ModelRoute(name: "r", targets: [a], quality: QualityChecks(action: .retry)))
        #expect(retried.response.text == "second" && emptyCaller.called == ["a", "a"])
    }

    @Test func policiesOrderTargets() {
        var random = SplitMixRandom(seed: 1)
        let cheap = RouteTarget(id: "cheap", provider: "openai", model: "mini", price: ModelPrice(input: 150_000, output: 600_000))
        let dear = RouteTarget(id: "dear", provider: "openai", model: "large", price: ModelPrice(input: 2_500_000, output: 10_000_000))
        let unpriced = RouteTarget(id: "free?", provider: "ollama", model: "llama")
        #expect(TargetSelector.order(ModelRoute(name: "r", targets: [dear, unpriced, cheap], policy: .lowestCost), latencies: [:], estimatedInputTokens: 1000, random: &random).map(\.id) == ["cheap", "dear", "free?"])
        #expect(TargetSelector.order(ModelRoute(name: "r", targets: [a, b, big], policy: .preference(["big", "a"])), latencies: [:], estimatedInputTokens: 0, random: &random).map(\.id) == ["big", "a", "b"])
        let fast = ModelRoute(name: "r", targets: [a, b, big], policy: .lowestLatency(exploration: 0))
        #expect(TargetSelector.order(fast, latencies: ["a": 0.9, "b": 0.2, "big": 0.5], estimatedInputTokens: 0, random: &random).map(\.id) == ["b", "big", "a"])
        #expect(TargetSelector.order(fast, latencies: ["a": 0.9, "b": 0.2], estimatedInputTokens: 0, random: &random).first?.id == "big")  // unmeasured first
        var firsts: [String: Int] = [:]
        let weighted = ModelRoute(name: "r", targets: [RouteTarget(id: "x", provider: "p", model: "m", weight: 3), RouteTarget(id: "y", provider: "p", model: "m", weight: 1)], policy: .weighted)
        for _ in 0..<4000 { firsts[TargetSelector.order(weighted, latencies: [:], estimatedInputTokens: 0, random: &random)[0].id, default: 0] += 1 }
        #expect(abs(Double(firsts["x", default: 0]) / 4000 - 0.75) < 0.03)
        var explored = 0
        let exploring = ModelRoute(name: "r", targets: [a, b], policy: .lowestLatency(exploration: 0.1))
        for _ in 0..<4000 where TargetSelector.order(exploring, latencies: ["a": 0.1, "b": 0.5], estimatedInputTokens: 0, random: &random)[0] == b { explored += 1 }
        #expect(abs(Double(explored) / 4000 - 0.1) < 0.03)
    }

    @Test func costsAddUpToTheMicroDollar() {
        let price = ModelPrice(input: 2_500_000, output: 10_000_000, cachedInput: 1_250_000)  // $2.50, $10, $1.25 per million
        #expect(price.cost(of: ModelUsage(inputTokens: 1234, outputTokens: 567, cachedInputTokens: 1000)) == 7505)
        #expect(price.cost(of: ModelUsage(inputTokens: 1, outputTokens: 0)) == 3)  // 2.5 µ$ rounds half up
        #expect(price.cost(of: ModelUsage(inputTokens: 1_000_000, outputTokens: 1_000_000)) == 12_500_000)
        #expect(ModelPrice(input: 3_000_000, output: 15_000_000).cost(of: ModelUsage(inputTokens: 500, outputTokens: 100, cachedInputTokens: 400)) == 3000)
        #expect(price.cost(of: ModelUsage(inputTokens: Int.max, outputTokens: Int.max)) == Int64.max)
    }

    @Test func cacheKeysFollowTheRequestNotItsJSONKeyOrder() throws {
        let one = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}"#.utf8))
        let two = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"properties": {"a": {"type": "string"}}, "required": ["a"], "type": "object"}"#.utf8))
        let first = ModelRequest(messages: [.user("hi")], responseSchema: one)
        let second = ModelRequest(messages: [.user("hi")], responseSchema: two)
        #expect(CacheSettings.key(tenant: "t", route: "r", request: first) == CacheSettings.key(tenant: "t", route: "r", request: second))
        #expect(CacheSettings.key(tenant: "t", route: "r", request: first) != CacheSettings.key(tenant: "t", route: "r", request: ModelRequest(messages: [.user("hi")], maxTokens: 10, responseSchema: one)))
        #expect(CacheSettings(ttl: 60).applies(to: first) && !CacheSettings(ttl: 60).applies(to: ModelRequest(messages: [], temperature: 0.3)))
        #expect(!CacheSettings(ttl: 0).applies(to: first))
    }
}

@Suite struct BudgetTests {
    @Test func softAndHardLimits() {
        let budget = Budget(soft: 8_000_000, hard: 10_000_000, hardAction: .reject)
        #expect(budget.decision(spent: 1_000_000) == .allow)
        #expect(budget.decision(spent: 8_000_000) == .allowSoftLimitReached)
        #expect(budget.decision(spent: 9_999_000, estimate: 2_000) == .reject)
        #expect(budget.decision(spent: 10_000_000) == .reject)
        #expect(Budget(hard: 10_000_000, hardAction: .downgrade).decision(spent: 10_000_001) == .downgrade)
        #expect(budget.crossesSoftLimit(spentBefore: 7_999_999, cost: 1))
        #expect(!budget.crossesSoftLimit(spentBefore: 8_000_000, cost: 5))
        #expect(budget.crossesHardLimit(spentBefore: 9_999_999, cost: 1))
        #expect(!budget.crossesHardLimit(spentBefore: 0, cost: 1))
        #expect(Budget().decision(spent: .max) == .allow)
    }

    @Test func theStricterBudgetWinsAndRejectionsSayWhy() {
        #expect(BudgetDecision.allow.combined(with: .downgrade) == .downgrade)
        #expect(BudgetDecision.reject.combined(with: .allowSoftLimitReached) == .reject)
        let error = BudgetDecision.rejection(budget: "tenant", spent: 10_000_042, hard: 10_000_000)
        #expect(error.kind == .quotaExhausted && !error.isRetryable)
        #expect(error.message.contains("$10.000042 spent of $10.000000"))
    }
}
