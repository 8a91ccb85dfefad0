public import Foundation

/// Where and how to reach one model: a provider's base URL, credentials and the model or deployment.
public struct ProviderEndpoint: Sendable, Equatable {
    /// The provider's base URL, such as `https://api.openai.com/v1`, `https://api.anthropic.com`,
    /// `https://generativelanguage.googleapis.com`, `https://my-resource.openai.azure.com` or `http://localhost:11434`.
    public var baseURL: String
    /// The API key, if the provider needs one.
    public var apiKey: String?
    /// The model, or for Azure OpenAI the deployment.
    public var model: String
    /// Azure OpenAI's `api-version`; Anthropic's `anthropic-version` header value.
    public var apiVersion: String?
    /// Extra headers, such as `OpenAI-Organization`.
    public var headers: [String: String]

    public init(baseURL: String, apiKey: String? = nil, model: String, apiVersion: String? = nil, headers: [String: String] = [:]) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.apiVersion = apiVersion
        self.headers = headers
    }
}

/// An HTTP request a codec wants sent: the transport is not the codec's business.
public struct ProviderHTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(method: String = "POST", url: String, headers: [(name: String, value: String)], body: Data) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: ProviderHTTPRequest, rhs: ProviderHTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" }
    }
}

/// One provider's wire format: how a normalized request becomes an HTTP request, and how responses, streams and
/// errors become normalized values. Codecs do no I/O, so they are tested byte for byte against documented
/// examples.
public protocol ProviderCodec: Sendable {
    /// The provider's name in routes: `openai`, `anthropic`, `gemini`, `azure-openai`, `openai-compatible`,
    /// `mistral`, `ollama`.
    var name: String { get }

    /// The HTTP request for `request` sent to `endpoint`, streaming or not.
    /// - Throws: ``ModelError`` of kind `invalidRequest` when the request cannot be expressed for this provider, or
    ///   `badCredentials` when the endpoint has no credential and the provider needs one.
    func httpRequest(for request: ModelRequest, endpoint: ProviderEndpoint, stream: Bool) throws(ModelError) -> ProviderHTTPRequest

    /// Reads a complete (non-streaming) response. A status outside 2xx gives the classified error, and so does a 200
    /// that carries an error object, or a safety block with no answer at all (Gemini's `promptFeedback.blockReason`),
    /// which is a `contentPolicy` error. An answer a filter cut short, or withheld while finishing normally, is a
    /// response whose finish reason is `contentFilter`.
    func response(status: Int, headers: [(name: String, value: String)], body: Data) -> Result<ModelResponse, ModelError>

    /// A decoder for the body of a streaming response with a 2xx status. (For other statuses, read the whole body
    /// with ``response(status:headers:body:)`` to get the error.)
    func streamDecoder() -> any ModelStreamDecoder
}

/// Turns a streaming body into events, chunk by chunk, in whatever pieces the network delivers.
public protocol ModelStreamDecoder: Sendable {
    /// Feeds the next bytes; returns the events they complete.
    mutating func feed(_ bytes: some Collection<UInt8>) -> [ModelStreamEvent]
    /// The body ended; returns the last events, with a `failure` if the stream was cut short.
    mutating func finish() -> [ModelStreamEvent]
}
