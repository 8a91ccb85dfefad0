import Foundation

/// Anthropic's Messages API: a `message` object, or the `message_start` … `message_stop` event stream, and
/// `{"type": "error", "error": {"type", "message"}}` bodies.
struct AnthropicDialect: SimulatedDialect {
    let request: RecordedRequest
    let number: Int

    var streaming: Bool { request.bool("stream") ?? false }

    private var model: String { request.string("model") ?? "claude-sonnet-4-5" }
    private var id: String { "msg_sim\(number)" }

    func answer(_ text: String) -> SimulatedReply {
        reply(words: SimulatorBehaviour.chunks(of: text), stopReason: "end_turn")
    }

    /// Anthropic's safety classifiers end the answer with the `refusal` stop reason.
    func safetyBlock() -> SimulatedReply {
        reply(words: ["I ", "can't ", "help ", "with ", "that."], stopReason: "refusal")
    }

    private func usage(outputTokens: Int) -> [String: Any] {
        [
            "input_tokens": SimulatorBehaviour.promptTokens, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0, "output_tokens": outputTokens, "service_tier": "standard",
        ]
    }

    private func reply(words: [String], stopReason: String) -> SimulatedReply {
        guard streaming else {
            return .whole(
                .json(
                    200,
                    [
                        "id": id, "type": "message", "role": "assistant", "model": model,
                        "content": [["type": "text", "text": words.joined()]],
                        "stop_reason": stopReason, "stop_sequence": JSON.null,
                        "usage": usage(outputTokens: words.count),
                    ],
                    headers: [("request-id", "req_sim\(number)")]
                )
            )
        }
        let start: [String: Any] = [
            "type": "message_start",
            "message": [
                "id": id, "type": "message", "role": "assistant", "model": model, "content": [Any](),
                "stop_reason": JSON.null, "stop_sequence": JSON.null, "usage": usage(outputTokens: 1),
            ],
        ]
        return .stream(
            StreamPlan(
                contentType: "text/event-stream; charset=utf-8",
                opening: [
                    Self.event("message_start", start),
                    Self.event(
                        "content_block_start",
                        ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]
                    ),
                    Self.event("ping", ["type": "ping"]),
                ],
                words: words.map {
                    Self.event(
                        "content_block_delta",
                        ["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": $0]]
                    )
                },
                closing: [
                    Self.event("content_block_stop", ["type": "content_block_stop", "index": 0]),
                    Self.event(
                        "message_delta",
                        [
                            "type": "message_delta",
                            "delta": ["stop_reason": stopReason, "stop_sequence": JSON.null],
                            "usage": ["output_tokens": words.count],
                        ]
                    ),
                    Self.event("message_stop", ["type": "message_stop"]),
                ]
            )
        )
    }

    private static func event(_ name: String, _ data: [String: Any]) -> String {
        "event: \(name)\ndata: \(JSON.text(data))\n\n"
    }

    func failure(_ failure: SimulatedFailure) -> WholeReply {
        func error(_ status: Int, _ type: String, _ message: String, headers: [(name: String, value: String)] = [])
            -> WholeReply
        {
            .json(
                status,
                ["type": "error", "error": ["type": type, "message": message], "request_id": "req_sim\(number)"],
                headers: [("request-id", "req_sim\(number)")] + headers
            )
        }
        switch failure {
        case .rateLimited(let seconds):
            return error(
                429,
                "rate_limit_error",
                "This request would exceed the rate limit for your organization of 50 requests per minute. For "
                    + "details, refer to: https://docs.claude.com/en/api/rate-limits.",
                headers: [
                    ("retry-after", "\(seconds)"), ("anthropic-ratelimit-requests-limit", "50"),
                    ("anthropic-ratelimit-requests-remaining", "0"),
                ]
            )
        case .serverError:
            return error(500, "api_error", "Internal server error")
        case .overloaded:
            return error(529, "overloaded_error", "Overloaded")
        case .unauthorized:
            return error(401, "authentication_error", "invalid x-api-key")
        case .contextTooLong:
            return error(400, "invalid_request_error", "prompt is too long: 208310 tokens > 200000 maximum")
        }
    }
}
