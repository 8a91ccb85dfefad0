import ChorusCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import SecurityHub
import Storage
import Synchronization

/// Applies rate limits before a request does any work: a tenant request is admitted or refused before its
/// transaction starts, so a flood costs one Redis round trip per request and no database work.
///
/// The limits depend on the tenant's plan and the API key's own limit, which the database knows. Both are read by
/// `enter_tenant` on every request anyway, so this process remembers what the last request saw (`learn`) and
/// admits the next request before touching the database. When it has not seen the tenant or the key yet, the
/// request is admitted right after entering the tenant instead, with the limits just read. A plan change applies
/// from the request after the next one.
struct Admission: Sendable {
    let limiter: RateLimiter
    let settings: RateLimitSettings
    let known = KnownLimits()

    /// Admits a tenant request before any database work, or throws the 429 to answer.
    /// - Returns: the decision, whose headers go on the response; nil when the limits are not known yet and the
    ///   request must be admitted after entering the tenant (`admitEntered`).
    func admit(_ credential: Authenticator.Credential) async throws -> RateLimitDecision? {
        guard settings.enabled else { return .unlimited }
        if case .apiKey(let presented, let keyID, _) = credential, let hash = known.key(keyID)?.hash,
            !presented.matches(hash)
        {
            // Refused before counting, so someone who only knows a key's visible prefix cannot use up the key's or
            // the tenant's quota.
            throw Problem.unauthenticated("The API key is not valid, has expired or was revoked.")
        }
        guard let buckets = buckets(credential) else { return nil }
        return try Self.check(await limiter.admit(buckets))
    }

    /// Admits a request whose limits were not known before entering the tenant; `learn` has just run.
    func admitEntered(_ credential: Authenticator.Credential) async throws -> RateLimitDecision {
        guard settings.enabled, let buckets = buckets(credential) else { return .unlimited }
        return try Self.check(await limiter.admit(buckets))
    }

    /// The buckets a request counts against, or nil when this process does not know its limits yet.
    func buckets(_ credential: Authenticator.Credential) -> [RateLimitBucket]? {
        guard let plan = known.plan(of: credential.tenantID) else { return nil }
        let limits = settings.limits(plan: plan)
        let tenant = credential.tenantID.lowercased
        var buckets = [RateLimitBucket(key: "t:{\(tenant)}", limit: limits.tenant)]
        switch credential {
        case .member(_, let memberID, _):
            buckets.append(RateLimitBucket(key: "m:{\(tenant)}:\(memberID.lowercased)", limit: limits.member))
        case .apiKey(_, let keyID, _):
            guard let key = known.key(keyID) else { return nil }
            buckets.append(RateLimitBucket(key: "k:{\(tenant)}:\(keyID.lowercased)", limit: limits.apiKey))
            if let own = key.limit {
                buckets.append(RateLimitBucket(key: "kl:{\(tenant)}:\(keyID.lowercased)", limit: own))
            }
        }
        return buckets
    }

    /// Admits a request to an auth route from `address`, or throws the 429 to answer.
    func admitAuth(address: String?) async throws -> RateLimitDecision {
        guard settings.enabled else { return .unlimited }
        return try Self.check(await limiter.admit([
            RateLimitBucket(key: "a:{\(address ?? "unknown")}", limit: settings.authPerAddress),
        ]))
    }

    /// Remembers the plan and key limit a tenant entry read.
    func learn(_ credential: Authenticator.Credential, entry: TenantEntry) {
        known.remember(plan: entry.tenantPlan, of: credential.tenantID)
        if case .apiKey(_, let keyID, _) = credential, let hash = entry.apiKeyHash {
            var limit: RateLimit?
            if let requests = entry.apiKeyRateLimit, let period = entry.apiKeyRatePeriod, requests > 0, period > 0 {
                limit = RateLimit(requests: requests, per: period)
            }
            known.remember(key: keyID, hash: hash, limit: limit)
        }
    }

    // MARK: Login

    /// The subjects a login attempt counts against: the account from this address, and the account anywhere.
    /// Accounts are hashed so Redis holds no email addresses.
    func loginSubjects(slug: String, email: String, address: String?) -> [LockoutSubject] {
        let account = SHA256.hash(data: Data("\(slug.lowercased())\n\(email.lowercased())".utf8))
            .prefix(16).map { String(format: "%02x", $0) }.joined()
        return [
            LockoutSubject(key: "login:\(account):\(address ?? "unknown")", policy: settings.loginLockout),
            LockoutSubject(key: "account:\(account)", policy: settings.accountLockout),
        ]
    }

