import Crypto
import Foundation
public import Hiredis
public import Logging
import Synchronization

/// Rate limits shared by every replica through Redis, with an in-process fallback.
///
/// Each decision is one atomic Lua script on Redis's own clock, so replicas agree and their clocks do not matter.
/// When Redis cannot be reached the limiter decides in process with the same algorithm and the same limits
/// (per replica, so the effective limit is looser), logs that at most once a minute, and tries Redis again a
/// second later. It never fails a request because of Redis.
public final class RateLimiter: Sendable {
    private let redis: RedisClient?
    private let prefix: String
    private let logger: Logger
    private let local = Mutex(LocalState())
    private let leases = Mutex(Leases())
    private let health = Mutex(Health())

    /// How long to decide in process after Redis failed, before trying it again.
    static let redisRetryMicros: Int64 = 1_000_000
    /// How often the fallback is logged while it lasts.
    static let logIntervalMicros: Int64 = 60_000_000

    /// Creates a limiter.
    /// - Parameters:
    ///   - redis: the shared store; nil decides in process only.
    ///   - keyPrefix: put before every Redis key.
    ///   - logger: where the fallback is reported.
    public init(redis: RedisClient?, keyPrefix: String = "chorus:rl:", logger: Logger) {
        self.redis = redis
        self.prefix = keyPrefix
        self.logger = logger
    }

    /// Admits a request if every bucket has room, and counts it against all of them.
    ///
    /// Busy buckets (see `RateLimit.lease`) are served from units this process claimed from Redis earlier; a
    /// request asks Redis only for the buckets that have none left, and claims a new lease for them.
    public func admit(_ buckets: [RateLimitBucket]) async -> RateLimitDecision {
        guard !buckets.isEmpty else { return .unlimited }
        if let redis, shouldTryRedis() {
            let now = Self.now()
            // Take a unit from each bucket's lease where there is one; the rest go to Redis.
            let (held, missing) = leases.withLock { leases in leases.take(buckets, now: now) }
            if missing.isEmpty {
                return leases.withLock { $0.decision(buckets, now: now) }
            }
            let asked = missing.map { buckets[$0] }
            var arguments: [String] = []
            arguments.reserveCapacity(asked.count * 3)
            for bucket in asked {
                arguments.append(String(bucket.limit.interval))
                arguments.append(String(bucket.limit.tolerance))
                arguments.append(String(bucket.limit.lease))
            }
            do {
                let reply = try await Self.gcraScript.run(on: redis, keys: asked.map { prefix + $0.key }, arguments: arguments)
                if case .array(let items) = reply, items.count == 5 || items.count == 5 + asked.count,
                    case .integer(let allowed) = items[0], case .integer(let index) = items[1],
                    case .integer(let remaining) = items[2], case .integer(let reset) = items[3],
                    case .integer(let retry) = items[4]
                {
                    redisAnswered()
                    let answer = GCRA.result(asked, allowed: allowed == 1, index: Int(index) - 1, remaining: remaining,
                                             reset: reset, retry: retry)
                    guard allowed == 1 else {
                        leases.withLock { $0.giveBack(held) }
                        return answer
                    }
                    let granted = items[5...].map { if case .integer(let units) = $0 { Int(units) } else { 1 } }
                    return leases.withLock { leases in
                        for (bucket, units) in zip(asked, granted) {
                            leases.store(bucket, units: units - 1, remaining: remaining, reset: reset, now: now)
                        }
                        // A leased bucket's units held here are still available: its lease reports it. Other
                        // buckets only ever report Redis's answer (for leased ones, a lower bound).
                        let leased = asked[min(max(Int(index) - 1, 0), asked.count - 1)].limit.lease > 1
                        return leases.decision(buckets, now: now, fallback: leased ? nil : answer)
                    }
                }
                redisFailed("unexpected reply \(reply)")
            } catch {
                redisFailed("\(error)")
            }
            leases.withLock { $0.giveBack(held) }
        }
        let now = Self.now()
        return local.withLock { state in
            let (decision, tats, _) = GCRA.decide(buckets, tats: buckets.map { state.tats[$0.key] }, now: now)
            if let tats {
                state.prune(now: now)
                for (bucket, tat) in zip(buckets, tats) { state.tats[bucket.key] = tat }
            }
            var local = decision
            local.local = true
            return local
        }
    }

    /// If any subject is locked out, how many seconds are left; nil when none is.
    public func lockout(_ subjects: [LockoutSubject]) async -> Int? {
        let milliseconds: Int64
        if let value = await runLockout("check", subjects) {
            milliseconds = value
        } else {
            let now = Self.now()
            milliseconds = local.withLock { state in
                subjects.map { (state.lockouts[$0.key]?.lockedUntil ?? 0) - now }.max().map { $0 / 1000 } ?? 0
            }
        }
        return milliseconds > 0 ? Int((milliseconds + 999) / 1000) : nil
    }

