import Foundation
public import Hiredis
public import Logging
import SecurityHub
import Synchronization

/// Circuit breakers shared through Redis: every replica reads and changes the same counts, in one Lua script per
/// decision on Redis's clock, with the rules of ``CircuitBreaker``. When Redis fails, decisions fall back to a
/// breaker in this process (and a warning is logged at most once a minute), so calls are never refused for it.
public final class RedisBreakerStore: BreakerStore {
    private let redis: RedisClient
    private let prefix: String
    private let fallback: LocalBreakerStore
    private let logger: Logger
    private let lastWarning = Mutex<Date>(.distantPast)
    private let trustClosedFor: Double
    /// Per target, until when (process uptime) a closed breaker is believed without asking Redis.
    private let closedUntil = Mutex<[String: Double]>([:])
    /// Successes of trusted targets not yet sent, and whether a send is scheduled.
    private let pending = Mutex<PendingSuccesses>(PendingSuccesses())

    private struct PendingSuccesses {
        var counts: [String: (count: Int, policy: CircuitBreaker.Policy)] = [:]
        var scheduled = false
        /// Whether a batch is being sent, and who waits for it to arrive.
        var sending = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    /// How long successes of trusted targets are gathered before they are sent in one script call per target.
    static let successBatchDelay: Duration = .milliseconds(100)

    /// Creates a store.
    /// - Parameters:
    ///   - keyPrefix: namespaces the keys, such as `chorus:breaker:<tenant id>`; keys carry it in a hash tag, so one
    ///     tenant's breakers share a Redis Cluster slot.
    ///   - trustClosedFor: seconds for which a breaker Redis reported closed is taken to be still closed, and
    ///     successes are recorded without waiting for Redis, gathered for ``successBatchDelay`` and sent as one count
    ///     per target; 0 asks Redis on every call. With it, a call costs no Redis round trip while its target is
    ///     healthy; a breaker another replica opened is seen at most this much later, and a failure here is always
    ///     recorded before the next call (after the successes gathered so far) and forgets the belief.
    public init(redis: RedisClient, keyPrefix: String, logger: Logger = Logger(label: "chorus.breakers"), trustClosedFor: Double = 0) {
        self.redis = redis
        self.prefix = keyPrefix
        self.logger = logger
        self.trustClosedFor = trustClosedFor
        self.fallback = LocalBreakerStore(clock: { ProcessInfo.processInfo.systemUptime })
    }

    private func key(_ target: String) -> String { "{\(prefix)}:\(target)" }

    private func arguments(_ mode: String, success: Bool, policy: CircuitBreaker.Policy, count: Int = 1) -> [String] {
        [mode, success ? "1" : "0", String(policy.failureRatio), String(policy.minimumRequests), String(policy.window),
         String(policy.openDuration), String(policy.halfOpenProbes), String(count)]
    }

    public func allows(_ target: String, policy: CircuitBreaker.Policy) async -> Bool {
        if trustClosedFor > 0 {
            let now = ProcessInfo.processInfo.systemUptime
            if closedUntil.withLock({ ($0[target] ?? 0) > now }) { return true }
        }
        do {
            let reply = try await Self.script.run(on: redis, keys: [key(target)], arguments: arguments("allow", success: true, policy: policy))
            if case .integer(let allowed) = reply {
                // 2: allowed and closed; 1: allowed as a half-open probe; 0: refused.
                if allowed == 2, trustClosedFor > 0 {
                    let until = ProcessInfo.processInfo.systemUptime + trustClosedFor
                    closedUntil.withLock { $0[target] = until }
                }
                return allowed != 0
            }
            warn("unexpected reply \(reply)")
        } catch {
            warn("\(error)")
        }
        return await fallback.allows(target, policy: policy)
    }

    public func record(_ target: String, success: Bool, policy: CircuitBreaker.Policy) async {
        if trustClosedFor > 0 {
            if success, closedUntil.withLock({ $0[target] != nil }) {
                gather(target, policy: policy)
                return
            }
            _ = closedUntil.withLock { $0.removeValue(forKey: target) }
            // The window must hold the successes gathered before this call, or the failure would weigh too much:
            // those still here are sent first, and a batch already on its way is waited for.
            await batchSent()
            if let gathered = pending.withLock({ $0.counts.removeValue(forKey: target) }) {
                await recordNow(target, success: true, policy: gathered.policy, count: gathered.count)
            }
        }
        await recordNow(target, success: success, policy: policy)
    }

