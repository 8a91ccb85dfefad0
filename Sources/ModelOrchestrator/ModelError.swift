import Foundation

/// A failed model call, classified the same way for every provider so that routing can decide what to do.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: String, Sendable, Equatable, Codable {
        /// Worth retrying or trying the next target: connection errors, timeouts, 408, 429 rate limits, 5xx,
        /// Anthropic's 529 `overloaded_error`.
        case retryable
        /// The prompt is longer than the model's context window: try the context-window fallback chain.
        case contextWindowExceeded = "context_window_exceeded"
        /// A content policy blocked the prompt or the answer (including safety blocks that arrive with status 200):
        /// try the content-policy chain.
        case contentPolicy = "content_policy"
        /// The credentials are wrong or lack permission: take the target out of rotation, do not retry.
        case badCredentials = "bad_credentials"
        /// The model or deployment does not exist: take the target out of rotation, do not retry.
        case unknownModel = "unknown_model"
        /// The account's quota or spend is exhausted: do not retry this provider.
        case quotaExhausted = "quota_exhausted"
        /// The request itself is wrong for this provider: do not retry it here.
        case invalidRequest = "invalid_request"
        /// The answer did not arrive or could not be read (bad JSON, a stream cut short).
        case malformedResponse = "malformed_response"
    }

    public var kind: Kind
    /// The HTTP status, when there was a response.
    public var status: Int?
    /// Seconds to wait before retrying, from `retry-after` (or `retry-after-ms`) when the provider sent it.
    public var retryAfter: Double?
    /// The provider's own error code or type, such as `rate_limit_exceeded` or `overloaded_error`.
    public var providerCode: String?
    /// The provider's message.
    public var message: String

    public init(_ kind: Kind, status: Int? = nil, retryAfter: Double? = nil, providerCode: String? = nil, message: String) {
        self.kind = kind
        self.status = status
        self.retryAfter = retryAfter
        self.providerCode = providerCode
        self.message = message
    }

    /// Whether trying again, here or on another target, may succeed.
    public var isRetryable: Bool { kind == .retryable || kind == .malformedResponse }

    /// Whether the target should leave rotation until its configuration changes.
    public var disablesTarget: Bool { kind == .badCredentials || kind == .unknownModel }

    public var description: String {
        "\(kind.rawValue)\(status.map { " (HTTP \($0))" } ?? "")\(providerCode.map { " [\($0)]" } ?? ""): \(message)"
    }

    /// The classification every codec starts from, by status alone; codecs refine it from the body.
    public static func byStatus(_ status: Int, retryAfter: Double?, providerCode: String?, message: String) -> ModelError {
        let kind: Kind
        switch status {
        case 401, 403: kind = .badCredentials
        case 404: kind = .unknownModel
        case 408, 409, 425, 429, 500...599: kind = .retryable
        case 413: kind = .contextWindowExceeded
        default: kind = .invalidRequest
        }
        return ModelError(kind, status: status, retryAfter: retryAfter, providerCode: providerCode, message: message)
    }

    /// Reads `retry-after-ms`, then `retry-after` (seconds or an HTTP date is not worth the parse: seconds only).
    public static func retryAfter(_ headers: [(name: String, value: String)]) -> Double? {
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
        if let milliseconds = header("retry-after-ms").flatMap(Double.init), milliseconds >= 0 { return milliseconds / 1000 }
        if let seconds = header("retry-after").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }), seconds >= 0 { return seconds }
        return nil
    }
}