    /// Records a failure (a wrong password) against every subject.
    /// - Returns: the longest lockout this failure started, in seconds, or nil.
    @discardableResult
    public func recordFailure(_ subjects: [LockoutSubject]) async -> Int? {
        let seconds: Int
        if let milliseconds = await runLockout("fail", subjects) {
            seconds = Int((milliseconds + 999) / 1000)
        } else {
            let now = Self.now()
            seconds = local.withLock { state in
                state.prune(now: now)
                return subjects.map { subject in state.lockouts[subject.key, default: LocalLockout()].fail(subject.policy, now: now) }
                    .max() ?? 0
            }
        }
        return seconds > 0 ? seconds : nil
    }

    /// Forgets the failures and the lockout doubling of every subject (a successful login).
    public func recordSuccess(_ subjects: [LockoutSubject]) async {
        if await runLockout("ok", subjects) == nil {
            local.withLock { state in
                for subject in subjects {
                    state.lockouts[subject.key]?.failures = 0
                    state.lockouts[subject.key]?.level = 0
                }
            }
        }
    }

    /// Runs the lockout script in `mode`; nil when Redis is not used or failed.
    private func runLockout(_ mode: String, _ subjects: [LockoutSubject]) async -> Int64? {
        guard !subjects.isEmpty else { return 0 }
        guard let redis, shouldTryRedis() else { return nil }
        var keys: [String] = []
        var arguments = [mode]
        for subject in subjects {
            let base = prefix + "lock:{" + subject.key + "}:"
            keys.append(base + "f")
            keys.append(base + "l")
            keys.append(base + "x")
            let policy = subject.policy
            arguments.append(String(policy.threshold))
            arguments.append(String(policy.windowSeconds * 1000))
            arguments.append(String(policy.baseLockSeconds * 1000))
            arguments.append(String(policy.maxLockSeconds * 1000))
        }
        do {
            let reply = try await Self.lockoutScript.run(on: redis, keys: keys, arguments: arguments)
            if case .integer(let value) = reply {
                redisAnswered()
                return value
            }
            redisFailed("unexpected reply \(reply)")
        } catch {
            redisFailed("\(error)")
        }
        return nil
    }

    // MARK: Redis health

    private struct Health {
        var retryAt: Int64 = 0
        var lastLogged: Int64?
        var down = false
    }

    private func shouldTryRedis() -> Bool {
        let now = Self.now()
        return health.withLock { now >= $0.retryAt }
    }

    private func redisAnswered() {
        let recovered = health.withLock { health in
            defer { health.down = false }
            return health.down
        }
        if recovered { logger.notice("rate limits are shared through Redis again") }
    }

    private func redisFailed(_ reason: String) {
        let now = Self.now()
        let log = health.withLock { health in
            health.down = true
            health.retryAt = now + Self.redisRetryMicros
            if let last = health.lastLogged, now - last < Self.logIntervalMicros { return false }
            health.lastLogged = now
            return true
        }
        if log {
            logger.warning(
                "Redis is unreachable: rate limits are enforced by this process alone",
                metadata: ["reason": .string(reason)]
            )
        }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }

    // MARK: In-process state

    private struct LocalState {
        static let capacity = 100_000
        var tats: [String: Int64] = [:]
        var lockouts: [String: LocalLockout] = [:]

        /// Keeps memory bounded: drops what has expired once a table is full, and everything if that is not enough.
        mutating func prune(now: Int64) {
            if tats.count >= Self.capacity {
                tats = tats.filter { $0.value > now }
                if tats.count >= Self.capacity { tats.removeAll(keepingCapacity: true) }
            }
            if lockouts.count >= Self.capacity {
                lockouts = lockouts.filter { !$0.value.isExpired(at: now) }
                if lockouts.count >= Self.capacity { lockouts.removeAll(keepingCapacity: true) }
            }
        }
    }

    // MARK: Leases

    /// Units claimed from Redis and not used yet, per bucket key.
    struct Leases {
        struct Lease {
            var units: Int
            var expires: Int64
            /// What Redis said was left in the bucket when the lease was claimed, and when it would be full.
            var remaining: Int64
            var resetAt: Int64
        }

        static let capacity = 100_000
        var held: [String: Lease] = [:]

        /// Takes one unit from every bucket that has a live lease. Returns the keys taken from and the indexes
        /// of the buckets that need Redis.
        mutating func take(_ buckets: [RateLimitBucket], now: Int64) -> (held: [String], missing: [Int]) {
            var taken: [String] = []
            var missing: [Int] = []
            for (index, bucket) in buckets.enumerated() {
                if bucket.limit.lease > 1, var lease = held[bucket.key], lease.units > 0, lease.expires > now {
                    lease.units -= 1
                    held[bucket.key] = lease
                    taken.append(bucket.key)
                } else {
                    missing.append(index)
                }
            }
            return (taken, missing)
        }

        /// Returns units taken for a request that was refused.
        mutating func giveBack(_ keys: [String]) {
            for key in keys { held[key]?.units += 1 }
        }

