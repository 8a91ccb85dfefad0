import Foundation

/// Google's Gemini API: a `GenerateContentResponse`, or a stream of them (server-sent events with `alt=sse`, else
/// one JSON array written piece by piece), and `{"error": {"code", "message", "status", "details"}}` bodies.
struct GeminiDialect: SimulatedDialect {
    let request: RecordedRequest
    let number: Int
    let model: String
    let method: String

    var streaming: Bool { method == "streamGenerateContent" }
    private var serverSentEvents: Bool {
        request.query?.split(separator: "&").contains("alt=sse") ?? false
    }
    private var responseID: String { "sim\(number)" }

    func answer(_ text: String) -> SimulatedReply {
        let words = SimulatorBehaviour.chunks(of: text)
        guard streaming else {
            return .whole(.json(200, response(parts: words.joined(), finishReason: "STOP", outputTokens: words.count)))
        }
        // Each chunk is a whole response holding the next piece; the last has the finish reason and final counts.
        let chunks = words.enumerated().map { index, word in
            index == words.count - 1
                ? response(parts: word, finishReason: "STOP", outputTokens: words.count)
                : response(parts: word, finishReason: nil, outputTokens: nil)
        }
        return .stream(plan(chunks))
    }

    /// Gemini blocks the prompt with status 200: no candidate, the block reason in `promptFeedback`.
    func safetyBlock() -> SimulatedReply {
        let blocked: [String: Any] = [
            "promptFeedback": [
                "blockReason": "SAFETY",
                "safetyRatings": [
                    ["category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"],
                    ["category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"],
                    ["category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"],
                    ["category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"],
                ],
            ],
            "usageMetadata": [
                "promptTokenCount": SimulatorBehaviour.promptTokens,
                "totalTokenCount": SimulatorBehaviour.promptTokens,
            ],
            "modelVersion": model,
            "responseId": responseID,
        ]
        return streaming ? .stream(plan([blocked])) : .whole(.json(200, blocked))
    }

    private func response(parts text: String, finishReason: String?, outputTokens: Int?) -> [String: Any] {
        var candidate: [String: Any] = ["content": ["parts": [["text": text]], "role": "model"], "index": 0]
        if let finishReason { candidate["finishReason"] = finishReason }
        let input = SimulatorBehaviour.promptTokens
        var usage: [String: Any] = [
            "promptTokenCount": input,
            "promptTokensDetails": [["modality": "TEXT", "tokenCount": input]],
        ]
        if let outputTokens {
            usage["candidatesTokenCount"] = outputTokens
            usage["totalTokenCount"] = input + outputTokens
        } else {
            usage["totalTokenCount"] = input
        }
        return ["candidates": [candidate], "usageMetadata": usage, "modelVersion": model, "responseId": responseID]
    }

    private func plan(_ chunks: [[String: Any]]) -> StreamPlan {
        guard serverSentEvents else {
            // Without `alt=sse` the stream is one JSON array, its elements written as they come.
            return StreamPlan(
                contentType: "application/json; charset=UTF-8",
                words: chunks.enumerated().map { ($0.offset == 0 ? "[" : ",\r\n") + JSON.text($0.element) },
                closing: ["]"]
            )
        }
        return StreamPlan(
            contentType: "text/event-stream",
            words: chunks.map { "data: \(JSON.text($0))\r\n\r\n" }
        )
    }

    func failure(_ failure: SimulatedFailure) -> WholeReply {
        func error(_ code: Int, _ status: String, _ message: String, details: [[String: Any]]? = nil) -> WholeReply {
            var error: [String: Any] = ["code": code, "message": message, "status": status]
            if let details { error["details"] = details }
            return .json(code, ["error": error])
        }
        switch failure {
        case .rateLimited(let seconds):
            // Gemini says when to retry in the body's RetryInfo, not in a header.
            return error(
                429,
                "RESOURCE_EXHAUSTED",
                "You exceeded your current quota, please check your plan and billing details. For more information "
                    + "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. Please retry in "
                    + "\(seconds).0s.",
                details: [
                    [
                        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                        "violations": [
                            [
                                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                                "quotaDimensions": ["location": "global", "model": model],
                                "quotaValue": "10",
                            ]
                        ],
                    ],
                    [
                        "@type": "type.googleapis.com/google.rpc.Help",
                        "links": [
                            [
                                "description": "Learn more about Gemini API quotas",
                                "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                            ]
                        ],
                    ],
                    ["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "\(seconds)s"],
                ]
            )
        case .serverError:
            return error(
                500,
                "INTERNAL",
                "An internal error has occurred. Please retry or report in "
                    + "https://developers.generativeai.google/guide/troubleshooting"
            )
        case .overloaded:
            return error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
        case .unauthorized:
            // Gemini answers a wrong key with 400, not 401.
            return error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                details: [
                    [
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": ["service": "generativelanguage.googleapis.com"],
                    ]
                ]
            )
        case .contextTooLong:
            return error(
                400,
                "INVALID_ARGUMENT",
                "The input token count (1196265) exceeds the maximum number of tokens allowed (1048575)."
            )
        }
    }
}
