/// A rate: at most `requests` per `periodSeconds`, with bursts of up to `requests` at once.
public struct RateLimit: Sendable, Hashable, Codable {
    /// Requests allowed per period.
    public var requests: Int
    /// The period, in seconds.
    public var periodSeconds: Int

    /// Creates a rate; both values must be positive.
    public init(requests: Int, per periodSeconds: Int) {
        precondition(requests > 0 && periodSeconds > 0, "a rate needs positive requests and period")
        self.requests = requests
        self.periodSeconds = periodSeconds
    }

    /// GCRA's emission interval: the time one request uses up, in microseconds.
    var interval: Int64 { max(1, Int64(periodSeconds) * 1_000_000 / Int64(requests)) }
    /// GCRA's burst tolerance, in microseconds: `requests` may arrive at once.
    var tolerance: Int64 { interval * Int64(requests - 1) }

    /// How many units one trip to Redis claims for this process: 1 up to 99 requests a second (every request
    /// asks Redis), then one per 50 requests a second, at most 100. The units not used at once are spent by the
    /// next requests of this process within a second, or expire unused. Redis counted them when they were
    /// claimed, so in any window a replica admits at most one lease (2% of a second's worth) more than the limit.
    var lease: Int {
        let perSecond = Double(requests) / Double(periodSeconds)
        return max(1, min(100, Int(perSecond / 50)))
    }
}

/// One limit a request counts against, for example an API key's or its tenant's.
public struct RateLimitBucket: Sendable, Hashable {
    /// Names the counter; buckets with the same key share it.
    public var key: String
    /// Its rate.
    public var limit: RateLimit

    /// Creates a bucket.
    public init(key: String, limit: RateLimit) {
        self.key = key
        self.limit = limit
    }
}

/// Whether a request may go ahead, and what to tell the client about the tightest of its buckets.
public struct RateLimitDecision: Sendable, Equatable {
    /// Whether the request is admitted. A refused request is not counted.
    public var allowed: Bool
    /// The rate of the bucket reported (`RateLimit-Limit`).
    public var limit: Int
    /// The period of that rate, in seconds.
    public var periodSeconds: Int
    /// Requests left in that bucket right now (`RateLimit-Remaining`).
    public var remaining: Int
    /// Seconds until that bucket is full again (`RateLimit-Reset`).
    public var resetSeconds: Int
    /// When refused, seconds until a request would be admitted (`Retry-After`).
    public var retryAfterSeconds: Int?
    /// Whether the decision was made by the in-process limiter because Redis could not be reached.
    public var local: Bool

    /// An admission with nothing to report (no buckets applied).
    public static let unlimited = RateLimitDecision(
        allowed: true, limit: 0, periodSeconds: 0, remaining: 0, resetSeconds: 0, retryAfterSeconds: nil, local: false
    )
}

/// The generic cell rate algorithm over several buckets at once: a request is admitted only if every bucket
/// admits it, and only an admitted request uses up capacity. Each bucket's state is one number, its theoretical
/// arrival time (TAT) in microseconds. The Redis script in `RateLimiter` is the same algorithm, line for line.
enum GCRA {
    /// Decides for `buckets` whose stored TATs are `tats` (nil: never used or expired) at `now`. Each bucket may
    /// claim several units (`claims`, default one each): it is granted as many as it has room for, at least one,
    /// or the request is refused.
    /// - Returns: the decision, and when admitted the TATs to store and the units granted per bucket.
    static func decide(_ buckets: [RateLimitBucket], tats stored: [Int64?], claims: [Int]? = nil, now: Int64)
        -> (decision: RateLimitDecision, tats: [Int64]?, granted: [Int])
    {
        let tats = stored.map { max($0 ?? now, now) }
        var deniedIndex = -1
        var retry: Int64 = 0
        for (index, bucket) in buckets.enumerated() {
            let wait = tats[index] - bucket.limit.tolerance - now
            if wait > retry {
                retry = wait
                deniedIndex = index
            }
        }
        if deniedIndex >= 0 {
            return (
                result(buckets, allowed: false, index: deniedIndex, remaining: 0, reset: tats[deniedIndex] - now,
                       retry: retry),
                nil, []
            )
        }
        var updated: [Int64] = []
        var granted: [Int] = []
        var best = 0
        var bestRemaining = Int64.max
        var bestReset: Int64 = 0
        for (index, bucket) in buckets.enumerated() {
            let room = (bucket.limit.tolerance + bucket.limit.interval - (tats[index] - now)) / bucket.limit.interval
            let units = Int(min(Int64(claims?[index] ?? 1), room))
            granted.append(units)
            let tat = tats[index] + bucket.limit.interval * Int64(units)
            updated.append(tat)
            let remaining = (now + bucket.limit.tolerance - tat) / bucket.limit.interval + 1
            if remaining < bestRemaining {
                best = index
                bestRemaining = remaining
                bestReset = tat - now
            }
        }
        return (
            result(buckets, allowed: true, index: best, remaining: bestRemaining, reset: bestReset, retry: 0),
            updated, granted
        )
    }

    /// A decision from the algorithm's raw numbers (microseconds), as the Redis script also returns them.
    static func result(
        _ buckets: [RateLimitBucket],
        allowed: Bool,
        index: Int,
        remaining: Int64,
        reset: Int64,
        retry: Int64,
        local: Bool = false
    ) -> RateLimitDecision {
        let bucket = buckets[min(max(index, 0), buckets.count - 1)]
        return RateLimitDecision(
            allowed: allowed,
            limit: bucket.limit.requests,
            periodSeconds: bucket.limit.periodSeconds,
            remaining: Int(clamping: max(0, remaining)),
            resetSeconds: Int(clamping: (max(0, reset) + 999_999) / 1_000_000),
            retryAfterSeconds: allowed ? nil : Int(clamping: max(1, (retry + 999_999) / 1_000_000)),
            local: local
        )
    }
}