    /// Admits a login attempt, or throws the 429 to answer: too many attempts from the address, or a lockout.
    func admitLogin(_ subjects: [LockoutSubject], address: String?) async throws -> RateLimitDecision {
        guard settings.enabled else { return .unlimited }
        let decision = try Self.check(await limiter.admit([
            RateLimitBucket(key: "l:{\(address ?? "unknown")}", limit: settings.loginPerAddress),
        ]))
        if let seconds = await limiter.lockout(subjects) {
            throw Self.lockedOut(seconds: seconds)
        }
        return decision
    }

    /// Records a failed login; the answer stays the same 401 so it does not tell whether a lockout started.
    func loginFailed(_ subjects: [LockoutSubject]) async {
        guard settings.enabled else { return }
        await limiter.recordFailure(subjects)
    }

    /// Records a successful login, which forgets the failures.
    func loginSucceeded(_ subjects: [LockoutSubject]) async {
        guard settings.enabled else { return }
        await limiter.recordSuccess(subjects)
    }

    static func lockedOut(seconds: Int) -> Problem {
        var problem = Problem(
            code: "login-locked",
            title: "Too many failed logins",
            status: 429,
            detail: "Too many failed logins for this account. Try again in \(seconds) seconds."
        )
        problem.retryAfter = seconds
        return problem
    }

    /// The decision when admitted; the 429 with its headers when not.
    static func check(_ decision: RateLimitDecision) throws -> RateLimitDecision {
        guard !decision.allowed else { return decision }
        let period = switch decision.periodSeconds {
        case 1: "second"
        case 60: "minute"
        case 3600: "hour"
        default: "\(decision.periodSeconds) seconds"
        }
        var problem = Problem(
            code: "rate-limited",
            title: "Too many requests",
            status: 429,
            detail: "The limit is \(decision.limit) requests per \(period). Retry after \(decision.retryAfterSeconds ?? 1) seconds."
        )
        problem.retryAfter = decision.retryAfterSeconds ?? 1
        throw ErrorWithHeaders(problem, headers: decision.headers)
    }
}

extension RateLimitDecision {
    /// `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`, when a limit applied.
    var headers: HTTPFields {
        guard limit > 0 else { return [:] }
        return [
            .rateLimitLimit: String(limit),
            .rateLimitRemaining: String(remaining),
            .rateLimitReset: String(resetSeconds),
        ]
    }
}

/// The admission decision of one request, which may be made before or after entering the tenant.
final class AdmissionSlot: Sendable {
    private let stored: Mutex<RateLimitDecision?>

    init(_ decision: RateLimitDecision?) { stored = Mutex(decision) }

    var decision: RateLimitDecision? { stored.withLock { $0 } }

    /// Admits the request now if it was not admitted before entering the tenant.
    func admitIfDeferred(_ admission: Admission, _ credential: Authenticator.Credential) async throws {
        guard decision == nil else { return }
        let decision = try await admission.admitEntered(credential)
        stored.withLock { $0 = decision }
    }
}

/// An error whose response must also carry some headers (the rate-limit headers of an admitted request that
/// failed later, or of a refused one).
struct ErrorWithHeaders: Error {
    let error: any Error
    let headers: HTTPFields

    init(_ error: any Error, headers: HTTPFields) {
        self.error = error
        self.headers = headers
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = Self("RateLimit-Limit")!
    static let rateLimitRemaining = Self("RateLimit-Remaining")!
    static let rateLimitReset = Self("RateLimit-Reset")!
}

/// Tenant plans and API-key limits as last read from the database. Bounded: when full it starts over.
final class KnownLimits: Sendable {
    struct Key: Sendable, Equatable {
        var hash: String
        var limit: RateLimit?
    }

    static let capacity = 50_000
    private let plans = Mutex<[UUID: String]>([:])
    private let keys = Mutex<[UUID: Key]>([:])

    func plan(of tenant: UUID) -> String? { plans.withLock { $0[tenant] } }
    func key(_ id: UUID) -> Key? { keys.withLock { $0[id] } }

    func remember(plan: String, of tenant: UUID) {
        plans.withLock { plans in
            guard plans[tenant] != plan else { return }
            if plans.count >= Self.capacity { plans.removeAll(keepingCapacity: true) }
            plans[tenant] = plan
        }
    }

    func remember(key id: UUID, hash: String, limit: RateLimit?) {
        let key = Key(hash: hash, limit: limit)
        keys.withLock { keys in
            // Runs on every API-key request: an unchanged entry is left alone, and never clears a full table.
            guard keys[id] != key else { return }
            if keys.count >= Self.capacity { keys.removeAll(keepingCapacity: true) }
            keys[id] = key
        }
    }
}
