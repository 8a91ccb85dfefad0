import NIOPosix
import NIOConcurrencyHelpers

/// A small Redis client over hiredis.
///
/// hiredis's synchronous API blocks, so every command runs on the client's own thread pool and never on an
/// event loop. Connections are pooled; each is used by one command at a time.
public final class RedisClient: Sendable {
    private let configuration: RedisConfiguration
    private let threadPool: NIOThreadPool
    private let idle: NIOLockedValueBox<[RedisConnection]>
    private let closed = NIOLockedValueBox(false)

    /// Creates a client. Connections are opened lazily by the first commands.
    public init(configuration: RedisConfiguration) {
        self.configuration = configuration
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, configuration.maxConnections))
        self.threadPool.start()
        self.idle = NIOLockedValueBox([])
    }

    /// Sends one command, for example `["SET", "k", "v"]`, and returns Redis's reply.
    /// - Throws: `RedisError` when no connection can be made or it breaks; an error reply is returned, not thrown.
    public func send(_ arguments: [String]) async throws -> RedisValue {
        try await send(bytes: arguments.map { Array($0.utf8) })
    }

    /// Sends one command with binary arguments.
    public func send(bytes arguments: [[UInt8]]) async throws -> RedisValue {
        do {
            return try await threadPool.runIfActive { [configuration, idle, closed] in
                var connection = try idle.withLockedValue { $0.popLast() } ?? RedisConnection(configuration: configuration)
                let reply: RedisValue
                do {
                    reply = try connection.command(arguments)
                } catch let error as RedisError where connection.wasIdle && error.isClosedByPeer {
                    // Redis closed this connection while it sat idle (a restart, `timeout`): the command never
                    // reached it, so sending it once more on a fresh connection cannot apply it twice.
                    connection = try RedisConnection(configuration: configuration)
                    reply = try connection.command(arguments)
                }
                // A connection that threw is broken and is dropped; the next command opens a fresh one.
                connection.wasIdle = true
                let keep = !closed.withLockedValue { $0 }
                idle.withLockedValue { if keep && $0.count < configuration.maxConnections { $0.append(connection) } }
                return reply
            }
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError(.shutdown, "\(error)")
        }
    }

    /// `PING`, for readiness checks.
    /// - Returns: whether Redis answered `PONG`.
    public func ping() async -> Bool {
        (try? await send(["PING"])) == .status("PONG")
    }

    /// Closes every connection and stops the thread pool.
    public func shutdown() async throws {
        closed.withLockedValue { $0 = true }
        idle.withLockedValue { $0.removeAll() }
        try await threadPool.shutdownGracefully()
    }
}
