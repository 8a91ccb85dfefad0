import ChorusCore
import Foundation
import Hiredis
import Logging
import ModelOrchestrator
import SecurityHub
import Storage
import Synchronization

/// The Model Orchestrator as the rest of the server uses it: a tenant's route answers a request, within the
/// tenant's budgets and limits, and every call is recorded.
///
/// Each tenant's set-up (providers with their keys opened, routes, prices, budgets, limits, this month's spending)
/// is read from PostgreSQL in one transaction and kept for ``snapshotLifetime``; an older copy keeps answering while
/// a fresh one loads, so a call never waits for the database once its tenant has been seen. Changes made through
/// this replica's admin API apply at once; other replicas see them within the lifetime.
final class ModelService: ModelOrchestrating, Sendable {
    /// How long a breaker reported closed is believed without asking Redis (see `RedisBreakerStore`).
    static let trustClosedBreakersFor: Double = 0.25

    /// How long a tenant's set-up is used before it is read again.
    static let snapshotLifetime: Double = 2

    let database: Database
    let vault: SecretVault
    let redis: RedisClient?
    /// Created on first use, so that services built only to list routes or seed need no shutdown.
    private let transportBox = Mutex<ModelTransport?>(nil)
    var transport: ModelTransport {
        transportBox.withLock { box in
            if let transport = box { return transport }
            let transport = ModelTransport()
            box = transport
            return transport
        }
    }
    let recorder: UsageRecorder
    let limiter: RateLimiter
    let cache: (any ResponseCache)?
    let breakerPolicy: CircuitBreaker.Policy
    let logger: Logger
    let keyPrefix: String
    private let tenants = Mutex<[UUID: TenantModels]>([:])

    init(
        database: Database,
        vault: SecretVault,
        redis: RedisClient?,
        keyPrefix: String,
        breakerPolicy: CircuitBreaker.Policy = CircuitBreaker.Policy(),
        logger: Logger
    ) {
        self.database = database
        self.vault = vault
        self.redis = redis
        self.breakerPolicy = breakerPolicy
        self.logger = logger
        self.keyPrefix = keyPrefix
        self.limiter = RateLimiter(redis: redis, keyPrefix: keyPrefix + "llm:rl:", logger: logger)
        self.cache = redis.map { RedisResponseCache(redis: $0, keyPrefix: keyPrefix + "llm:cache:", logger: logger) }
        self.recorder = UsageRecorder(sink: PostgresUsageSink(database: database, logger: logger))
    }

    // MARK: Set-ups

    /// A tenant's router and the set-up it was last read with.
    final class TenantModels: Sendable {
        let router: ModelRouter
        let state: Mutex<State>

        struct State {
            var snapshot: ModelSnapshot?
            var loading = false
            /// Spending recorded by this replica since the snapshot was read, per route.
            var addedSpend: [String: Int64] = [:]
        }

        init(router: ModelRouter) {
            self.router = router
            self.state = Mutex(State())
        }
    }

    private func models(of tenant: UUID) -> TenantModels {
        if let existing = tenants.withLock({ $0[tenant] }) { return existing }
        let caller = TenantCaller(service: self, tenant: tenant)
        // Breakers are kept per tenant: target ids are the tenant's own names, and one tenant's failing key must not
        // open another tenant's breaker.
        let breakers: any BreakerStore = redis.map {
            RedisBreakerStore(redis: $0, keyPrefix: keyPrefix + "llm:breaker:{\(tenant.lowercased)}:", logger: logger,
                              trustClosedFor: Self.trustClosedBreakersFor)
        } ?? LocalBreakerStore(clock: MonotonicClock.seconds)
        let router = ModelRouter(
            caller: caller, breakerPolicy: breakerPolicy, breakers: breakers, cache: cache, tenant: tenant.lowercased,
            clock: MonotonicClock.seconds, sleep: { try? await Task.sleep(for: .milliseconds(Int64($0 * 1000))) },
            seed: UInt64.random(in: 0...UInt64.max)
        )
        return tenants.withLock { tenants in
            if let existing = tenants[tenant] { return existing }
            let created = TenantModels(router: router)
            tenants[tenant] = created
            return created
        }
    }

