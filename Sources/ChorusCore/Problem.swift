import Foundation

/// An API error as RFC 9457 problem details: a stable `type`, a human `detail`, and, for validation errors,
/// one entry per offending field with its JSON pointer.
///
/// Every error that reaches a client is turned into a `Problem`, so its shape never depends on where it came from.
public struct Problem: Error, Sendable, Equatable, Codable {
    /// One offending field of a validation error.
    public struct FieldError: Sendable, Equatable, Codable {
        /// JSON pointer (RFC 6901) of the field in the request body, for example `/owner/email`.
        public var pointer: String
        /// What is wrong, in plain language.
        public var detail: String
        /// A stable machine-readable reason, for example `required` or `too_long`.
        public var code: String

        /// Creates a field error.
        public init(pointer: String, detail: String, code: String) {
            self.pointer = pointer
            self.detail = detail
            self.code = code
        }
    }

    /// A stable URI naming the kind of problem.
    public var type: String
    /// A short summary of the kind of problem; the same for every occurrence of `type`.
    public var title: String
    /// The HTTP status code.
    public var status: Int
    /// What happened this time.
    public var detail: String
    /// The request id the error belongs to, when known.
    public var requestId: String?
    /// The offending fields of a validation error.
    public var errors: [FieldError]?
    /// Seconds after which a retry may succeed (rate limits, unavailable dependencies).
    public var retryAfter: Int?

    /// Creates a problem of a stable kind.
    /// - Parameters:
    ///   - code: the last segment of the `type` URI, for example `not-found`.
    ///   - title: the summary of the kind.
    ///   - status: the HTTP status code.
    ///   - detail: what happened this time.
    ///   - errors: offending fields, for validation errors.
    public init(code: String, title: String, status: Int, detail: String, errors: [FieldError]? = nil) {
        self.type = Problem.typePrefix + code
        self.title = title
        self.status = status
        self.detail = detail
        self.errors = errors
    }

    /// The prefix of every problem `type`.
    public static let typePrefix = "urn:chorus:problem:"

    /// The last segment of `type`.
    public var code: String {
        type.hasPrefix(Problem.typePrefix) ? String(type.dropFirst(Problem.typePrefix.count)) : type
    }
}

extension Problem {
    /// The request body or query failed validation; `errors` lists every offending field.
    public static func validation(_ errors: [FieldError]) -> Problem {
        let fields = errors.map(\.pointer).joined(separator: ", ")
        return Problem(
            code: "validation",
            title: "The request is not valid",
            status: 422,
            detail: errors.count == 1 ? errors[0].detail : "\(errors.count) fields are not valid: \(fields)",
            errors: errors
        )
    }

    /// The body is not JSON, or not the JSON shape the route accepts.
    public static func malformedBody(_ detail: String) -> Problem {
        Problem(code: "malformed-body", title: "The request body could not be read", status: 400, detail: detail)
    }

    /// No credential, or one that is not valid.
    public static func unauthenticated(_ detail: String = "A valid access token or API key is required.") -> Problem {
        Problem(code: "unauthenticated", title: "Authentication is required", status: 401, detail: detail)
    }

    /// The credential is valid but lacks the permission the route needs.
    public static func forbidden(_ detail: String) -> Problem {
        Problem(code: "forbidden", title: "Permission denied", status: 403, detail: detail)
    }

    /// The resource does not exist, or is not visible to the caller.
    public static func notFound(_ detail: String) -> Problem {
        Problem(code: "not-found", title: "Not found", status: 404, detail: detail)
    }

    /// The request conflicts with the current state of a resource.
    public static func conflict(code: String = "conflict", _ detail: String) -> Problem {
        Problem(code: code, title: "Conflict", status: 409, detail: detail)
    }

    /// A precondition of the request (`If-Match`) does not hold: the resource changed since the client read it.
    public static func preconditionFailed(_ detail: String) -> Problem {
        Problem(code: "precondition-failed", title: "Precondition failed", status: 412, detail: detail)
    }

    /// The body is larger than the server accepts.
    public static func payloadTooLarge(limit: Int) -> Problem {
        Problem(
            code: "payload-too-large",
            title: "The request body is too large",
            status: 413,
            detail: "The request body exceeds the limit of \(limit) bytes."
        )
    }

    /// A dependency (database, Redis) is not available; retrying later may succeed.
    public static func unavailable(_ detail: String, retryAfter: Int = 5) -> Problem {
        var problem = Problem(code: "unavailable", title: "Service unavailable", status: 503, detail: detail)
        problem.retryAfter = retryAfter
        return problem
    }

    /// Something unexpected failed on the server. The detail never carries internals.
    public static func `internal`() -> Problem {
        Problem(
            code: "internal",
            title: "Internal error",
            status: 500,
            detail: "The server failed to handle the request. Quote the request id when reporting it."
        )
    }
}
