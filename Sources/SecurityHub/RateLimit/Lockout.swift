/// When repeated failures (wrong passwords) lock a subject out, and for how long. Each lockout doubles the next
/// one, up to `maxLockSeconds`; the doubling is forgotten after a day without lockouts or on a success.
public struct LockoutPolicy: Sendable, Hashable, Codable {
    /// Failures within `windowSeconds` that lock the subject.
    public var threshold: Int
    /// How long failures are remembered.
    public var windowSeconds: Int
    /// The first lockout.
    public var baseLockSeconds: Int
    /// The longest lockout.
    public var maxLockSeconds: Int

    /// Creates a policy.
    public init(threshold: Int, windowSeconds: Int, baseLockSeconds: Int, maxLockSeconds: Int) {
        self.threshold = max(1, threshold)
        self.windowSeconds = max(1, windowSeconds)
        self.baseLockSeconds = max(1, baseLockSeconds)
        self.maxLockSeconds = max(self.baseLockSeconds, maxLockSeconds)
    }

    /// How long levels (the doubling) are remembered, in seconds.
    static let levelMemory = 86_400

    /// The lockout after the `level`th, in seconds.
    func lockSeconds(level: Int) -> Int {
        let doublings = min(max(level - 1, 0), 30)
        return min(baseLockSeconds << doublings, maxLockSeconds)
    }
}

/// Something that can be locked out: a client address, an account, or the two together.
public struct LockoutSubject: Sendable, Hashable {
    /// Names the subject's counters. Should not contain personal data in the clear (hash account names).
    public var key: String
    /// Its policy.
    public var policy: LockoutPolicy

    /// Creates a subject.
    public init(key: String, policy: LockoutPolicy) {
        self.key = key
        self.policy = policy
    }
}

/// The in-process state of one subject, used when Redis cannot be reached.
struct LocalLockout: Sendable {
    var failures = 0
    var failuresExpire: Int64 = 0
    var level = 0
    var levelExpires: Int64 = 0
    var lockedUntil: Int64 = 0

    /// Records a failure at `now`. Returns the lockout it starts, in seconds, or 0.
    mutating func fail(_ policy: LockoutPolicy, now: Int64) -> Int {
        if failuresExpire <= now { failures = 0 }
        if levelExpires <= now { level = 0 }
        failures += 1
        if failures == 1 { failuresExpire = now + Int64(policy.windowSeconds) * 1_000_000 }
        guard failures >= policy.threshold else { return 0 }
        level += 1
        levelExpires = now + Int64(LockoutPolicy.levelMemory) * 1_000_000
        let seconds = policy.lockSeconds(level: level)
        lockedUntil = now + Int64(seconds) * 1_000_000
        failures = 0
        return seconds
    }

    /// Whether anything is left to remember at `now`.
    func isExpired(at now: Int64) -> Bool {
        failuresExpire <= now && levelExpires <= now && lockedUntil <= now
    }
}
