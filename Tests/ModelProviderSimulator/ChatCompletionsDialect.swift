import Foundation

/// The Chat Completions format: OpenAI's, Azure OpenAI's (with its content-filter annotations and its own error
/// bodies) and Mistral's (usage in the last chunk unasked, its own error bodies). OpenAI-compatible servers get
/// OpenAI's.
struct ChatCompletionsDialect: SimulatedDialect {
    enum Flavor: Sendable, Equatable {
        case openAI
        case azureOpenAI(deployment: String)
        case mistral
    }

    let request: RecordedRequest
    let number: Int
    let flavor: Flavor

    var streaming: Bool { request.bool("stream") ?? false }

    private var model: String {
        switch flavor {
        case .azureOpenAI(let deployment): request.string("model") ?? deployment
        case .openAI, .mistral: request.string("model") ?? "gpt-4o-mini"
        }
    }
    private var id: String { "chatcmpl-sim\(number)" }
    private static let created = 1_741_570_283
    /// Whether the stream ends with a usage chunk: OpenAI and Azure when asked; Mistral puts usage in its last
    /// chunk instead.
    private var includesUsageChunk: Bool {
        flavor != .mistral && ((request.json?["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false)
    }

    func answer(_ text: String) -> SimulatedReply {
        reply(words: SimulatorBehaviour.chunks(of: text), finishReason: "stop")
    }

    func safetyBlock() -> SimulatedReply {
        if case .azureOpenAI = flavor {
            // Azure refuses a prompt its filter catches before generating anything.
            return .whole(
                .json(
                    400,
                    [
                        "error": [
                            "message":
                                "The response was filtered due to the prompt triggering Azure OpenAI's content "
                                + "management policy. Please modify your prompt and retry. To learn more about our "
                                + "content filtering policies please read our documentation: "
                                + "https://go.microsoft.com/fwlink/?linkid=2198766",
                            "type": JSON.null,
                            "param": "prompt",
                            "code": "content_filter",
                            "status": 400,
                            "innererror": [
                                "code": "ResponsibleAIPolicyViolation",
                                "content_filter_result": Self.filterResults(violence: true),
                            ],
                        ]
                    ]
                )
            )
        }
        // OpenAI stops the answer where its filter steps in.
        return reply(words: ["I ", "cannot "], finishReason: "content_filter")
    }

    private func reply(words: [String], finishReason: String) -> SimulatedReply {
        let usage = self.usage(outputTokens: words.count)
        guard streaming else {
            var message: [String: Any] = ["role": "assistant", "content": words.joined()]
            var choice: [String: Any] = ["index": 0, "message": message, "finish_reason": finishReason]
            var body: [String: Any] = [
                "id": id, "object": "chat.completion", "created": Self.created, "model": model,
                "choices": [choice], "usage": usage,
            ]
            switch flavor {
            case .openAI:
                message["refusal"] = JSON.null
                message["annotations"] = [Any]()
                choice["message"] = message
                choice["logprobs"] = JSON.null
                body["choices"] = [choice]
                body["service_tier"] = "default"
                body["system_fingerprint"] = "fp_simulator"
            case .azureOpenAI:
                choice["content_filter_results"] = Self.filterResults(violence: false)
                body["choices"] = [choice]
                body["prompt_filter_results"] = [
                    ["prompt_index": 0, "content_filter_results": Self.filterResults(violence: false)]
                ]
                body["system_fingerprint"] = "fp_simulator"
            case .mistral:
                message["tool_calls"] = JSON.null
                choice["message"] = message
                body["choices"] = [choice]
            }
            return .whole(.json(200, body, headers: [("x-request-id", "req_sim\(number)")]))
        }

        var opening: [String] = []
        if case .azureOpenAI = flavor {
            // Azure's first chunk carries the prompt's filter results and no choice.
            opening.append(
                Self.event([
                    "choices": [Any](), "created": 0, "id": "", "model": "", "object": "",
                    "prompt_filter_results": [
                        ["prompt_index": 0, "content_filter_results": Self.filterResults(violence: false)]
                    ],
                ])
            )
        }
        opening.append(Self.event(chunk(delta: ["role": "assistant", "content": "", "refusal": JSON.null])))
        var closing = [
            Self.event(chunk(delta: [:], finishReason: finishReason, usage: flavor == .mistral ? usage : nil))
        ]
        if includesUsageChunk {
            var last = chunk(delta: [:])
            last["choices"] = [Any]()
            last["usage"] = usage
            closing.append(Self.event(last))
        }
        closing.append("data: [DONE]\n\n")
        return .stream(
            StreamPlan(
                contentType: "text/event-stream; charset=utf-8",
                opening: opening,
                words: words.map { Self.event(chunk(delta: ["content": $0])) },
                closing: closing
            )
        )
    }

    private func chunk(delta: [String: Any], finishReason: String? = nil, usage: [String: Any]? = nil)
        -> [String: Any]
    {
        var chunk: [String: Any] = [
            "id": id, "object": "chat.completion.chunk", "created": Self.created, "model": model,
            "choices": [
                [
                    "index": 0, "delta": delta, "logprobs": JSON.null,
                    "finish_reason": finishReason.map { $0 as Any } ?? JSON.null,
                ]
            ],
        ]
        if flavor != .mistral { chunk["system_fingerprint"] = "fp_simulator" }
        if let usage {
            chunk["usage"] = usage
        } else if includesUsageChunk {
            chunk["usage"] = JSON.null  // every chunk has the field when usage was asked for
        }
        return chunk
    }

    private func usage(outputTokens: Int) -> [String: Any] {
        let input = SimulatorBehaviour.promptTokens
        var usage: [String: Any] = [
            "prompt_tokens": input, "completion_tokens": outputTokens, "total_tokens": input + outputTokens,
        ]
        if flavor != .mistral {
            usage["prompt_tokens_details"] = ["cached_tokens": 0, "audio_tokens": 0]
            usage["completion_tokens_details"] = [
                "reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            ]
        }
        return usage
    }

    private static func event(_ object: [String: Any]) -> String {
        "data: \(JSON.text(object))\n\n"
    }

    private static func filterResults(violence: Bool) -> [String: Any] {
        [
            "hate": ["filtered": false, "severity": "safe"],
            "self_harm": ["filtered": false, "severity": "safe"],
            "sexual": ["filtered": false, "severity": "safe"],
            "violence": ["filtered": violence, "severity": violence ? "high" : "safe"],
        ]
    }

    func failure(_ failure: SimulatedFailure) -> WholeReply {
        switch flavor {
        case .openAI: openAIFailure(failure)
        case .azureOpenAI: azureFailure(failure)
        case .mistral: mistralFailure(failure)
        }
    }

    private func openAIError(_ message: String, type: String, code: String?, param: String? = nil)
        -> [String: Any]
    {
        [
            "error": [
                "message": message, "type": type, "param": param.map { $0 as Any } ?? JSON.null,
                "code": code.map { $0 as Any } ?? JSON.null,
            ]
        ]
    }

    private func openAIFailure(_ failure: SimulatedFailure) -> WholeReply {
        switch failure {
        case .rateLimited(let seconds):
            return .json(
                429,
                openAIError(
                    "Rate limit reached for \(model) in organization org-simulator on requests per min (RPM): "
                        + "Limit 500, Used 500, Requested 1. Please try again in \(seconds)s. Visit "
                        + "https://platform.openai.com/account/rate-limits to learn more.",
                    type: "requests",
                    code: "rate_limit_exceeded"
                ),
                headers: [
                    ("retry-after", "\(seconds)"), ("x-ratelimit-limit-requests", "500"),
                    ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "\(seconds)s"),
                ]
            )
        case .serverError:
            return .json(
                500,
                openAIError(
                    "The server had an error while processing your request. Sorry about that!",
                    type: "server_error",
                    code: nil
                )
            )
        case .overloaded:
            return .json(
                503,
                openAIError(
                    "The engine is currently overloaded, please try again later.",
                    type: "server_error",
                    code: nil
                )
            )
        case .unauthorized:
            return .json(
                401,
                openAIError(
                    "Incorrect API key provided: sk-simul***********1234. You can find your API key at "
                        + "https://platform.openai.com/account/api-keys.",
                    type: "invalid_request_error",
                    code: "invalid_api_key"
                )
            )
        case .contextTooLong:
            return .json(
                400,
                openAIError(
                    "This model's maximum context length is 128000 tokens. However, your messages resulted in "
                        + "131072 tokens. Please reduce the length of the messages.",
                    type: "invalid_request_error",
                    code: "context_length_exceeded",
                    param: "messages"
                )
            )
        }
    }

    private func azureFailure(_ failure: SimulatedFailure) -> WholeReply {
        let version =
            request.query?.split(separator: "&").first { $0.hasPrefix("api-version=") }
            .map { String($0.dropFirst("api-version=".count)) } ?? "2024-10-21"
        switch failure {
        case .rateLimited(let seconds):
            return .json(
                429,
                [
                    "error": [
                        "code": "429",
                        "message":
                            "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version "
                            + "\(version) have exceeded token rate limit of your current OpenAI S0 pricing tier. "
                            + "Please retry after \(seconds) seconds. Please go here: https://aka.ms/oai/quotaincrease "
                            + "if you would like to further increase the default rate limit.",
                    ]
                ],
                headers: [("retry-after", "\(seconds)"), ("retry-after-ms", "\(seconds * 1000)")]
            )
        case .overloaded:
            return .json(
                503,
                [
                    "error": [
                        "code": "ServiceUnavailable",
                        "message": "The service is temporarily unable to process your request. Please try again later.",
                    ]
                ]
            )
        case .unauthorized:
            return .json(
                401,
                [
                    "error": [
                        "code": "401",
                        "message":
                            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
                            + "provide a valid key for an active subscription and use a correct regional API "
                            + "endpoint for your resource.",
                    ]
                ]
            )
        case .serverError, .contextTooLong:
            // Azure passes these on from the model as OpenAI words them.
            return openAIFailure(failure)
        }
    }

    private func mistralFailure(_ failure: SimulatedFailure) -> WholeReply {
        func error(_ status: Int, _ message: String, type: String, code: String?) -> WholeReply {
            .json(
                status,
                [
                    "object": "error", "message": message, "type": type, "param": JSON.null,
                    "code": code.map { $0 as Any } ?? JSON.null,
                ]
            )
        }
        switch failure {
        case .rateLimited:
            // Mistral says when to retry in no header.
            return error(429, "Requests rate limit exceeded", type: "rate_limited", code: "1300")
        case .serverError:
            return error(500, "Internal server error", type: "internal_server_error", code: nil)
        case .overloaded:
            return error(
                429,
                "Service tier capacity exceeded for this model.",
                type: "service_tier_capacity_exceeded",
                code: "3505"
            )
        case .unauthorized:
            return .json(401, ["message": "Unauthorized", "request_id": "sim\(number)"])
        case .contextTooLong:
            return error(
                400,
                "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context "
                    + "length",
                type: "invalid_request_message_error",
                code: "3051"
            )
        }
    }
}
