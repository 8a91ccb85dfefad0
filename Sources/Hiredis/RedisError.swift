/// An error talking to Redis. `code` is stable; `message` is for logs.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// Stable error kinds.
    public enum Code: String, Sendable {
        /// The URL could not be parsed.
        case invalidURL
        /// No connection could be made, or it broke during a command.
        case connection
        /// Redis answered with an error reply.
        case reply
        /// The client has been shut down.
        case shutdown
    }

    /// The kind of error.
    public var code: Code
    /// What hiredis or Redis said.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "redis \(code.rawValue): \(message)" }

    /// Whether the peer had closed the connection before the command was sent (as opposed to a timeout, after
    /// which Redis may have run it).
    var isClosedByPeer: Bool {
        code == .connection
            && (message.contains("Server closed the connection") || message.contains("Connection reset by peer")
                || message.contains("Broken pipe"))
    }
}
