public import ModelOrchestrator

/// The providers the simulator plays, each with the codec that talks to it and an endpoint on a simulator.
public enum SimulatedProvider: String, CaseIterable, Sendable {
    case openAI = "openai"
    case azureOpenAI = "azure-openai"
    case openAICompatible = "openai-compatible"
    case mistral
    case anthropic
    case gemini
    case ollama

    /// The codec for this provider.
    public var codec: any ProviderCodec {
        switch self {
        case .openAI: OpenAIChatCodec.openAI
        case .azureOpenAI: OpenAIChatCodec.azureOpenAI
        case .openAICompatible: OpenAIChatCodec.openAICompatible
        case .mistral: OpenAIChatCodec.mistral
        case .anthropic: AnthropicCodec()
        case .gemini: GeminiCodec()
        case .ollama: OllamaCodec()
        }
    }

    /// The model (for Azure OpenAI, the deployment) the endpoints name.
    public var model: String {
        switch self {
        case .openAI: "gpt-4o-mini"
        case .azureOpenAI: "gpt-4o-chorus"
        case .openAICompatible: "llama-3.1-8b-instruct"
        case .mistral: "mistral-small-latest"
        case .anthropic: "claude-sonnet-4-5"
        case .gemini: "gemini-2.5-flash"
        case .ollama: "llama3.2"
        }
    }

    /// An endpoint for this provider on `simulator`, with a key where the provider takes one.
    public func endpoint(on simulator: ProviderSimulator) -> ProviderEndpoint {
        switch self {
        case .openAI:
            ProviderEndpoint(baseURL: simulator.baseURL + "/v1", apiKey: "sk-simulator", model: model)
        case .azureOpenAI:
            ProviderEndpoint(
                baseURL: simulator.baseURL, apiKey: "azure-simulator", model: model, apiVersion: "2024-10-21")
        case .openAICompatible:
            ProviderEndpoint(baseURL: simulator.baseURL + "/v1", model: model)
        case .mistral:
            ProviderEndpoint(baseURL: simulator.baseURL + "/v1", apiKey: "mistral-simulator", model: model)
        case .anthropic:
            ProviderEndpoint(baseURL: simulator.baseURL, apiKey: "sk-ant-simulator", model: model)
        case .gemini:
            ProviderEndpoint(baseURL: simulator.baseURL, apiKey: "gemini-simulator", model: model)
        case .ollama:
            ProviderEndpoint(baseURL: simulator.baseURL, model: model)
        }
    }
}
