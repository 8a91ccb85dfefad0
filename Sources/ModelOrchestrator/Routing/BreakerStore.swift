import Synchronization

/// Where circuit breakers keep their counts: in this process, or in Redis so that every replica agrees.
public protocol BreakerStore: Sendable {
    /// Whether a call may go to `target` now; while half open, `true` reserves a probe.
    func allows(_ target: String, policy: CircuitBreaker.Policy) async -> Bool
    /// Records the outcome of a call the breaker allowed.
    func record(_ target: String, success: Bool, policy: CircuitBreaker.Policy) async
    /// Where the breaker of `target` stands.
    func state(of target: String) async -> CircuitBreaker.State
}

/// Breakers in this process, on an injected clock.
public final class LocalBreakerStore: BreakerStore {
    private let breakers = Mutex<[String: CircuitBreaker]>([:])
    private let clock: @Sendable () -> Double

    /// Creates a store; `clock` gives monotonic seconds.
    public init(clock: @escaping @Sendable () -> Double) {
        self.clock = clock
    }

    public func allows(_ target: String, policy: CircuitBreaker.Policy) async -> Bool {
        let now = clock()
        return breakers.withLock { $0[target, default: CircuitBreaker()].allows(at: now, policy: policy) }
    }

    public func record(_ target: String, success: Bool, policy: CircuitBreaker.Policy) async {
        let now = clock()
        breakers.withLock { $0[target, default: CircuitBreaker()].record(success: success, at: now, policy: policy) }
    }

    public func state(of target: String) async -> CircuitBreaker.State {
        breakers.withLock { $0[target]?.state ?? .closed }
    }
}
