import ChorusCore
public import Foundation

/// An error as the OpenAI-compatible endpoint answers it: an HTTP status and OpenAI's error object,
/// `{"error": {"message", "type", "param", "code"}}`, which the official SDKs turn into their typed exceptions.
///
/// A ``ModelError`` is what is left after the router has tried every target it may, so the mapping speaks of the
/// gateway and its upstream providers, not of the caller's own credentials or limits:
///
/// | Kind | Status | `type` | `code` |
/// |---|---|---|---|
/// | `retryable`, upstream 408 or 504 | 504 | `server_error` | `upstream_timeout` |
/// | `retryable`, upstream 429, 503 or 529 | 503 | `server_error` | `upstream_overloaded` |
/// | `retryable`, anything else (no answer, 5xx) | 502 | `server_error` | `upstream_error` |
/// | `contextWindowExceeded` | 400 | `invalid_request_error` | `context_length_exceeded` |
/// | `contentPolicy` | 400 | `invalid_request_error` | `content_policy_violation` |
/// | `badCredentials` | 502 | `server_error` | `upstream_credentials_rejected` |
/// | `unknownModel` | 404 | `invalid_request_error` | `model_not_found` |
/// | `quotaExhausted` | 429 | `insufficient_quota` | `insufficient_quota` |
/// | `invalidRequest` | 400 | `invalid_request_error` | `invalid_request` |
/// | `malformedResponse` | 502 | `server_error` | `upstream_malformed_response` |
///
/// Credentials the provider refused are the gateway's, not the caller's, hence 502 rather than 401: a 401 would tell
/// the caller to fix a key that is fine. A retryable failure never becomes 429, which SDKs read as the caller's own
/// rate limit; whether the caller is over its limits is the route's decision, made before any model is called.
/// Every status chosen for a retryable failure is one the SDKs retry on their own.
public struct GatewayError: Error, Sendable, Equatable {
    /// The HTTP status to answer with.
    public var status: Int
    /// What went wrong, in plain English.
    public var message: String
    /// OpenAI's error `type`, such as `invalid_request_error` or `server_error`.
    public var type: String
    /// The top-level request member at fault, such as `messages`, when there is one.
    public var param: String?
    /// A stable machine-readable code, such as `model_not_found`.
    public var code: String?
    /// Seconds after which a retry may succeed, for a `Retry-After` header; only for retryable failures whose
    /// provider said when.
    public var retryAfter: Double?

    /// Creates an error from its parts.
    public init(
        status: Int,
        message: String,
        type: String,
        param: String? = nil,
        code: String? = nil,
        retryAfter: Double? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfter = retryAfter
    }

    /// The answer to a failed model call, mapped by kind as the table above says.
    ///
    /// The provider's message is passed on, except for refused credentials: a provider may quote part of the key in
    /// it, and the key is the gateway's secret.
    public init(_ error: ModelError) {
        let status = Self.status(for: error)
        switch error.kind {
        case .retryable:
            let code =
                switch status {
                case 504: "upstream_timeout"
                case 503: "upstream_overloaded"
                default: "upstream_error"
                }
            self.init(
                status: status,
                message: error.message,
                type: "server_error",
                code: code,
                retryAfter: error.retryAfter
            )
        case .contextWindowExceeded:
            self.init(
                status: status,
                message: error.message,
                type: "invalid_request_error",
                param: "messages",
                code: "context_length_exceeded"
            )
        case .contentPolicy:
            self.init(
                status: status,
                message: error.message,
                type: "invalid_request_error",
                code: "content_policy_violation"
            )
        case .badCredentials:
            self.init(
                status: status,
                message: "The model provider did not accept the gateway's credentials; the operator has to fix them.",
                type: "server_error",
                code: "upstream_credentials_rejected"
            )
        case .unknownModel:
            self.init(
                status: status,
                message: error.message,
                type: "invalid_request_error",
                param: "model",
                code: "model_not_found"
            )
        case .quotaExhausted:
            self.init(status: status, message: error.message, type: "insufficient_quota", code: "insufficient_quota")
        case .invalidRequest:
            self.init(status: status, message: error.message, type: "invalid_request_error", code: "invalid_request")
        case .malformedResponse:
            self.init(
                status: status,
                message: error.message,
                type: "server_error",
                code: "upstream_malformed_response"
            )
        }
        if self.message.isEmpty { self.message = "The model call failed (\(error.kind.rawValue))." }
    }

    /// The answer to a request body that could not be used: status 400, with every problem in the message and the
    /// first problem's top-level member as `param`. The code is the one OpenAI uses for the first problem's kind:
    /// `missing_required_parameter`, `invalid_type`, `unknown_parameter`, `unsupported_value`, `invalid_value`, or
    /// none for a body that is not JSON.
    public init(_ error: GatewayRequestError) {
        let code: String? =
            switch error.errors.first?.code {
            case .syntax?, nil: nil
            case .required?: "missing_required_parameter"
            case .type?: "invalid_type"
            case .unknown?: "unknown_parameter"
            case .unsupported?: "unsupported_value"
            case .empty?, .range?, .invalid?: "invalid_value"
            }
        self.init(
            status: 400,
            message: error.errors.isEmpty ? "The request is not valid." : error.description,
            type: "invalid_request_error",
            param: error.param,
            code: code
        )
    }

    /// The HTTP status for a failed model call, as the table in the type's documentation says.
    public static func status(for error: ModelError) -> Int {
        switch error.kind {
        case .retryable:
            switch error.status {
            case 408?, 504?: 504
            case 429?, 503?, 529?: 503
            default: 502
            }
        case .contextWindowExceeded, .contentPolicy, .invalidRequest: 400
        case .badCredentials, .malformedResponse: 502
        case .unknownModel: 404
        case .quotaExhausted: 429
        }
    }

    /// The error object, `{"error": {"message", "type", "param", "code"}}`, as a JSON body.
    public var body: Data { GatewayEncoding.data(object) }

    /// The error as one server-sent event, `data: {"error": {…}}` and a blank line, for a stream that fails after it
    /// began: the official clients raise an API error on a chunk with an `error` member, so a failed answer never
    /// passes for a complete one.
    public var streamFrame: String { GatewayEncoding.frame(object) }

    private var object: JSONValue {
        .object([
            "error": .object([
                "message": .string(message),
                "type": .string(type),
                "param": param.map(JSONValue.string) ?? .null,
                "code": code.map(JSONValue.string) ?? .null,
            ])
        ])
    }
}