    /// The tenant's set-up: the cached one while it is fresh; a stale one while a fresh one loads in the background;
    /// read now when there is none.
    func snapshot(of tenant: UUID) async throws -> ModelSnapshot {
        let models = models(of: tenant)
        let now = MonotonicClock.seconds()
        let (current, reload) = models.state.withLock { state -> (ModelSnapshot?, Bool) in
            guard let snapshot = state.snapshot else { return (nil, false) }
            let stale = now - snapshot.loadedAt > Self.snapshotLifetime
            if stale, !state.loading {
                state.loading = true
                return (snapshot, true)
            }
            return (snapshot, false)
        }
        if let current {
            if reload {
                Task { [self] in
                    let fresh = try? await self.load(tenant)
                    models.state.withLock { state in
                        state.loading = false
                        if let fresh { state.snapshot = fresh; state.addedSpend = [:] }
                    }
                }
            }
            return current
        }
        let fresh = try await load(tenant)
        models.state.withLock { state in
            state.snapshot = fresh
            state.addedSpend = [:]
        }
        return fresh
    }

    /// Forgets a tenant's set-up after an admin change, so the next call reads it again.
    func invalidate(_ tenant: UUID) {
        guard let models = tenants.withLock({ $0[tenant] }) else { return }
        models.state.withLock { $0.snapshot = nil }
    }

    /// Puts a target taken out of rotation (bad credentials, unknown model) back, after its provider changed.
    func enableTargets(of tenant: UUID) {
        guard let models = tenants.withLock({ $0[tenant] }) else { return }
        models.router.enableAll()
    }

    private func load(_ tenant: UUID) async throws -> ModelSnapshot {
        try await database.withTenant(tenant) { tx in
            try await ModelSnapshot.load(tx, vault: vault, loadedAt: MonotonicClock.seconds())
        }
    }

    // MARK: Calls

    /// Answers `request` through the tenant's route `route`.
    func complete(_ request: ModelRequest, route name: String, tenant: UUID) async -> Result<RouteOutcome, ModelError> {
        let started = ContinuousClock.now
        let prepared: PreparedCall
        switch await prepare(request, route: name, tenant: tenant) {
        case .success(let call): prepared = call
        case .failure(let error): return .failure(error)
        }
        let outcome = await prepared.models.router.complete(request, route: prepared.route)
        record(outcome.response.usage, target: outcome.target, route: name, tenant: tenant, models: prepared.models,
               snapshot: prepared.snapshot, latency: (ContinuousClock.now - started).seconds,
               outcome: outcome.target == nil ? "last_resort" : (outcome.cacheHit ? "cache_hit" : "success"),
               cacheHit: outcome.cacheHit)
        return .success(outcome)
    }

