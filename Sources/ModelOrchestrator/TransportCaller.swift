/// Calls route targets over the network with their provider's codec, and the `local` provider in process.
public struct TransportCaller: ModelCaller {
    private let transport: ModelTransport
    private let endpoints: @Sendable (RouteTarget) -> ProviderEndpoint?
    private let fallbackText: String?

    /// Creates a caller.
    /// - Parameters:
    ///   - endpoints: where each target is and its credentials (decrypted by the caller of this initializer);
    ///     `nil` for a target with none configured, which then fails as `badCredentials`.
    ///   - fallbackText: what the `local` provider says.
    public init(transport: ModelTransport, fallbackText: String? = nil, endpoints: @escaping @Sendable (RouteTarget) -> ProviderEndpoint?) {
        self.transport = transport
        self.endpoints = endpoints
        self.fallbackText = fallbackText
    }

    public func complete(_ request: ModelRequest, target: RouteTarget) async -> Result<ModelResponse, ModelError> {
        if target.provider == LocalModel.name { return .success(LocalModel(fallbackText: fallbackText).respond(to: request)) }
        guard let codec = ProviderCodecs.codec(named: target.provider) else {
            return .failure(ModelError(.invalidRequest, message: "No provider is called `\(target.provider)`."))
        }
        guard var endpoint = endpoints(target) else {
            return .failure(ModelError(.badCredentials, message: "The target `\(target.id)` has no endpoint or credentials configured."))
        }
        endpoint.model = target.model
        return await transport.complete(target.applyingDefaults(to: request), codec: codec, endpoint: endpoint, timeouts: target.timeouts)
    }

    public func stream(_ request: ModelRequest, target: RouteTarget) -> AsyncStream<ModelStreamEvent> {
        if target.provider == LocalModel.name {
            let answer = LocalModel(fallbackText: fallbackText).respond(to: request)
            return AsyncStream { continuation in
                continuation.yield(.text(answer.text))
                continuation.yield(.usage(answer.usage))
                continuation.yield(.finish(answer.finishReason))
                continuation.finish()
            }
        }
        guard let codec = ProviderCodecs.codec(named: target.provider), var endpoint = endpoints(target) else {
            let error = ProviderCodecs.codec(named: target.provider) == nil
                ? ModelError(.invalidRequest, message: "No provider is called `\(target.provider)`.")
                : ModelError(.badCredentials, message: "The target `\(target.id)` has no endpoint or credentials configured.")
            return AsyncStream { continuation in
                continuation.yield(.failure(error))
                continuation.finish()
            }
        }
        endpoint.model = target.model
        return transport.stream(target.applyingDefaults(to: request), codec: codec, endpoint: endpoint, timeouts: target.timeouts)
    }
}

/// The codecs by the provider names routes use.
public enum ProviderCodecs {
    /// Every provider name, `local` included.
    public static let names = ["openai", "azure-openai", "openai-compatible", "mistral", "anthropic", "gemini", "ollama", LocalModel.name]

    /// The codec for `name`, or `nil` (also for `local`, which needs none).
    public static func codec(named name: String) -> (any ProviderCodec)? {
        switch name {
        case "openai": OpenAIChatCodec.openAI
        case "azure-openai": OpenAIChatCodec.azureOpenAI
        case "openai-compatible": OpenAIChatCodec.openAICompatible
        case "mistral": OpenAIChatCodec.mistral
        case "anthropic": AnthropicCodec()
        case "gemini": GeminiCodec()
        case "ollama": OllamaCodec()
        default: nil
        }
    }
}
