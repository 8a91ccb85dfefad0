public import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import Synchronization

/// A model provider on loopback, for tests: an HTTP server that speaks OpenAI's, Azure OpenAI's, Mistral's,
/// Anthropic's, Gemini's and Ollama's wire formats as their documentation shows them, streaming or not, errors
/// included.
///
/// It serves `POST /v1/chat/completions` (OpenAI, Mistral when the model is one of Mistral's, OpenAI-compatible
/// servers), `/openai/deployments/{deployment}/chat/completions` (Azure OpenAI), `/v1/messages` (Anthropic),
/// `/v1beta/models/{model}:generateContent` and `:streamGenerateContent` (Gemini) and `/api/chat` (Ollama).
/// What it does with each request is the next behaviour a test queued with ``enqueue(_:)``, or an answer of
/// ``SimulatorBehaviour/defaultAnswer``. It records every request and how its response ended.
///
/// Start one with ``run(_:)``; it listens on 127.0.0.1 on a free port until the closure returns.
public final class ProviderSimulator: Sendable {
    /// The port it listens on.
    public let port: Int
    /// Whether it serves `https` (with ``SimulatorCertificate``) rather than `http`.
    public let secure: Bool
    let state: SimulatorState

    /// `http://127.0.0.1:{port}`, or `https://localhost:{port}` when it serves TLS: the base URL of every provider it
    /// plays (OpenAI's and Mistral's with `/v1`).
    public var baseURL: String { secure ? "https://localhost:\(port)" : "http://127.0.0.1:\(port)" }

    init(port: Int, secure: Bool, state: SimulatorState) {
        self.port = port
        self.secure = secure
        self.state = state
    }

    /// Runs a simulator for the length of `body`.
    /// - Parameter secure: Serve `https` with ``SimulatorCertificate`` instead of `http`.
    /// - Throws: What `body` throws, or ``SimulatorError`` when the server cannot start.
    public static func run<Result: Sendable>(
        secure: Bool = false,
        _ body: @Sendable (ProviderSimulator) async throws -> Result
    ) async throws -> Result {
        let state = SimulatorState()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "provider-simulator")
        logger.logLevel = .critical
        let application = Application(
            responder: SimulatorResponder(state: state),
            server: secure ? try .tls(.http1(), tlsConfiguration: SimulatorCertificate.serverConfiguration()) : .http1(),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portContinuation.finish() }
                try await application.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                group.cancelAll()
                throw SimulatorError(message: "The provider simulator did not start listening.")
            }
            do {
                let result = try await body(ProviderSimulator(port: port, secure: secure, state: state))
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// Queues behaviours for the next requests, in order. Requests beyond the queue get an answer of
    /// ``SimulatorBehaviour/defaultAnswer``.
    public func enqueue(_ behaviours: SimulatorBehaviour...) {
        state.enqueue(behaviours)
    }

    /// The requests received so far, oldest first.
    public var requests: [RecordedRequest] { state.requests }

    /// How the responses ended so far, in the order they ended; a response still being written is not there.
    public var outcomes: [ResponseOutcome] { state.outcomes }

    /// Waits until `count` responses have ended, for at most `timeout`.
    /// - Returns: The outcomes, which are fewer than `count` if the time ran out.
    public func outcomes(count: Int, within timeout: Duration) async -> [ResponseOutcome] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let outcomes = state.outcomes
            if outcomes.count >= count { return outcomes }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return state.outcomes
    }
}

/// The simulator could not do what a test asked.
public struct SimulatorError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// What the simulator's requests share: the queue of behaviours and the records.
final class SimulatorState: Sendable {
    private struct Records {
        var queue: [SimulatorBehaviour] = []
        var requests: [RecordedRequest] = []
        var outcomes: [ResponseOutcome] = []
    }

    private let records = Mutex(Records())

    func enqueue(_ behaviours: [SimulatorBehaviour]) {
        records.withLock { $0.queue += behaviours }
    }

    /// Records a request and takes the behaviour for it; returns also the request's number, from 1.
    func receive(_ request: RecordedRequest) -> (number: Int, behaviour: SimulatorBehaviour) {
        records.withLock {
            $0.requests.append(request)
            let behaviour =
                $0.queue.isEmpty ? SimulatorBehaviour.answer(SimulatorBehaviour.defaultAnswer) : $0.queue.removeFirst()
            return ($0.requests.count, behaviour)
        }
    }

    func end(_ outcome: ResponseOutcome) {
        records.withLock { $0.outcomes.append(outcome) }
    }

    var requests: [RecordedRequest] { records.withLock { $0.requests } }
    var outcomes: [ResponseOutcome] { records.withLock { $0.outcomes } }
}