    /// Streams the answer to `request` through the tenant's route `route`; the usage is recorded when it ends.
    func stream(_ request: ModelRequest, route name: String, tenant: UUID) async -> Result<AsyncStream<RouteStreamEvent>, ModelError> {
        let started = ContinuousClock.now
        let prepared: PreparedCall
        switch await prepare(request, route: name, tenant: tenant) {
        case .success(let call): prepared = call
        case .failure(let error): return .failure(error)
        }
        let inner = prepared.models.router.stream(request, route: prepared.route)
        return .success(AsyncStream { continuation in
            let task = Task {
                var target: RouteTarget?
                var usage = ModelUsage()
                var outcome = "success"
                for await event in inner {
                    switch event {
                    case .answering(let answering): target = answering
                    case .event(.usage(let reported)): usage = reported
                    case .event(.failure(let error)): outcome = error.kind.rawValue
                    default: break
                    }
                    continuation.yield(event)
                }
                if target == nil, outcome == "success" { outcome = "last_resort" }
                self.record(usage, target: target, route: name, tenant: tenant, models: prepared.models,
                            snapshot: prepared.snapshot, latency: (ContinuousClock.now - started).seconds,
                            outcome: outcome, cacheHit: false)
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        })
    }

    private struct PreparedCall {
        var models: TenantModels
        var snapshot: ModelSnapshot
        var route: ModelRoute
    }

    /// Finds the route and applies the tenant's limits and budgets.
    private func prepare(_ request: ModelRequest, route name: String, tenant: UUID) async -> Result<PreparedCall, ModelError> {
        let snapshot: ModelSnapshot
        do {
            snapshot = try await self.snapshot(of: tenant)
        } catch {
            logger.error("model set-up could not be read", metadata: ["tenant": "\(tenant.lowercased)", "error": "\(error)"])
            return .failure(ModelError(.retryable, message: "The model set-up could not be read; try again shortly."))
        }
        guard var route = snapshot.routes[name] else {
            let names = snapshot.routes.keys.sorted()
            return .failure(ModelError(
                .unknownModel,
                message: "The tenant has no route of this name\(names.isEmpty ? "" : "; it has \(names.joined(separator: ", "))")."
            ))
        }
        let models = models(of: tenant)
        if let limit = snapshot.settings.requestsPerMinute {
            let decision = await limiter.admit([RateLimitBucket(key: "t:{\(tenant.lowercased)}", limit: RateLimit(requests: limit, per: 60))])
            if !decision.allowed {
                return .failure(ModelError(
                    .quotaExhausted,
                    retryAfter: Double(decision.retryAfterSeconds ?? 1),
                    message: "The tenant's limit of \(limit) model calls a minute is reached."
                ))
            }
        }
        if let limit = snapshot.settings.tokensPerMinute {
            let used = await tokensUsed(tenant: tenant, account: nil)
            if used >= limit {
                return .failure(ModelError(
                    .quotaExhausted,
                    retryAfter: Double(60 - Int(Date().timeIntervalSince1970) % 60),
                    message: "The tenant's limit of \(limit) tokens a minute is reached."
                ))
            }
        }
        let added = models.state.withLock { $0.addedSpend }
        switch snapshot.budgetDecision(route: name, added: added) {
        case .failure(let error):
            return .failure(error)
        case .success(.downgrade):
            route = route.downgraded()
        case .success:
            break
        }
        return .success(PreparedCall(models: models, snapshot: snapshot, route: route))
    }

    private func record(
        _ usage: ModelUsage, target: RouteTarget?, route: String, tenant: UUID, models: TenantModels, snapshot: ModelSnapshot,
        latency: Double, outcome: String, cacheHit: Bool
    ) {
        let cost = cacheHit ? 0 : (target?.price?.cost(of: usage) ?? 0)
        if cost > 0 { models.state.withLock { $0.addedSpend[route, default: 0] += cost } }
        recorder.record(UsageRecord(
            tenant: tenant.lowercased, route: route, target: target?.id, provider: target?.provider, model: target?.model,
            usage: cacheHit ? ModelUsage() : usage, cost: cost, latency: latency, outcome: outcome, cacheHit: cacheHit, at: Date()
        ))
        let tokens = usage.inputTokens + usage.outputTokens
        guard !cacheHit, tokens > 0, let redis else { return }
        var keys: [String] = []
        if snapshot.settings.tokensPerMinute != nil { keys.append(self.tokenKey(tenant: tenant, account: nil)) }
        if let account = target?.account, snapshot.providers[account]?.record.tokensPerMinute != nil {
            keys.append(self.tokenKey(tenant: tenant, account: account))
        }
        guard !keys.isEmpty else { return }
        Task {
            for key in keys {
                _ = try? await redis.send(["INCRBY", key, String(tokens)])
                _ = try? await redis.send(["EXPIRE", key, "120"])
            }
        }
    }

    // MARK: Limits

    /// The Redis counter of the tenant's (or one account's) tokens in the current minute.
    func tokenKey(tenant: UUID, account: String?) -> String {
        let minute = Int(Date().timeIntervalSince1970) / 60
        return "\(keyPrefix)llm:tpm:{\(tenant.lowercased)}:\(account ?? "*"):\(minute)"
    }

    /// Tokens counted this minute for the tenant (`account` nil) or one of its provider accounts.
    func tokensUsed(tenant: UUID, account: String?) async -> Int {
        guard let redis else { return 0 }
        let reply = try? await redis.send(["GET", self.tokenKey(tenant: tenant, account: account)])
        return reply?.text.flatMap { Int($0) } ?? 0
    }

    /// Whether a provider account's own limits let one more call through now; the reason when not.
    func admitsCall(tenant: UUID, account: String, snapshot: ModelSnapshot) async -> ModelError? {
        guard let provider = snapshot.providers[account]?.record else { return nil }
        if let limit = provider.requestsPerMinute {
            let decision = await limiter.admit([
                RateLimitBucket(key: "p:{\(tenant.lowercased)}:\(account)", limit: RateLimit(requests: limit, per: 60)),
            ])
            if !decision.allowed {
                return ModelError(.quotaExhausted, message: "The limit of \(limit) calls a minute to \(account) is reached.")
            }
        }
        if let limit = provider.tokensPerMinute, await tokensUsed(tenant: tenant, account: account) >= limit {
            return ModelError(.quotaExhausted, message: "The limit of \(limit) tokens a minute to \(account) is reached.")
        }
        return nil
    }

    /// Closes the providers' connections, if any were opened.
    func shutdownTransport() async {
        guard let transport = transportBox.withLock({ $0 }) else { return }
        try? await transport.shutdown()
    }

    /// Writes the usage gathered so far (for tests and shutdown).
    func flushUsage() async {
        await recorder.flush()
    }
}

/// Calls a tenant's targets: `local` in process with the tenant's fallback text, every other provider through the
/// shared transport with the account's URL and key, within the account's limits.
struct TenantCaller: ModelCaller {
    let service: ModelService
    let tenant: UUID

