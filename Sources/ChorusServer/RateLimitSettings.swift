public import Foundation
public import SecurityHub

/// The rate limits the server applies, by tenant plan and for anonymous routes.
///
/// Every tenant request counts against its tenant's bucket and its caller's (the member, or the API key and the
/// key's own limit if it has one). The auth routes count against the client address, and login also against
/// growing lockouts per address and account.
public struct RateLimitSettings: Sendable, Equatable {
    /// The limits of one plan.
    public struct PlanLimits: Sendable, Equatable {
        /// All requests of the tenant.
        public var tenant: RateLimit
        /// Requests of one member with an access token.
        public var member: RateLimit
        /// Requests of one API key; a key's own limit can only be tighter.
        public var apiKey: RateLimit

        /// Creates the limits of a plan.
        public init(tenant: RateLimit, member: RateLimit, apiKey: RateLimit) {
            self.tenant = tenant
            self.member = member
            self.apiKey = apiKey
        }
    }

    /// Whether limits apply at all.
    public var enabled: Bool
    /// Put before every Redis key of the limiter, so deployments can share a Redis.
    public var keyPrefix: String
    /// Limits by plan name.
    public var plans: [String: PlanLimits]
    /// The plan assumed for a tenant this process has not served yet (its plan is learned on its first request).
    public var defaultPlan: String
    /// Requests to the auth routes (login, refresh, logout, accepting invitations) per client address.
    public var authPerAddress: RateLimit
    /// Login attempts per client address.
    public var loginPerAddress: RateLimit
    /// Lockouts after failed logins for one account from one address.
    public var loginLockout: LockoutPolicy
    /// Lockouts after failed logins for one account from anywhere (distributed guessing).
    public var accountLockout: LockoutPolicy

    /// Creates settings; the defaults are the production ones.
    public init(
        enabled: Bool = true,
        keyPrefix: String = "chorus:rl:",
        plans: [String: PlanLimits] = Self.defaultPlans,
        defaultPlan: String = "standard",
        authPerAddress: RateLimit = RateLimit(requests: 20, per: 1),
        loginPerAddress: RateLimit = RateLimit(requests: 30, per: 60),
        loginLockout: LockoutPolicy = LockoutPolicy(threshold: 5, windowSeconds: 900, baseLockSeconds: 60,
                                                    maxLockSeconds: 3600),
        accountLockout: LockoutPolicy = LockoutPolicy(threshold: 20, windowSeconds: 3600, baseLockSeconds: 300,
                                                      maxLockSeconds: 3600)
    ) {
        self.enabled = enabled
        self.keyPrefix = keyPrefix
        self.plans = plans
        self.defaultPlan = defaultPlan
        self.authPerAddress = authPerAddress
        self.loginPerAddress = loginPerAddress
        self.loginLockout = loginLockout
        self.accountLockout = accountLockout
    }

    /// The built-in plans.
    public static let defaultPlans: [String: PlanLimits] = [
        "free": PlanLimits(tenant: RateLimit(requests: 20, per: 1), member: RateLimit(requests: 10, per: 1),
                           apiKey: RateLimit(requests: 10, per: 1)),
        "standard": PlanLimits(tenant: RateLimit(requests: 200, per: 1), member: RateLimit(requests: 50, per: 1),
                               apiKey: RateLimit(requests: 100, per: 1)),
        "enterprise": PlanLimits(tenant: RateLimit(requests: 2000, per: 1), member: RateLimit(requests: 200, per: 1),
                                 apiKey: RateLimit(requests: 1000, per: 1)),
    ]

    /// The limits of `plan`, or of the default plan when it has none.
    public func limits(plan: String?) -> PlanLimits {
        plan.flatMap { plans[$0] } ?? plans[defaultPlan] ?? Self.defaultPlans["standard"]!
    }

