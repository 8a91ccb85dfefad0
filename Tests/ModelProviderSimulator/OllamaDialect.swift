import Foundation

/// Ollama's chat API: one object, or newline-delimited objects ending with a `"done": true` line that carries the
/// counts, and `{"error": "…"}` bodies. Ollama streams unless the request says `"stream": false`.
struct OllamaDialect: SimulatedDialect {
    let request: RecordedRequest
    let number: Int

    var streaming: Bool { request.bool("stream") ?? true }

    private var model: String { request.string("model") ?? "llama3.2" }
    private static let createdAt = "2025-06-01T12:00:00.000000Z"

    func answer(_ text: String) -> SimulatedReply {
        let words = SimulatorBehaviour.chunks(of: text)
        guard streaming else {
            return .whole(.json(200, done(content: words.joined(), outputTokens: words.count)))
        }
        return .stream(
            StreamPlan(
                contentType: "application/x-ndjson",
                words: words.map {
                    Self.line([
                        "model": model, "created_at": Self.createdAt,
                        "message": ["role": "assistant", "content": $0], "done": false,
                    ])
                },
                closing: [Self.line(done(content: "", outputTokens: words.count))]
            )
        )
    }

    /// Ollama runs no safety filter: what the model says is the answer.
    func safetyBlock() -> SimulatedReply {
        answer(SimulatorBehaviour.defaultAnswer)
    }

    private func done(content: String, outputTokens: Int) -> [String: Any] {
        [
            "model": model, "created_at": Self.createdAt, "message": ["role": "assistant", "content": content],
            "done_reason": "stop", "done": true, "total_duration": 1_203_449_541, "load_duration": 20_457_625,
            "prompt_eval_count": SimulatorBehaviour.promptTokens, "prompt_eval_duration": 84_360_542,
            "eval_count": outputTokens, "eval_duration": 1_096_588_000,
        ]
    }

    private static func line(_ object: [String: Any]) -> String {
        JSON.text(object) + "\n"
    }

    func failure(_ failure: SimulatedFailure) -> WholeReply {
        switch failure {
        case .rateLimited, .overloaded:
            // Ollama's answer when its queue is full; it names no time to retry.
            .json(503, ["error": "server busy, please try again.  maximum pending requests exceeded"])
        case .serverError:
            .json(500, ["error": "llama runner process has terminated: exit status 2"])
        case .unauthorized:
            .json(401, ["error": "unauthorized"])
        case .contextTooLong:
            .json(400, ["error": "the input length exceeds the context length"])
        }
    }
}