    private func resolve(_ target: RouteTarget) async -> Result<(ModelSnapshot, ProviderEndpoint?), ModelError> {
        guard let snapshot = try? await service.snapshot(of: tenant) else {
            return .failure(ModelError(.retryable, message: "The model set-up could not be read."))
        }
        guard target.provider != LocalModel.name else { return .success((snapshot, nil)) }
        guard let account = target.account, let provider = snapshot.providers[account] else {
            return .failure(ModelError(.badCredentials, message: "The provider of target \(target.id) no longer exists."))
        }
        if let refusal = await service.admitsCall(tenant: tenant, account: account, snapshot: snapshot) {
            return .failure(refusal)
        }
        return .success((snapshot, provider.endpoint))
    }

    func complete(_ request: ModelRequest, target: RouteTarget) async -> Result<ModelResponse, ModelError> {
        switch await resolve(target) {
        case .failure(let error):
            return .failure(error)
        case .success((let snapshot, let endpoint)):
            let caller = TransportCaller(transport: service.transport, fallbackText: snapshot.settings.fallbackText) { _ in endpoint }
            return await caller.complete(request, target: target)
        }
    }

    func stream(_ request: ModelRequest, target: RouteTarget) -> AsyncStream<ModelStreamEvent> {
        AsyncStream { continuation in
            let task = Task {
                switch await resolve(target) {
                case .failure(let error):
                    continuation.yield(.failure(error))
                case .success((let snapshot, let endpoint)):
                    let caller = TransportCaller(transport: service.transport, fallbackText: snapshot.settings.fallbackText) { _ in endpoint }
                    for await event in caller.stream(request, target: target) { continuation.yield(event) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Monotonic seconds since the process started, for routers and breakers.
enum MonotonicClock {
    private static let origin = ContinuousClock.now

    @Sendable static func seconds() -> Double { (ContinuousClock.now - origin).seconds }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
