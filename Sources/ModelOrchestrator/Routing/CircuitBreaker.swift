/// A circuit breaker for one target: it opens when too many recent calls failed, lets a few probes through after a
/// pause, and closes again when they succeed.
///
/// The breaker is a value: its state is the counts of recent calls, so replicas can share it by keeping these
/// counts in Redis and applying the same rules.
public struct CircuitBreaker: Sendable, Equatable, Codable {
    /// The rules.
    public struct Policy: Sendable, Equatable, Codable {
        /// The failure share, 0 to 1, that opens the breaker.
        public var failureRatio: Double
        /// Fewer calls than this in the window never open it.
        public var minimumRequests: Int
        /// The window, in seconds, over which calls are counted (in ten buckets).
        public var window: Double
        /// How long it stays open before probing, in seconds.
        public var openDuration: Double
        /// Probes let through while half open; that many successes close it, one failure opens it again.
        public var halfOpenProbes: Int

        public init(failureRatio: Double = 0.5, minimumRequests: Int = 10, window: Double = 30, openDuration: Double = 30, halfOpenProbes: Int = 2) {
            self.failureRatio = failureRatio
            self.minimumRequests = minimumRequests
            self.window = window
            self.openDuration = openDuration
            self.halfOpenProbes = halfOpenProbes
        }
    }

    /// Where the breaker stands.
    public enum State: String, Sendable, Equatable, Codable {
        case closed, open, halfOpen = "half_open"
    }

    public private(set) var state: State = .closed
    /// Calls and failures per bucket of `window / 10` seconds, keyed by bucket number.
    private var buckets: [Int: Counts] = [:]
    /// When it opened.
    private var openedAt: Double = 0
    /// Probes let through and probes that succeeded, while half open.
    private var probesStarted = 0
    private var probesSucceeded = 0

    struct Counts: Sendable, Equatable, Codable {
        var calls = 0
        var failures = 0
    }

    public init() {}

    /// Whether a call may go to the target now (`now` in seconds). While half open, a `true` reserves a probe.
    public mutating func allows(at now: Double, policy: Policy) -> Bool {
        switch state {
        case .closed:
            return true
        case .open:
            guard now - openedAt >= policy.openDuration else { return false }
            state = .halfOpen
            probesStarted = 0
            probesSucceeded = 0
            fallthrough
        case .halfOpen:
            guard probesStarted < policy.halfOpenProbes else { return false }
            probesStarted += 1
            return true
        }
    }

    /// Records the outcome of a call the breaker allowed.
    public mutating func record(success: Bool, at now: Double, policy: Policy) {
        switch state {
        case .halfOpen:
            if success {
                probesSucceeded += 1
                if probesSucceeded >= policy.halfOpenProbes {
                    state = .closed
                    buckets.removeAll()
                }
            } else {
                open(at: now)
            }
        case .open:
            break  // a call that started before the breaker opened
        case .closed:
            let width = max(policy.window / 10, 0.001)
            let bucket = Int((now / width).rounded(.down))
            buckets = buckets.filter { $0.key > bucket - 10 }
            buckets[bucket, default: Counts()].calls += 1
            if !success { buckets[bucket, default: Counts()].failures += 1 }
            let calls = buckets.values.reduce(0) { $0 + $1.calls }
            let failures = buckets.values.reduce(0) { $0 + $1.failures }
            if calls >= policy.minimumRequests, Double(failures) >= policy.failureRatio * Double(calls) {
                open(at: now)
            }
        }
    }

    private mutating func open(at now: Double) {
        state = .open
        openedAt = now
        buckets.removeAll()
        probesStarted = 0
        probesSucceeded = 0
    }
}