    /// Counts a success of a trusted target, to be sent with the others gathered within ``successBatchDelay``.
    private func gather(_ target: String, policy: CircuitBreaker.Policy) {
        let schedule = pending.withLock { pending -> Bool in
            pending.counts[target] = ((pending.counts[target]?.count ?? 0) + 1, policy)
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        guard schedule else { return }
        Task {
            try? await Task.sleep(for: Self.successBatchDelay)
            let gathered = self.pending.withLock { pending in
                defer { pending.counts = [:]; pending.scheduled = false; pending.sending = true }
                return pending.counts
            }
            for (target, entry) in gathered {
                await self.recordNow(target, success: true, policy: entry.policy, count: entry.count)
            }
            let waiting = self.pending.withLock { pending in
                defer { pending.sending = false; pending.waiting = [] }
                return pending.waiting
            }
            for waiter in waiting { waiter.resume() }
        }
    }

    /// Returns once no batch of successes is on its way to Redis.
    private func batchSent() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wait = pending.withLock { pending -> Bool in
                guard pending.sending else { return false }
                pending.waiting.append(continuation)
                return true
            }
            if !wait { continuation.resume() }
        }
    }

    private func recordNow(_ target: String, success: Bool, policy: CircuitBreaker.Policy, count: Int = 1) async {
        do {
            let reply = try await Self.script.run(
                on: redis, keys: [key(target)], arguments: arguments("record", success: success, policy: policy, count: count)
            )
            if case .integer = reply { return }
            warn("unexpected reply \(reply)")
        } catch {
            warn("\(error)")
        }
        for _ in 0..<count { await fallback.record(target, success: success, policy: policy) }
    }

    public func state(of target: String) async -> CircuitBreaker.State {
        guard let reply = try? await redis.send(["HGET", key(target), "state"]) else { return await fallback.state(of: target) }
        return reply.text.flatMap(CircuitBreaker.State.init(rawValue:)) ?? .closed
    }

    private func warn(_ reason: String) {
        let now = Date()
        let due = lastWarning.withLock { last in
            guard now.timeIntervalSince(last) >= 60 else { return false }
            last = now
            return true
        }
        if due { logger.warning("circuit breakers fall back to this process: Redis failed", metadata: ["reason": "\(reason)"]) }
    }

    /// The breaker rules of ``CircuitBreaker`` over a hash: `state`, `opened`, `started` and `succeeded` probes, and
    /// calls and failures per tenth of the window in fields `c<bucket>` and `f<bucket>`. A record carries a count
    /// (ARGV[8]): gathered successes are sent as one; a half-open breaker counts them as one probe's success.
    static let script = RedisScript(
        """
        local key = KEYS[1]
        local mode = ARGV[1]
        local ratio = tonumber(ARGV[3])
        local minimum = tonumber(ARGV[4])
        local window = tonumber(ARGV[5])
        local openFor = tonumber(ARGV[6])
        local probes = tonumber(ARGV[7])
        local count = tonumber(ARGV[8] or '1')
        local t = redis.call('TIME')
        local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
        local state = redis.call('HGET', key, 'state') or 'closed'
        local ttl = math.ceil((window + openFor) * 2) + 60
        local function open()
          redis.call('DEL', key)
          redis.call('HSET', key, 'state', 'open', 'opened', tostring(now))
          redis.call('EXPIRE', key, ttl)
        end
        if mode == 'allow' then
          if state == 'closed' then return 2 end
          if state == 'open' then
            local opened = tonumber(redis.call('HGET', key, 'opened') or '0')
            if now - opened < openFor then return 0 end
            redis.call('HSET', key, 'state', 'half_open', 'started', 0, 'succeeded', 0)
            redis.call('EXPIRE', key, ttl)
          end
          local started = tonumber(redis.call('HGET', key, 'started') or '0')
          if started >= probes then return 0 end
          redis.call('HINCRBY', key, 'started', 1)
          return 1
        end
        local success = ARGV[2] == '1'
        if state == 'half_open' then
          if success then
            if redis.call('HINCRBY', key, 'succeeded', 1) >= probes then redis.call('DEL', key) end
          else
            open()
          end
          return 1
        end
        if state == 'open' then return 1 end
        local width = math.max(window / 10, 0.001)
        local bucket = math.floor(now / width)
        local fields = redis.call('HGETALL', key)
        local calls, failures = count, success and 0 or count
        for i = 1, #fields, 2 do
          local kind = string.sub(fields[i], 1, 1)
          local number = tonumber(string.sub(fields[i], 2))
          if number and (kind == 'c' or kind == 'f') then
            if number <= bucket - 10 then
              redis.call('HDEL', key, fields[i])
            elseif kind == 'c' then
              calls = calls + tonumber(fields[i + 1])
            else
              failures = failures + tonumber(fields[i + 1])
            end
          end
        end
        if calls >= minimum and failures >= ratio * calls then
          open()
          return 1
        end
        redis.call('HINCRBY', key, 'c' .. bucket, count)
        if not success then redis.call('HINCRBY', key, 'f' .. bucket, count) end
        redis.call('EXPIRE', key, ttl)
        return 1
        """
    )
}