        /// Keeps the units of a new lease (the claimed ones minus the one used now) for a second, or as long as
        /// they cover if that is longer.
        mutating func store(_ bucket: RateLimitBucket, units: Int, remaining: Int64, reset: Int64, now: Int64) {
            guard bucket.limit.lease > 1 else { return }
            if held.count >= Self.capacity {
                held = held.filter { $0.value.expires > now }
                if held.count >= Self.capacity { held.removeAll(keepingCapacity: true) }
            }
            held[bucket.key] = Lease(
                units: units, expires: now + max(bucket.limit.interval * Int64(units + 1), 1_000_000), remaining: remaining,
                resetAt: now + reset
            )
        }

        /// The headers' view of an admitted request: the tightest bucket, counting units held here as still
        /// available (they are, to this process's next requests).
        func decision(_ buckets: [RateLimitBucket], now: Int64, fallback: RateLimitDecision? = nil) -> RateLimitDecision {
            var best = fallback
            for bucket in buckets {
                guard let lease = held[bucket.key], bucket.limit.lease > 1 else { continue }
                let candidate = GCRA.result(
                    [bucket], allowed: true, index: 0, remaining: lease.remaining + Int64(lease.units),
                    reset: lease.resetAt - now, retry: 0
                )
                if best == nil || candidate.remaining < best!.remaining { best = candidate }
            }
            return best ?? .unlimited
        }
    }

    // MARK: Scripts

    /// GCRA over several buckets, on Redis's clock; the same algorithm as `GCRA.decide`. KEYS are the buckets,
    /// ARGV their interval, tolerance (microseconds) and units claimed, in threes. Returns {allowed, index,
    /// remaining, reset, retry} and, when allowed, the units granted per bucket.
    static let gcraScript = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local tats = {}
        local denied, retry = 0, 0
        for i = 1, #KEYS do
          local tolerance = tonumber(ARGV[3 * i - 1])
          local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
          if tat < now then tat = now end
          tats[i] = tat
          local wait = tat - tolerance - now
          if wait > retry then retry = wait; denied = i end
        end
        if denied > 0 then return {0, denied, 0, tats[denied] - now, retry} end
        local best, bestRemaining, bestReset = 1, nil, 0
        local granted = {}
        for i = 1, #KEYS do
          local interval = tonumber(ARGV[3 * i - 2])
          local tolerance = tonumber(ARGV[3 * i - 1])
          local room = math.floor((tolerance + interval - (tats[i] - now)) / interval)
          local units = math.min(tonumber(ARGV[3 * i]), room)
          granted[i] = units
          local tat = tats[i] + interval * units
          redis.call('SET', KEYS[i], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
          local remaining = math.floor((now + tolerance - tat) / interval) + 1
          if bestRemaining == nil or remaining < bestRemaining then
            best = i; bestRemaining = remaining; bestReset = tat - now
          end
        end
        local reply = {1, best, bestRemaining, bestReset, 0}
        for i = 1, #KEYS do reply[5 + i] = granted[i] end
        return reply
        """
    )

    /// Failure counting and growing lockouts. KEYS are (failures, level, lock) triples per subject; ARGV[1] is the
    /// mode (check, fail, ok), then (threshold, window, base lock, max lock) per subject in milliseconds. Returns
    /// milliseconds: the longest lock left (check) or started (fail).
    static let lockoutScript = RedisScript(
        """
        local mode = ARGV[1]
        local result = 0
        for i = 0, #KEYS / 3 - 1 do
          local failures, level, lock = KEYS[3 * i + 1], KEYS[3 * i + 2], KEYS[3 * i + 3]
          if mode == 'check' then
            local left = redis.call('PTTL', lock)
            if left > result then result = left end
          elseif mode == 'fail' then
            local threshold = tonumber(ARGV[4 * i + 2])
            local count = redis.call('INCR', failures)
            if count == 1 then redis.call('PEXPIRE', failures, ARGV[4 * i + 3]) end
            if count >= threshold then
              local n = redis.call('INCR', level)
              redis.call('PEXPIRE', level, 86400000)
              local ms = tonumber(ARGV[4 * i + 4]) * 2 ^ math.min(n - 1, 30)
              local longest = tonumber(ARGV[4 * i + 5])
              if ms > longest then ms = longest end
              redis.call('SET', lock, '1', 'PX', string.format('%d', ms))
              redis.call('DEL', failures)
              if ms > result then result = ms end
            end
          else
            redis.call('DEL', failures, level)
          end
        end
        return result
        """
    )
}

/// A Lua script run with `EVALSHA`, loaded with `EVAL` the first time a Redis server has not seen it.
public struct RedisScript: Sendable {
    /// The script.
    public let source: String
    /// Its SHA-1, as `EVALSHA` names it.
    public let sha1: String

    /// Prepares a script.
    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Data(source.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Runs the script with `keys` and `arguments`.
    /// - Throws: what the connection throws; a script error comes back as a `.error` value.
    public func run(on redis: RedisClient, keys: [String], arguments: [String]) async throws -> RedisValue {
        let tail = [String(keys.count)] + keys + arguments
        let reply = try await redis.send(["EVALSHA", sha1] + tail)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            return try await redis.send(["EVAL", source] + tail)
        }
        return reply
    }
}
