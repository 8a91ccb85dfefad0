import Foundation
import Hiredis
import ModelOrchestrator
import Synchronization
import Testing

/// The model response cache in the real Redis, shared by two routers as two replicas would share it.
@Suite struct ResponseCacheTests {
    final class Caller: ModelCaller, Sendable {
        let calls = Mutex(0)
        let fail = Mutex(false)
        func complete(_ request: ModelRequest, target: RouteTarget) async -> Result<ModelResponse, ModelError> {
            let count = calls.withLock { $0 += 1; return $0 }
            if fail.withLock({ $0 }) { return .failure(ModelError(.retryable, status: 503, message: "down")) }
            return .success(ModelResponse(text: "answer \(count)", finishReason: .stop, usage: ModelUsage(inputTokens: 3, outputTokens: 2)))
        }
    }

    @Test func equalRequestsAreAnsweredFromTheCacheAcrossReplicas() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.value("CHORUS_TEST_REDIS_URL")))
        let cache = RedisResponseCache(redis: redis, keyPrefix: "test:cache:\(UUID().uuidString.prefix(8)):")
        let caller = Caller()
        func router(_ tenant: String) -> ModelRouter {
            ModelRouter(caller: caller, cache: cache, tenant: tenant, clock: { ProcessInfo.processInfo.systemUptime }, sleep: { _ in }, seed: 1)
        }
        let one = router("tenant-a")
        let two = router("tenant-a")
        let target = RouteTarget(id: "a", provider: "openai", model: "m")
        let route = ModelRoute(name: "faq", targets: [target], retry: RouteRetry(attemptsPerTarget: 1), cache: CacheSettings(ttl: 60))
        let request = ModelRequest(system: "Be brief.", messages: [.user("Opening hours?")], temperature: 0)

        let first = await one.complete(request, route: route)
        #expect(!first.cacheHit && first.response.text == "answer 1")
        let second = await two.complete(request, route: route)
        #expect(second.cacheHit && second.response == first.response && second.target == target)
        #expect(caller.calls.withLock { $0 } == 1)

        // Another tenant, another route or another request is another entry.
        #expect(await router("tenant-b").complete(request, route: route).cacheHit == false)
        var renamed = route
        renamed.name = "other"
        #expect(await one.complete(request, route: renamed).cacheHit == false)
        #expect(await one.complete(ModelRequest(system: "Be brief.", messages: [.user("Opening hours, please?")]), route: route).cacheHit == false)

        // Sampled requests are not cached unless the route says so.
        let sampled = ModelRequest(messages: [.user("Tell me a joke")], temperature: 0.8)
        _ = await one.complete(sampled, route: route)
        #expect(await two.complete(sampled, route: route).cacheHit == false)
        var variety = route
        variety.cache = CacheSettings(ttl: 60, includeNonZeroTemperature: true)
        _ = await one.complete(sampled, route: variety)
        #expect(await two.complete(sampled, route: variety).cacheHit)

        // Errors, and the last resort that answers for them, are never cached.
        caller.fail.withLock { $0 = true }
        let failing = ModelRequest(messages: [.user("Will this fail?")])
        #expect(await one.complete(failing, route: route).target == nil)
        caller.fail.withLock { $0 = false }
        let recovered = await two.complete(failing, route: route)
        #expect(!recovered.cacheHit && recovered.target == target)
        try await redis.shutdown()
    }
}
