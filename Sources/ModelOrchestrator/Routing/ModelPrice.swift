/// What a model costs, in micro-dollars (millionths of a US dollar) per million tokens, so that costs add up
/// exactly in integers.
public struct ModelPrice: Sendable, Equatable, Hashable, Codable {
    /// Per million input tokens not read from a cache.
    public var input: Int64
    /// Per million output tokens (reasoning included).
    public var output: Int64
    /// Per million input tokens read from the provider's prompt cache; `nil` charges them as `input`.
    public var cachedInput: Int64?

    public init(input: Int64, output: Int64, cachedInput: Int64? = nil) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
    }

    /// The cost of `usage` in micro-dollars, rounded half up once over the whole call.
    public func cost(of usage: ModelUsage) -> Int64 {
        let cached = Int128(max(0, min(usage.cachedInputTokens, usage.inputTokens)))
        let fresh = Int128(max(0, usage.inputTokens)) - cached
        let output = Int128(max(0, usage.outputTokens))
        // Millionths of a micro-dollar, summed before the one rounding; 128 bits cannot overflow here.
        let total = fresh * Int128(input) + cached * Int128(cachedInput ?? input) + output * Int128(self.output)
        return Int64(clamping: (total + 500_000) / 1_000_000)
    }

    /// An estimate for ordering targets by cost before a call: `inputTokens` in and `outputTokens` out.
    public func estimate(inputTokens: Int, outputTokens: Int) -> Int64 {
        cost(of: ModelUsage(inputTokens: inputTokens, outputTokens: outputTokens))
    }
}

/// Prices by provider kind and model: the built-in list prices, overridden by the tenant's own.
public struct PriceTable: Sendable, Equatable {
    /// Prices by `kind/model`.
    public var prices: [String: ModelPrice]

    public init(prices: [String: ModelPrice] = [:]) {
        self.prices = prices
    }

    /// The key of a provider kind and model.
    public static func key(provider: String, model: String) -> String { "\(provider)/\(model)" }

    /// The price of `model` at `provider`, if known.
    public func price(provider: String, model: String) -> ModelPrice? {
        prices[Self.key(provider: provider, model: model)]
    }

    /// This table with `overrides` put over it.
    public func overridden(by overrides: [String: ModelPrice]) -> PriceTable {
        PriceTable(prices: prices.merging(overrides) { _, tenant in tenant })
    }

    /// List prices of common models in US dollars per million tokens (input, output, cached input), as published by
    /// the providers in 2025; tenants override them for their own contracts. Azure OpenAI deployments are named by
    /// the tenant, so they have no built-in price.
    public static let builtIn: PriceTable = {
        let dollars: [(String, String, Double, Double, Double?)] = [
            ("openai", "gpt-4o", 2.50, 10.00, 1.25),
            ("openai", "gpt-4o-mini", 0.15, 0.60, 0.075),
            ("openai", "gpt-4.1", 2.00, 8.00, 0.50),
            ("openai", "gpt-4.1-mini", 0.40, 1.60, 0.10),
            ("openai", "gpt-4.1-nano", 0.10, 0.40, 0.025),
            ("openai", "o4-mini", 1.10, 4.40, 0.275),
            ("anthropic", "claude-sonnet-4-20250514", 3.00, 15.00, 0.30),
            ("anthropic", "claude-3-5-haiku-latest", 0.80, 4.00, 0.08),
            ("anthropic", "claude-opus-4-20250514", 15.00, 75.00, 1.50),
            ("gemini", "gemini-2.5-pro", 1.25, 10.00, 0.31),
            ("gemini", "gemini-2.5-flash", 0.30, 2.50, 0.075),
            ("gemini", "gemini-2.0-flash", 0.10, 0.40, 0.025),
            ("mistral", "mistral-large-latest", 2.00, 6.00, nil),
            ("mistral", "mistral-small-latest", 0.10, 0.30, nil),
        ]
        var prices: [String: ModelPrice] = [:]
        for (provider, model, input, output, cached) in dollars {
            prices[key(provider: provider, model: model)] = ModelPrice(
                input: Int64((input * 1_000_000).rounded()),
                output: Int64((output * 1_000_000).rounded()),
                cachedInput: cached.map { Int64(($0 * 1_000_000).rounded()) }
            )
        }
        return PriceTable(prices: prices)
    }()
}
