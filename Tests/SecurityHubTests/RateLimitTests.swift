import Foundation
import Logging
import Testing

@testable import SecurityHub

@Suite struct GCRATests {
    let tenPerSecond = [RateLimitBucket(key: "k", limit: RateLimit(requests: 10, per: 1))]

    /// Runs `count` requests at `now` against `tats`, keeping the state.
    func run(_ buckets: [RateLimitBucket], _ tats: inout [Int64?], at now: Int64, count: Int) -> [RateLimitDecision] {
        (0..<count).map { _ in
            let (decision, updated, _) = GCRA.decide(buckets, tats: tats, now: now)
            if let updated { tats = updated.map { $0 } }
            return decision
        }
    }

    @Test func aBurstOfTheLimitPassesThenOnePerInterval() {
        var tats: [Int64?] = [nil]
        let burst = run(tenPerSecond, &tats, at: 0, count: 12)
        #expect(burst.filter(\.allowed).count == 10)
        #expect(burst.prefix(10).map(\.remaining) == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
        #expect(burst[10].allowed == false && burst[10].retryAfterSeconds == 1 && burst[10].remaining == 0)
        #expect(burst[9].resetSeconds == 1)
        // One emission interval (100 ms) later, exactly one more.
        let later = run(tenPerSecond, &tats, at: 100_000, count: 3)
        #expect(later.map(\.allowed) == [true, false, false])
        // A full period later the bucket is full again.
        #expect(run(tenPerSecond, &tats, at: 1_200_000, count: 11).filter(\.allowed).count == 10)
    }

    @Test func everyBucketMustAdmitAndOnlyAdmittedRequestsCount() {
        let buckets = [
            RateLimitBucket(key: "tenant", limit: RateLimit(requests: 100, per: 1)),
            RateLimitBucket(key: "key", limit: RateLimit(requests: 3, per: 60)),
        ]
        var tats: [Int64?] = [nil, nil]
        let decisions = run(buckets, &tats, at: 0, count: 5)
        #expect(decisions.map(\.allowed) == [true, true, true, false, false])
        // The tighter bucket is the one reported.
        #expect(decisions[0].limit == 3 && decisions[0].periodSeconds == 60 && decisions[0].remaining == 2)
        #expect(decisions[3].retryAfterSeconds == 20)
        // Refused requests did not use the tenant's capacity: 3 of 100 are used.
        let tenantOnly = GCRA.decide([buckets[0]], tats: [tats[0]], now: 0).decision
        #expect(tenantOnly.remaining == 96)
    }
}

@Suite struct LockoutPolicyTests {
    @Test func lockoutsDoubleUpToTheMaximum() {
        let policy = LockoutPolicy(threshold: 3, windowSeconds: 60, baseLockSeconds: 60, maxLockSeconds: 600)
        #expect((1...6).map { policy.lockSeconds(level: $0) } == [60, 120, 240, 480, 600, 600])
        var state = LocalLockout()
        #expect(state.fail(policy, now: 0) == 0)
        #expect(state.fail(policy, now: 0) == 0)
        #expect(state.fail(policy, now: 0) == 60)
        #expect((0..<3).map { _ in state.fail(policy, now: 1) }.last == 120)
        // Failures older than the window are forgotten.
        #expect(state.fail(policy, now: 2) == 0)
        #expect(state.fail(policy, now: 61_000_003) == 0)
    }
}
