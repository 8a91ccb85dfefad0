public import Foundation

/// What the simulator does with one request. Every provider acts each behaviour out in its own wire format.
public enum SimulatorBehaviour: Sendable, Equatable {
    /// Answers with `text`: whole, or streamed a word a chunk, with the provider's usage report.
    case answer(String)
    /// Answers like ``answer(_:)``, but waits `firstToken` before the first word (before the whole answer when not
    /// streaming) and `betweenChunks` before each further word. What a provider sends ahead of the words (a stream's
    /// opening events) goes at once.
    case slowAnswer(String, firstToken: Duration, betweenChunks: Duration)
    /// Fails with 429 and the provider's rate-limit body, saying to retry after `retryAfterSeconds` where the
    /// provider says it (a `retry-after` header, or Gemini's `RetryInfo`).
    case rateLimited(retryAfterSeconds: Int)
    /// Fails with 500 and the provider's internal-error body.
    case serverError
    /// Fails as the provider does when it has no capacity: Anthropic's 529 `overloaded_error`, 503 elsewhere.
    case overloaded
    /// Fails as the provider does for a wrong API key.
    case unauthorized
    /// Fails as the provider does for a prompt longer than the model's context window.
    case contextTooLong
    /// Takes the request and never answers, until the client goes away or the simulator stops.
    case hang
    /// Blocks for safety: Gemini blocks the prompt (200 with `promptFeedback.blockReason`), Azure OpenAI refuses it
    /// (400 `content_filter`), OpenAI and the servers that copy it cut the answer short with the `content_filter`
    /// finish reason, and Anthropic ends it with the `refusal` stop reason. Ollama has no safety filter: it answers.
    case safetyBlock
    /// Starts the answer, sends `afterChunks` words and then closes the connection without ending the body.
    case breakMidStream(afterChunks: Int)
    /// Answers ``defaultAnswer`` whole in a body of at least `bytes` bytes: the JSON followed by whitespace, which
    /// any reader has to take in. A streamed answer is sent as ``answer(_:)``.
    case oversizedAnswer(bytes: Int)

    /// The answer given when a test queued no behaviour.
    public static let defaultAnswer = "Hello from the simulator."
}

extension SimulatorBehaviour {
    /// The input tokens every answer reports.
    public static let promptTokens = 12

    /// The words `text` is streamed in, each with the space after it: one chunk, and one output token, a word.
    public static func chunks(of text: String) -> [String] {
        let words = text.components(separatedBy: " ")
        var chunks: [String] = []
        for (index, word) in words.enumerated() {
            let isLast = index == words.count - 1
            if word.isEmpty {
                // Spaces in a row, or at either end, stay with the word before them.
                if !isLast {
                    if chunks.isEmpty { chunks.append(" ") } else { chunks[chunks.count - 1] += " " }
                }
            } else {
                chunks.append(isLast ? word : word + " ")
            }
        }
        return chunks
    }
}

/// A request the simulator received, as it came.
public struct RecordedRequest: Sendable {
    /// `POST`, usually.
    public var method: String
    /// The path, without the query.
    public var path: String
    /// The query, without the `?`, if any.
    public var query: String?
    /// The headers in the order they came.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: Data

    /// The first value of the header `name`, whatever its case.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as a JSON object, or `nil` when it is not one.
    public var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
    }
}

/// How the simulator's answer to a request ended.
public enum ResponseOutcome: Sendable, Equatable {
    /// The whole response was written.
    case answered
    /// The client went away while the response was being written, after `chunks` words.
    case abandoned(chunks: Int)
    /// The simulator broke the connection on purpose (``SimulatorBehaviour/breakMidStream(afterChunks:)``).
    case broken(chunks: Int)
}
