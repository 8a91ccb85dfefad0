import ChorusCore
import Foundation

extension OpenAIChatCodec {
    /// A decoder for a Chat Completions stream.
    public func streamDecoder() -> any ModelStreamDecoder { StreamDecoder() }

    /// Reads a Chat Completions stream: server-sent events whose data is a `chat.completion.chunk`, then
    /// `data: [DONE]`.
    ///
    /// Text comes from `choices[0].delta.content` (and `delta.refusal`, which makes the finish reason `refusal`), tool
    /// calls from `delta.tool_calls`, usage from any chunk's `usage` (OpenAI's last chunk, with empty `choices`, when
    /// `stream_options.include_usage` was asked for; Mistral's last chunk unasked). The finish reason is held back
    /// until `[DONE]` so that `.finish` is the last event, after the usage that follows it on the wire. Chunks with
    /// no choices or no delta, such as Azure's content-filter annotations, are skipped.
    ///
    /// An `error` object in the stream ends it with a classified `.failure`; so does a chunk that is not JSON, and a
    /// body that ends before both `[DONE]` and a finish reason (a `malformedResponse`: the stream was cut short).
    public struct StreamDecoder: ModelStreamDecoder {
        private var events = ServerSentEvents()
        private var finishReason: FinishReason?
        private var refused = false
        private var calledTools = false
        /// `[DONE]` arrived, a failure was reported, or the body ended: nothing more is read.
        private var over = false

        /// Creates a decoder for one stream.
        public init() {}

        /// Feeds the next bytes of the body; returns the events they complete.
        public mutating func feed(_ bytes: some Collection<UInt8>) -> [ModelStreamEvent] {
            guard !over else { return [] }
            var output: [ModelStreamEvent] = []
            for event in events.feed(bytes) {
                read(event, into: &output)
                if over { break }
            }
            return output
        }

        /// The body ended; returns the finish if it was still held back, or a failure if the stream was cut short.
        public mutating func finish() -> [ModelStreamEvent] {
            guard !over else { return [] }
            over = true
            _ = events.finish()
            guard let finishReason else {
                return [
                    .failure(
                        ModelError(
                            .malformedResponse,
                            message: "The stream was cut short: it ended without a finish reason or [DONE]."
                        )
                    )
                ]
            }
            return [.finish(OpenAIChatCodec.finishReason(finishReason, refused: refused, calledTools: calledTools))]
        }

        private mutating func read(_ event: ServerSentEvents.Event, into output: inout [ModelStreamEvent]) {
            let data = event.data.trimmingWhitespace()
            if data.isEmpty { return }
            if data == "[DONE]" {
                over = true
                let reason = OpenAIChatCodec.finishReason(
                    finishReason ?? .stop,
                    refused: refused,
                    calledTools: calledTools
                )
                output.append(.finish(reason))
                return
            }
            guard let json = WireJSON.parse(Data(data.utf8)),
                case .object(let chunk) = json
            else {
                fail(
                    OpenAIChatCodec.malformed(
                        status: nil, "A stream chunk is not a JSON object.", body: Data(data.utf8)),
                    into: &output
                )
                return
            }
            if chunk["choices"] == nil, let details = Wire.errorDetails(in: json) {
                let error = OpenAIChatCodec.classify(status: nil, headers: [], details: details, body: Data(data.utf8))
                fail(error, into: &output)
                return
            }
            if event.name == "error" {
                fail(ModelError(.retryable, message: Wire.excerpt(Data(data.utf8))), into: &output)
                return
            }

            if case .array(let choices)? = chunk["choices"] {
                for choice in choices where (Wire.integer(Wire.field(choice, "index")) ?? 0) == 0 {
                    readChoice(choice, into: &output)
                    if over { return }
                }
            }
            if let usage = Wire.usage(chunk["usage"]) {
                output.append(.usage(usage))
            }
        }

        private mutating func readChoice(_ choice: JSONValue, into output: inout [ModelStreamEvent]) {
            let delta = Wire.field(choice, "delta")
            let content = Wire.text(Wire.field(delta, "content"))
            if !content.isEmpty { output.append(.text(content)) }
            if let refusal = Wire.string(Wire.field(delta, "refusal")), !refusal.isEmpty {
                refused = true
                output.append(.text(refusal))
            }
            if case .array(let calls)? = Wire.field(delta, "tool_calls") {
                for (position, call) in calls.enumerated() {
                    let id = Wire.string(Wire.field(call, "id")).flatMap { $0.isEmpty ? nil : $0 }
                    let name = Wire.string(Wire.field(call, "function", "name")).flatMap { $0.isEmpty ? nil : $0 }
                    let arguments = Wire.arguments(Wire.field(call, "function", "arguments"))
                    guard id != nil || name != nil || !arguments.isEmpty else { continue }
                    // Servers that send each call whole (Mistral) may leave out `index`: their position stands in.
                    let index = Wire.integer(Wire.field(call, "index")) ?? position
                    calledTools = true
                    output.append(.toolCall(index: index, id: id, name: name, arguments: arguments))
                }
            }
            if let raw = Wire.string(Wire.field(choice, "finish_reason")) {
                if raw == "error" {
                    fail(
                        ModelError(.retryable, providerCode: "error", message: "Generation failed midway."),
                        into: &output
                    )
                    return
                }
                finishReason = Wire.finishReason(raw)
            }
        }

        private mutating func fail(_ error: ModelError, into output: inout [ModelStreamEvent]) {
            over = true
            output.append(.failure(error))
        }
    }
}
