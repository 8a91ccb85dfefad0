import Foundation
import Hiredis
import ModelOrchestrator
import Synchronization
import Testing

/// Circuit breakers shared through the real Redis by two routers, as two replicas would share them.
@Suite struct SharedBreakerTests {
    /// Answers from a script per target; records who was called.
    final class Caller: ModelCaller, Sendable {
        let failing = Mutex<Set<String>>([])
        let calls = Mutex<[String]>([])
        func complete(_ request: ModelRequest, target: RouteTarget) async -> Result<ModelResponse, ModelError> {
            calls.withLock { $0.append(target.id) }
            if failing.withLock({ $0.contains(target.id) }) { return .failure(ModelError(.retryable, status: 500, message: "down")) }
            return .success(ModelResponse(text: "from \(target.id)", finishReason: .stop, usage: ModelUsage()))
        }
    }

    @Test func aBreakerOpenedByOneReplicaIsOpenForTheOtherAndRecoversThroughIt() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.value("CHORUS_TEST_REDIS_URL")))
        let prefix = "test:breaker:\(UUID().uuidString.prefix(8))"
        let policy = CircuitBreaker.Policy(failureRatio: 0.5, minimumRequests: 4, window: 30, openDuration: 60, halfOpenProbes: 2)
        let first = Caller()
        let second = Caller()
        func router(_ caller: Caller) -> ModelRouter {
            ModelRouter(
                caller: caller, breakerPolicy: policy, breakers: RedisBreakerStore(redis: redis, keyPrefix: prefix),
                clock: { ProcessInfo.processInfo.systemUptime }, sleep: { _ in }, seed: 1
            )
        }
        let one = router(first)
        let two = router(second)
        let a = RouteTarget(id: "a", provider: "openai", model: "m")
        let b = RouteTarget(id: "b", provider: "anthropic", model: "m")
        let route = ModelRoute(name: "r", targets: [a, b], retry: RouteRetry(attemptsPerTarget: 1))
        let request = ModelRequest(messages: [.user("hi")])

        first.failing.withLock { $0 = ["a"] }
        for _ in 0..<4 { _ = await one.complete(request, route: route) }
        #expect(await two.breakerState(of: "a") == .open)
        // The other replica does not call `a` while it is open.
        let skipped = await two.complete(request, route: route)
        #expect(skipped.target == b && skipped.attempts.first?.skipped == "breaker open")
        #expect(second.calls.withLock { $0 } == ["b"])

        // After the pause (made to have passed by moving the opening back), the other replica's calls are the probes,
        // and their successes close it for both.
        _ = try await redis.send(["HSET", "{\(prefix)}:a", "opened", "0"])
        #expect(await two.complete(request, route: route).target == a)
        #expect(await one.breakerState(of: "a") == .halfOpen)
        #expect(await two.complete(request, route: route).target == a)
        #expect(await one.breakerState(of: "a") == .closed)
        first.failing.withLock { $0 = [] }
        #expect(await one.complete(request, route: route).target == a)
        try await redis.shutdown()
    }

    @Test func aFailedProbeOpensItAgain() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.value("CHORUS_TEST_REDIS_URL")))
        let prefix = "test:breaker:\(UUID().uuidString.prefix(8))"
        let store = RedisBreakerStore(redis: redis, keyPrefix: prefix)
        let policy = CircuitBreaker.Policy(failureRatio: 0.5, minimumRequests: 2, window: 30, openDuration: 60, halfOpenProbes: 1)
        for _ in 0..<2 { await store.record("x", success: false, policy: policy) }
        #expect(await store.state(of: "x") == .open)
        #expect(await !store.allows("x", policy: policy))
        _ = try await redis.send(["HSET", "{\(prefix)}:x", "opened", "0"])
        #expect(await store.allows("x", policy: policy))
        #expect(await !store.allows("x", policy: policy))  // one probe at a time
        await store.record("x", success: false, policy: policy)
        #expect(await store.state(of: "x") == .open)
        try await redis.shutdown()
    }

    /// As the server runs them: a closed breaker is trusted for a while without asking Redis, and successes are
    /// recorded without waiting. A replica that trusted it closed sees another replica's opening once its trust
    /// runs out; the replica whose calls fail sees it at once.
    @Test func aTrustedClosedBreakerSeesAnotherReplicasOpeningWhenTheTrustRunsOut() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.value("CHORUS_TEST_REDIS_URL")))
        let prefix = "test:breaker:\(UUID().uuidString.prefix(8))"
        let policy = CircuitBreaker.Policy(failureRatio: 0.5, minimumRequests: 4, window: 30, openDuration: 60, halfOpenProbes: 2)
        let failing = RedisBreakerStore(redis: redis, keyPrefix: prefix, trustClosedFor: 0.3)
        let trusting = RedisBreakerStore(redis: redis, keyPrefix: prefix, trustClosedFor: 0.3)
        #expect(await trusting.allows("a", policy: policy))
        for _ in 0..<4 {
            #expect(await failing.allows("a", policy: policy))
            await failing.record("a", success: false, policy: policy)
        }
        #expect(await failing.allows("a", policy: policy) == false)
        #expect(await failing.state(of: "a") == .open)
        // Still within its trust, the other replica lets a call through; after it, the breaker is open there too.
        #expect(await trusting.allows("a", policy: policy))
        try await Task.sleep(for: .milliseconds(350))
        #expect(await trusting.allows("a", policy: policy) == false)
        // Successes recorded without waiting still count: a healthy target's breaker stays closed with calls counted.
        for _ in 0..<5 {
            #expect(await trusting.allows("b", policy: policy))
            await trusting.record("b", success: true, policy: policy)
        }
        var counted = 0
        for _ in 0..<50 {
            let fields = try await redis.send(["HGETALL", "{\(prefix)}:b"])
            if case .array(let items) = fields {
                counted = stride(from: 0, to: items.count - 1, by: 2).reduce(0) { total, index in
                    items[index].text?.hasPrefix("c") == true ? total + (Int(items[index + 1].text ?? "") ?? 0) : total
                }
            }
            if counted == 5 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(counted == 5)
        // Failures count against the successes gathered before them: 5 successes and 4 failures stay below the
        // ratio, where the failures alone would open the breaker.
        for _ in 0..<5 {
            #expect(await trusting.allows("c", policy: policy))
            await trusting.record("c", success: true, policy: policy)
        }
        for _ in 0..<4 {
            #expect(await trusting.allows("c", policy: policy))
            await trusting.record("c", success: false, policy: policy)
        }
        #expect(await trusting.state(of: "c") == .closed)
        #expect(await trusting.allows("c", policy: policy))
        try await redis.shutdown()
    }
}
