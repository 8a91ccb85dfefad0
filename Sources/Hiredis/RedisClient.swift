import Foundation
import Synchronization

/// A small Redis client over hiredis.
///
/// hiredis's synchronous API blocks, so commands never run on an event loop: callers queue them, and one thread
/// of the client's own sends whatever is queued as a pipeline on one connection (one write for the batch, the
/// replies read as they arrive) and resumes each caller with its reply. Under load the batches grow by
/// themselves, which saves a round trip, a thread wake-up and Redis's own per-command reads per command.
/// Commands that block Redis (`BLPOP`, `WAIT`) must not be sent through it.
public final class RedisClient: Sendable {
    private let configuration: RedisConfiguration
    private let state: Mutex<State>
    private let signal = NSCondition()

    private struct Pending {
        let arguments: [[UInt8]]
        let continuation: CheckedContinuation<RedisValue, any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var closed = false
        var started = false
    }

    /// Creates a client. The connection is opened by the first command.
    public init(configuration: RedisConfiguration) {
        self.configuration = configuration
        self.state = Mutex(State())
    }

    /// Sends one command, for example `["SET", "k", "v"]`, and returns Redis's reply.
    /// - Throws: `RedisError` when no connection can be made or it breaks; an error reply is returned, not thrown.
    public func send(_ arguments: [String]) async throws -> RedisValue {
        try await send(bytes: arguments.map { Array($0.utf8) })
    }

    /// Sends one command with binary arguments.
    public func send(bytes arguments: [[UInt8]]) async throws -> RedisValue {
        try await withCheckedThrowingContinuation { continuation in
            let (accepted, start) = state.withLock { state -> (Bool, Bool) in
                guard !state.closed else { return (false, false) }
                state.pending.append(Pending(arguments: arguments, continuation: continuation))
                defer { state.started = true }
                return (true, !state.started)
            }
            guard accepted else {
                continuation.resume(throwing: RedisError(.shutdown, "the client has been shut down"))
                return
            }
            if start {
                // The thread holds the client only while it works, so a client dropped without `shutdown` ends it.
                let thread = Thread { [weak self] in
                    var connection: RedisConnection?
                    while let client = self, client.step(&connection) {}
                }
                thread.name = "redis-pipeline"
                thread.start()
            }
            wake()
        }
    }

    /// `PING`, for readiness checks.
    /// - Returns: whether Redis answered `PONG`.
    public func ping() async -> Bool {
        (try? await send(["PING"])) == .status("PONG")
    }

    /// Fails queued commands and stops the pipeline thread.
    public func shutdown() async throws {
        let orphans = state.withLock { state -> [Pending] in
            state.closed = true
            defer { state.pending.removeAll() }
            return state.pending
        }
        for pending in orphans { pending.continuation.resume(throwing: RedisError(.shutdown, "the client has been shut down")) }
        wake()
    }

    /// Wakes the pipeline thread.
    private func wake() {
        signal.lock()
        signal.broadcast()
        signal.unlock()
    }

    /// One turn of the pipeline thread: waits for queued commands, sends them as one batch and resumes the
    /// callers. Returns false once the client is shut down and nothing is left.
    private func step(_ connection: inout RedisConnection?) -> Bool {
        signal.lock()
        var (batch, closed) = take()
        if batch.isEmpty && !closed {
            // Woken by `send`; the timeout lets the thread notice a dropped client.
            _ = signal.wait(until: Date().addingTimeInterval(0.1))
            (batch, closed) = take()
        }
        signal.unlock()
        if batch.isEmpty { return !closed }
        let results = execute(batch.map(\.arguments), on: &connection)
        for (pending, result) in zip(batch, results) { pending.continuation.resume(with: result) }
        return true
    }

    private func take() -> ([Pending], Bool) {
        state.withLock { state in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return (state.pending, state.closed)
        }
    }

    /// Sends a batch, connecting first if needed. A connection that Redis closed while it sat idle (a restart,
    /// `timeout`) is replaced and the batch sent once more: the first reply failing that way means Redis read
    /// none of it. Any other connection error fails the rest of the batch and drops the connection.
    private func execute(_ commands: [[[UInt8]]], on connection: inout RedisConnection?) -> [Result<RedisValue, RedisError>] {
        for attempt in 0..<2 {
            let wasIdle = connection != nil
            if connection == nil {
                do {
                    connection = try RedisConnection(configuration: configuration)
                } catch let error as RedisError {
                    return commands.map { _ in .failure(error) }
                } catch {
                    return commands.map { _ in .failure(RedisError(.connection, "\(error)")) }
                }
            }
            guard let open = connection else { break }
            let results = open.pipeline(commands)
            if results.contains(where: { if case .failure = $0 { true } else { false } }) {
                connection = nil
                if attempt == 0, wasIdle, case .failure(let error) = results[0], error.isClosedByPeer { continue }
            }
            return results
        }
        return commands.map { _ in .failure(RedisError(.connection, "no connection")) }
    }
}
