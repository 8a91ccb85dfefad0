import ChorusCore
public import Foundation

/// Writes the OpenAI-compatible endpoint's answers in the Chat Completions wire format
/// (https://platform.openai.com/docs/api-reference/chat/object). Output is compact JSON with sorted keys, so the same
/// answer is always the same bytes.
///
/// Streams are written by ``GatewayStreamEncoder``, errors by ``GatewayError``.
public enum GatewayEncoding {
    /// A complete answer as a `chat.completion` object.
    ///
    /// The message's `content` is `null` when the model only called tools. A refusal is written as OpenAI writes
    /// one: its text in `message.refusal`, `content` null, and finish reason `stop`.
    /// - Parameters:
    ///   - response: The answer.
    ///   - id: The completion's id, such as `chatcmpl-…`.
    ///   - model: The model to name, usually the one the caller asked for.
    ///   - created: When the completion was created, in seconds since 1970.
    /// - Returns: The JSON body.
    public static func completion(_ response: ModelResponse, id: String, model: String, created: Int) -> Data {
        let refused = response.finishReason == .refusal
        var message: [String: JSONValue] = [
            "role": .string("assistant"),
            "content": refused || (response.text.isEmpty && !response.toolCalls.isEmpty)
                ? .null : .string(response.text),
            "refusal": refused ? .string(response.text) : .null,
        ]
        if !response.toolCalls.isEmpty {
            message["tool_calls"] = .array(response.toolCalls.map(\.openAIWire))
        }
        return data(
            .object([
                "id": .string(id),
                "object": .string("chat.completion"),
                "created": .number(Double(created)),
                "model": .string(model),
                "choices": .array([
                    .object([
                        "index": .number(0),
                        "message": .object(message),
                        "finish_reason": .string(finishReason(response.finishReason)),
                        "logprobs": .null,
                    ])
                ]),
                "usage": usage(response.usage),
            ])
        )
    }

    /// OpenAI's name for why generation stopped. A refusal is `stop`: OpenAI marks it by `refusal` in the message
    /// or delta instead.
    static func finishReason(_ reason: FinishReason) -> String {
        switch reason {
        case .stop, .refusal: "stop"
        case .length: "length"
        case .contentFilter: "content_filter"
        case .toolCalls: "tool_calls"
        }
    }

    /// The `usage` object, with the details OpenAI reports: cached prompt tokens and reasoning tokens.
    static func usage(_ usage: ModelUsage) -> JSONValue {
        .object([
            "prompt_tokens": .number(Double(usage.inputTokens)),
            "completion_tokens": .number(Double(usage.outputTokens)),
            "total_tokens": .number(Double(usage.inputTokens) + Double(usage.outputTokens)),
            "prompt_tokens_details": .object(["cached_tokens": .number(Double(usage.cachedInputTokens))]),
            "completion_tokens_details": .object(["reasoning_tokens": .number(Double(usage.reasoningTokens))]),
        ])
    }


    /// Compact JSON with sorted keys. Everything written here is strings and whole numbers, which always encode; the
    /// empty object stands in should that ever change.
    static func data(_ value: JSONValue) -> Data {
        value.jsonData
    }

    /// One server-sent event carrying `value`. Encoded JSON has no line breaks (they are escaped inside strings), so
    /// one `data` line holds it.
    static func frame(_ value: JSONValue) -> String {
        "data: " + value.jsonText + "\n\n"
    }
}