    /// Reads a rate written as `<requests>/<unit>`, unit `s`, `min` or `h`, for example `100/s` or `30/min`.
    public static func rate(_ text: String) -> RateLimit? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let requests = Int(parts[0].trimmingCharacters(in: .whitespaces)),
            (1...1_000_000).contains(requests)
        else { return nil }
        let period: Int
        switch parts[1].trimmingCharacters(in: .whitespaces) {
        case "s", "sec", "second": period = 1
        case "min", "minute": period = 60
        case "h", "hour": period = 3600
        default: return nil
        }
        return RateLimit(requests: requests, per: period)
    }

    /// Applies overrides from JSON, for example
    /// `{"plans": {"free": {"tenant": "50/s"}}, "loginPerAddress": "10/min", "enabled": true}`. Plans not named
    /// keep their limits; a new plan name needs all three limits.
    /// - Throws: `ConfigurationError` naming the first bad value.
    public func overridden(by json: String) throws -> RateLimitSettings {
        func fail(_ path: String, _ message: String) -> ConfigurationError {
            ConfigurationError(description: "CHORUS_RATE_LIMITS\(path): \(message)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
            throw fail("", "must be a JSON object")
        }
        func rate(_ value: Any?, _ path: String) throws -> RateLimit {
            guard let text = value as? String, let rate = Self.rate(text) else {
                throw fail(path, "must be a rate such as \"100/s\", \"30/min\" or \"1000/h\"")
            }
            return rate
        }
        func lockout(_ value: Any?, _ path: String, _ base: LockoutPolicy) throws -> LockoutPolicy {
            guard let fields = value as? [String: Any] else { throw fail(path, "must be an object") }
            func number(_ key: String, _ current: Int) throws -> Int {
                guard let raw = fields[key] else { return current }
                guard let value = raw as? Int, value > 0 else { throw fail("\(path)/\(key)", "must be a positive integer") }
                return value
            }
            return LockoutPolicy(
                threshold: try number("threshold", base.threshold),
                windowSeconds: try number("windowSeconds", base.windowSeconds),
                baseLockSeconds: try number("baseLockSeconds", base.baseLockSeconds),
                maxLockSeconds: try number("maxLockSeconds", base.maxLockSeconds)
            )
        }
        var settings = self
        for (key, value) in object {
            switch key {
            case "enabled":
                guard let flag = value as? Bool else { throw fail("/enabled", "must be true or false") }
                settings.enabled = flag
            case "keyPrefix":
                guard let prefix = value as? String, !prefix.isEmpty else { throw fail("/keyPrefix", "must be a non-empty string") }
                settings.keyPrefix = prefix
            case "defaultPlan":
                guard let name = value as? String else { throw fail("/defaultPlan", "must be a plan name") }
                settings.defaultPlan = name
            case "authPerAddress": settings.authPerAddress = try rate(value, "/authPerAddress")
            case "loginPerAddress": settings.loginPerAddress = try rate(value, "/loginPerAddress")
            case "loginLockout": settings.loginLockout = try lockout(value, "/loginLockout", settings.loginLockout)
            case "accountLockout": settings.accountLockout = try lockout(value, "/accountLockout", settings.accountLockout)
            case "plans":
                guard let plans = value as? [String: Any] else { throw fail("/plans", "must be an object") }
                for (name, raw) in plans {
                    guard let fields = raw as? [String: Any] else { throw fail("/plans/\(name)", "must be an object") }
                    let current = settings.plans[name]
                    for field in fields.keys where !["tenant", "member", "apiKey"].contains(field) {
                        throw fail("/plans/\(name)/\(field)", "is not a limit; use tenant, member or apiKey")
                    }
                    func limit(_ field: String, _ existing: RateLimit?) throws -> RateLimit {
                        if let value = fields[field] { return try rate(value, "/plans/\(name)/\(field)") }
                        guard let existing else { throw fail("/plans/\(name)/\(field)", "is required for a new plan") }
                        return existing
                    }
                    settings.plans[name] = PlanLimits(
                        tenant: try limit("tenant", current?.tenant),
                        member: try limit("member", current?.member),
                        apiKey: try limit("apiKey", current?.apiKey)
                    )
                }
            default:
                throw fail("/\(key)", "is not a rate-limit setting")
            }
        }
        guard settings.plans[settings.defaultPlan] != nil else {
            throw fail("/defaultPlan", "names no plan")
        }
        return settings
    }
}
