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
