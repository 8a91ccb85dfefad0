/// A monthly spending limit for a tenant or a route, in micro-dollars.
public struct Budget: Sendable, Equatable, Codable {
    /// What happens at the hard limit.
    public enum HardAction: String, Sendable, Equatable, Codable {
        /// Refuse the call with a clear error (`quota_exhausted`).
        case reject
        /// Answer through the route's cheaper fallback chain instead.
        case downgrade
    }

    /// Spending at which an event says the budget is nearly used (`budget.soft_limit_reached`); `nil` for none.
    public var soft: Int64?
    /// Spending at which calls are refused or downgraded; `nil` for none.
    public var hard: Int64?
    public var hardAction: HardAction

    public init(soft: Int64? = nil, hard: Int64? = nil, hardAction: HardAction = .reject) {
        self.soft = soft
        self.hard = hard
        self.hardAction = hardAction
    }

    /// What the budget says about a call, given this month's spending so far and what the call is estimated to add.
    public func decision(spent: Int64, estimate: Int64 = 0) -> BudgetDecision {
        if let hard, spent + max(0, estimate) > hard || spent >= hard {
            return hardAction == .reject ? .reject : .downgrade
        }
        if let soft, spent >= soft { return .allowSoftLimitReached }
        return .allow
    }

    /// Whether the soft limit is crossed by a call costing `cost` after `spentBefore`: the moment to emit the event,
    /// once per month.
    public func crossesSoftLimit(spentBefore: Int64, cost: Int64) -> Bool {
        Self.crosses(soft, spentBefore: spentBefore, cost: cost)
    }

    /// Whether the hard limit is crossed by a call costing `cost` after `spentBefore`, once per month as well.
    public func crossesHardLimit(spentBefore: Int64, cost: Int64) -> Bool {
        Self.crosses(hard, spentBefore: spentBefore, cost: cost)
    }

    private static func crosses(_ limit: Int64?, spentBefore: Int64, cost: Int64) -> Bool {
        guard let limit else { return false }
        return spentBefore < limit && spentBefore + cost >= limit
    }
}

/// What a budget allows.
public enum BudgetDecision: String, Sendable, Equatable {
    case allow
    /// Allowed; the soft limit has been reached.
    case allowSoftLimitReached = "allow_soft_limit_reached"
    /// Refused: the hard limit is reached.
    case reject
    /// Allowed only through the cheaper fallback.
    case downgrade

    /// The stricter of two decisions (a tenant budget and a route budget both apply).
    public func combined(with other: BudgetDecision) -> BudgetDecision {
        let order: [BudgetDecision] = [.allow, .allowSoftLimitReached, .downgrade, .reject]
        return order.firstIndex(of: self)! >= order.firstIndex(of: other)! ? self : other
    }

    /// The error a rejected call gets.
    public static func rejection(budget: String, spent: Int64, hard: Int64) -> ModelError {
        ModelError(
            .quotaExhausted,
            message: "The \(budget) monthly budget is used up: \(Self.dollars(spent)) spent of \(Self.dollars(hard)). Raise the budget or wait for next month."
        )
    }

    /// Micro-dollars as `$12.345678`.
    static func dollars(_ micro: Int64) -> String {
        let sign = micro < 0 ? "-" : ""
        let magnitude = micro.magnitude
        let cents = String(magnitude % 1_000_000)
        return "\(sign)$\(magnitude / 1_000_000).\(String(repeating: "0", count: 6 - cents.count))\(cents)"
    }
}
