/// A tenant's route: the targets that can answer, how to pick among them, and where to go when they fail.
public struct ModelRoute: Sendable, Equatable {
    /// The route's name, as flows name it (`support-default`).
    public var name: String
    /// The targets of the general chain, in priority order.
    public var targets: [RouteTarget]
    /// How the general chain is ordered for each call.
    public var policy: SelectionPolicy
    /// Targets tried when a prompt is too long for the target that got it (larger context windows).
    public var contextWindowChain: [RouteTarget]
    /// Targets tried when a content policy blocked the prompt or the answer.
    public var contentPolicyChain: [RouteTarget]
    /// Tries per target for retryable failures, with backoff.
    public var retry: RouteRetry
    /// Checks on answers that arrived well.
    public var quality: QualityChecks
    /// Whether and how long answers are cached; `nil` caches nothing.
    public var cache: CacheSettings?
    /// What answers when every target has failed or is open: the built-in `local` provider's fallback text.
    public var lastResort: String?
    /// The cheaper targets a budget's hard limit switches the route to (`downgrade`); empty leaves only the last
    /// resort.
    public var downgradeChain: [RouteTarget] = []

    public init(
        name: String,
        targets: [RouteTarget],
        policy: SelectionPolicy = .priority,
        contextWindowChain: [RouteTarget] = [],
        contentPolicyChain: [RouteTarget] = [],
        retry: RouteRetry = RouteRetry(),
        quality: QualityChecks = QualityChecks(),
        cache: CacheSettings? = nil,
        lastResort: String? = nil
    ) {
        self.name = name
        self.targets = targets
        self.policy = policy
        self.contextWindowChain = contextWindowChain
        self.contentPolicyChain = contentPolicyChain
        self.retry = retry
        self.quality = quality
        self.cache = cache
        self.lastResort = lastResort
    }
}

/// One provider model a route can call.
public struct RouteTarget: Sendable, Equatable, Hashable {
    /// Unique within the tenant, such as `openai-gpt-4o-mini`; breakers and latency statistics are kept by it.
    public var id: String
    /// The codec name: `openai`, `anthropic`, `gemini`, `azure-openai`, `openai-compatible`, `mistral`, `ollama`,
    /// `local`.
    public var provider: String
    /// The model or deployment.
    public var model: String
    /// Relative weight for the `weighted` policy.
    public var weight: Int
    /// Price per million tokens, for the `lowestCost` policy and cost records.
    public var price: ModelPrice?
    /// Connect, first-token and total timeouts for calls to this target.
    public var timeouts: ModelTimeouts
    /// The tenant's provider account that calls it (its URL, key and limits); `nil` for `local`.
    public var account: String?
    /// The temperature used when a request sets none.
    public var temperature: Double?
    /// The token limit used when a request sets none.
    public var maxTokens: Int?

    public init(id: String, provider: String, model: String, weight: Int = 1, price: ModelPrice? = nil, timeouts: ModelTimeouts = ModelTimeouts(), account: String? = nil, temperature: Double? = nil, maxTokens: Int? = nil) {
        self.id = id
        self.provider = provider
        self.model = model
        self.weight = weight
        self.price = price
        self.timeouts = timeouts
        self.account = account
        self.temperature = temperature
        self.maxTokens = maxTokens
    }

    /// `request` with this target's defaults filled in where it sets none.
    public func applyingDefaults(to request: ModelRequest) -> ModelRequest {
        guard (request.temperature == nil && temperature != nil) || (request.maxTokens == nil && maxTokens != nil) else { return request }
        var request = request
        if request.temperature == nil { request.temperature = temperature }
        if request.maxTokens == nil { request.maxTokens = maxTokens }
        return request
    }
}

/// How a route orders its general chain for a call.
public enum SelectionPolicy: Sendable, Equatable {
    /// As listed.
    case priority
    /// At random by weight; the rest follow in priority order.
    case weighted
    /// Cheapest first for the call's estimated tokens; unpriced targets last.
    case lowestCost
    /// Fastest observed median first, with a share of calls (`exploration`, 0 to 1) sent to a random other target so
    /// that estimates stay fresh; targets with no observations count as fastest, so each gets measured.
    case lowestLatency(exploration: Double)
    /// The tenant's own order, by target id; targets it does not name follow in priority order.
    case preference([String])
}

/// Retries of retryable failures on one target.
public struct RouteRetry: Sendable, Equatable {
    /// Tries per target, the first included.
    public var attemptsPerTarget: Int
    /// The first backoff.
    public var baseDelay: Double
    /// The longest backoff, and the longest `retry-after` honoured; a longer `retry-after` moves on to the next
    /// target instead of waiting.
    public var maxDelay: Double

    public init(attemptsPerTarget: Int = 2, baseDelay: Double = 0.25, maxDelay: Double = 5) {
        self.attemptsPerTarget = attemptsPerTarget
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before try `attempt + 1` (attempt counts from 1) after `error`: its `retry-after` when it gave one
    /// (`nil` when that is longer than `maxDelay`), else exponential backoff with full jitter.
    public func delay(after attempt: Int, error: ModelError, random: inout some RandomNumberGenerator) -> Double? {
        if let retryAfter = error.retryAfter { return retryAfter <= maxDelay ? retryAfter : nil }
        let ceiling = min(maxDelay, baseDelay * Double(1 << min(max(attempt - 1, 0), 20)))
        return ceiling > 0 ? Double.random(in: 0...ceiling, using: &random) : 0
    }
}
