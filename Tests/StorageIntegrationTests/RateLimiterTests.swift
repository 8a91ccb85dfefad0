import Foundation
import Hiredis
import Logging
import SecurityHub
import Synchronization
import Testing

/// The limiter against the real Redis, and its in-process fallback.
@Suite struct RateLimiterTests {
    func limiter(redis: RedisClient?, logger: Logger = TestEnvironment.logger) -> RateLimiter {
        RateLimiter(redis: redis, keyPrefix: "test:rl:\(UUID().uuidString.prefix(8)):", logger: logger)
    }

    func redis() throws -> RedisClient {
        RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.value("CHORUS_TEST_REDIS_URL")))
    }

    /// Fires `count` admissions at once.
    func burst(_ limiter: RateLimiter, _ bucket: RateLimitBucket, count: Int) async -> (allowed: Int, elapsed: Double) {
        let start = Date()
        let decisions = await withTaskGroup(of: RateLimitDecision.self) { group in
            for _ in 0..<count { group.addTask { await limiter.admit([bucket]) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(decisions.allSatisfy { $0.allowed || ($0.retryAfterSeconds ?? 0) >= 1 })
        return (decisions.filter(\.allowed).count, Date().timeIntervalSince(start))
    }

    @Test func underConcurrencyExactlyTheLimitPassesThroughRedis() async throws {
        let redis = try redis()
        let limiter = limiter(redis: redis)
        // Ten a minute: nothing refills during the burst, so exactly ten pass.
        let perMinute = await burst(limiter, RateLimitBucket(key: "m", limit: RateLimit(requests: 10, per: 60)), count: 50)
        #expect(perMinute.allowed == 10)
        // Ten a second: ten, plus one per 100 ms the burst took.
        let perSecond = await burst(limiter, RateLimitBucket(key: "s", limit: RateLimit(requests: 10, per: 1)), count: 50)
        #expect(perSecond.allowed >= 10 && perSecond.allowed <= 10 + Int(perSecond.elapsed / 0.1))
        let decision = await limiter.admit([RateLimitBucket(key: "fresh", limit: RateLimit(requests: 5, per: 1))])
        #expect(decision.allowed && decision.remaining == 4 && decision.limit == 5 && !decision.local)
        try await redis.shutdown()
    }

    @Test func busyBucketsAreServedFromLeasesAndNeverPassMoreThanTheLimit() async throws {
        let redis = try redis()
        let limiter = limiter(redis: redis)
        let bucket = RateLimitBucket(key: "busy", limit: RateLimit(requests: 300, per: 1))
        let start = Date()
        var allowed = 0
        var remaining: [Int] = []
        for _ in 0..<600 {
            let decision = await limiter.admit([bucket])
            if decision.allowed {
                allowed += 1
                remaining.append(decision.remaining)
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        // Six units per trip to Redis: at most the limit plus what refilled plus one lease held here, and at
        // least the limit less one lease.
        #expect(allowed <= 300 + Int(elapsed * 300) + 6, "\(allowed) in \(elapsed) s")
        #expect(allowed >= 294)
        #expect(remaining.first == 299 && remaining.last.map { $0 <= 6 } == true)
        try await redis.shutdown()
    }

    @Test func lockoutsGrowAndASuccessForgetsThem() async throws {
        let redis = try redis()
        for limiter in [limiter(redis: redis), limiter(redis: nil)] {
            let subject = LockoutSubject(
                key: "account",
                policy: LockoutPolicy(threshold: 3, windowSeconds: 60, baseLockSeconds: 10, maxLockSeconds: 40)
            )
            #expect(await limiter.lockout([subject]) == nil)
            var started: [Int?] = []
            for _ in 0..<12 { started.append(await limiter.recordFailure([subject])) }
            #expect(started == [nil, nil, 10, nil, nil, 20, nil, nil, 40, nil, nil, 40])
            let left = await limiter.lockout([subject])
            #expect(left != nil && left! <= 40 && left! >= 39)
            await limiter.recordSuccess([subject])
            for _ in 0..<2 { await limiter.recordFailure([subject]) }
            #expect(await limiter.recordFailure([subject]) == 10)
        }
        try await redis.shutdown()
    }

    @Test func withoutRedisItDecidesInProcessAndLogsOnce() async throws {
        let lines = LogLines()
        var logger = Logger(label: "test") { _ in lines }
        logger.logLevel = .info
        var configuration = RedisConfiguration(host: "127.0.0.1", port: 1)
        configuration.timeoutMilliseconds = 200
        let unreachable = RedisClient(configuration: configuration)
        let limiter = limiter(redis: unreachable, logger: logger)
        var decisions: [RateLimitDecision] = []
        for _ in 0..<30 {
            decisions.append(await limiter.admit([RateLimitBucket(key: "k", limit: RateLimit(requests: 10, per: 60))]))
        }
        #expect(decisions.filter(\.allowed).count == 10)
        #expect(decisions.allSatisfy { $0.local })
        #expect(lines.messages.filter { $0.contains("Redis is unreachable") }.count == 1)
        try await unreachable.shutdown()
    }
}

/// Collects log messages.
final class LogLines: LogHandler, Sendable {
    private let stored = Mutex<[String]>([])
    var messages: [String] { stored.withLock { $0 } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        stored.withLock { $0.append(event.message.description) }
    }
}
