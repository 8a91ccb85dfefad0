import LLMLatencyShared
import NIOCore

/// The simulator's fixed answer, encoded once, and the bodies it is written into: a chat completion, the events of
/// a stream, and OpenAI's error object.
///
/// Bodies follow OpenAI's Chat Completions wire format field for field, so a gateway parses them as it would a real
/// provider's.
struct CompletionAnswer: Sendable {
    /// The answer's text, JSON-escaped.
    private let content: [UInt8]
    /// The same text in the deltas a stream sends, JSON-escaped: one word (with its leading space) each.
    private let pieces: [[UInt8]]
    /// Tokens counted for the answer, about four bytes each as for English text.
    let completionTokens: Int

    /// - Parameter text: the assistant's answer to every request.
    init(text: String) {
        content = Array(JSONString.escaped(text).utf8)
        var words: [String] = []
        var word = ""
        for character in text {
            if character == " ", !word.isEmpty {
                words.append(word)
                word = ""
            }
            word.append(character)
        }
        if !word.isEmpty { words.append(word) }
        pieces = words.map { Array(JSONString.escaped($0).utf8) }
        completionTokens = max(1, (text.utf8.count + 3) / 4)
    }

    /// Writes a non-streaming `chat.completion`.
    ///
    /// - Parameters:
    ///   - id: the completion's id.
    ///   - created: seconds since 1970.
    ///   - model: the request's model name, still JSON-escaped.
    ///   - promptTokens: tokens counted for the request.
    ///   - buffer: where the JSON goes.
    func writeCompletion(
        id: Identifier,
        created: Int,
        model: ByteBuffer,
        promptTokens: Int,
        into buffer: inout ByteBuffer
    ) {
        buffer.writeStaticString(#"{"id":""#)
        id.write(into: &buffer)
        buffer.writeStaticString(#"","object":"chat.completion","created":"#)
        buffer.writeString(String(created))
        buffer.writeStaticString(#","model":""#)
        buffer.writeImmutableBuffer(model)
        buffer.writeStaticString(#"","choices":[{"index":0,"message":{"role":"assistant","content":""#)
        buffer.writeBytes(content)
        buffer.writeStaticString(
            #"","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":"#
        )
        writeUsage(promptTokens: promptTokens, into: &buffer)
        buffer.writeStaticString(#","service_tier":"default","system_fingerprint":"fp_chorus_bench"}"#)
    }

    /// The server-sent events of a streamed completion, each `data: …` block in its own buffer: a first chunk with
    /// the role, one chunk per word, a chunk with the finish reason, the usage chunk when the request asked for it,
    /// and `[DONE]`.
    ///
    /// - Parameters:
    ///   - id: the completion's id, the same in every chunk.
    ///   - created: seconds since 1970.
    ///   - model: the request's model name, still JSON-escaped.
    ///   - promptTokens: tokens counted for the request.
    ///   - includeUsage: `stream_options.include_usage`; OpenAI then also sends `"usage":null` in every other chunk.
    ///   - allocator: where buffers come from.
    func streamEvents(
        id: Identifier,
        created: Int,
        model: ByteBuffer,
        promptTokens: Int,
        includeUsage: Bool,
        allocator: ByteBufferAllocator
    ) -> [ByteBuffer] {
        var prefix = allocator.buffer(capacity: 160)
        prefix.writeStaticString(#"data: {"id":""#)
        id.write(into: &prefix)
        prefix.writeStaticString(#"","object":"chat.completion.chunk","created":"#)
        prefix.writeString(String(created))
        prefix.writeStaticString(#","model":""#)
        prefix.writeImmutableBuffer(model)
        prefix.writeStaticString(#"","service_tier":"default","system_fingerprint":"fp_chorus_bench","choices":["#)

        func event(_ body: (inout ByteBuffer) -> Void) -> ByteBuffer {
            var buffer = allocator.buffer(capacity: prefix.readableBytes + 160)
            buffer.writeImmutableBuffer(prefix)
            body(&buffer)
            return buffer
        }
        let end: StaticString = includeUsage ? "],\"usage\":null}\n\n" : "]}\n\n"

        var events: [ByteBuffer] = []
        events.reserveCapacity(pieces.count + 4)
        events.append(
            event {
                $0.writeBytes(Self.firstChoice)
                $0.writeStaticString(end)
            }
        )
        for piece in pieces {
            events.append(
                event {
                    $0.writeStaticString(#"{"index":0,"delta":{"content":""#)
                    $0.writeBytes(piece)
                    $0.writeStaticString(#""},"logprobs":null,"finish_reason":null}"#)
                    $0.writeStaticString(end)
                }
            )
        }
        events.append(
            event {
                $0.writeStaticString(#"{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}"#)
                $0.writeStaticString(end)
            }
        )
        if includeUsage {
            events.append(
                event {
                    $0.writeStaticString(#"],"usage":"#)
                    writeUsage(promptTokens: promptTokens, into: &$0)
                    $0.writeStaticString("}\n\n")
                }
            )
        }
        var done = allocator.buffer(capacity: 14)
        done.writeStaticString("data: [DONE]\n\n")
        events.append(done)
        return events
    }

    /// Writes OpenAI's error object.
    ///
    /// - Parameters:
    ///   - message: a sentence, already safe inside a JSON string.
    ///   - type: OpenAI's error type (`server_error`, `invalid_request_error`).
    ///   - buffer: where the JSON goes.
    static func writeError(message: StaticString, type: StaticString, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"error":{"message":""#)
        buffer.writeStaticString(message)
        buffer.writeStaticString(#"","type":""#)
        buffer.writeStaticString(type)
        buffer.writeStaticString(#"","param":null,"code":null}}"#)
    }

    private func writeUsage(promptTokens: Int, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"prompt_tokens":"#)
        buffer.writeString(String(promptTokens))
        buffer.writeStaticString(#","completion_tokens":"#)
        buffer.writeString(String(completionTokens))
        buffer.writeStaticString(#","total_tokens":"#)
        buffer.writeString(String(promptTokens + completionTokens))
        buffer.writeBytes(Self.usageDetails)
    }

    /// The first chunk's choice: the role, and no content yet.
    private static let firstChoice = Array(
        (#"{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"#
            + #""logprobs":null,"finish_reason":null}"#).utf8
    )

    /// The end of the usage object: token details, all zero.
    private static let usageDetails = Array(
        (#","prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"#
            + #""completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"#
            + #""accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}"#).utf8
    )
}

extension CompletionAnswer {
    /// A completion id, `chatcmpl-` and 24 hex digits: a per-connection random tag and a per-connection count.
    struct Identifier {
        var tag: UInt64
        var count: UInt32

        func write(into buffer: inout ByteBuffer) {
            buffer.writeStaticString("chatcmpl-")
            Self.writeHex(tag, digits: 16, into: &buffer)
            Self.writeHex(UInt64(count), digits: 8, into: &buffer)
        }

        private static func writeHex(_ value: UInt64, digits: Int, into buffer: inout ByteBuffer) {
            let alphabet: StaticString = "0123456789abcdef"
            for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
                buffer.writeInteger(alphabet.utf8Start[Int((value >> UInt64(shift)) & 0xF)])
            }
        }
    }
}
