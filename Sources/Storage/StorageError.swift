/// An error from the storage layer with a stable code. Messages are for logs, never for API clients.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// Stable error kinds.
    public enum Code: String, Sendable {
        /// The configuration (a URL, a role) is not usable.
        case configuration
        /// The tenant of a scoped transaction does not exist.
        case tenantNotFound
        /// A unique constraint rejected the write.
        case uniqueViolation
        /// A migration failed, or an applied migration file changed.
        case migration
        /// The database could not be reached.
        case unavailable
    }

    /// The kind of error.
    public var code: Code
    /// What went wrong, for logs.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "storage \(code.rawValue): \(message)" }
}
