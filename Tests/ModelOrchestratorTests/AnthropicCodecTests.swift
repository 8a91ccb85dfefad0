import Foundation
import Testing

@testable import ModelOrchestrator

/// Request, response, stream and error bodies below are Anthropic's documented examples (Messages API reference,
/// "Streaming Messages", "Tool use", "Errors"), with model names updated where the docs show an older one.
@Suite struct AnthropicCodecTests: CodecTests {
    private let codec = AnthropicCodec()
    private let endpoint = ProviderEndpoint(
        baseURL: "https://api.anthropic.com/",
        apiKey: "sk-ant-test",
        model: "claude-sonnet-4-5"
    )

    // MARK: Requests

    @Test func aPlainRequestHasTheDocumentedURLHeadersAndBody() throws {
        let request = try codec.httpRequest(
            for: ModelRequest(messages: [.user("Hello, world")]),
            endpoint: endpoint,
            stream: false
        )
        #expect(request.method == "POST")
        #expect(request.url == "https://api.anthropic.com/v1/messages")
        #expect(Self.header("x-api-key", in: request) == "sk-ant-test")
        #expect(Self.header("anthropic-version", in: request) == "2023-06-01")
        #expect(Self.header("content-type", in: request) == "application/json")
        try Self.expectJSON(
            request.body,
            """
            {"model": "claude-sonnet-4-5", "max_tokens": 1024,
             "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello, world"}]}]}
            """
        )
    }

    @Test func theEndpointChoosesTheVersionAndAddsHeaders() throws {
        var endpoint = endpoint
        endpoint.apiVersion = "2023-01-01"
        endpoint.headers = ["anthropic-beta": "prompt-caching-2024-07-31"]
        let request = try codec.httpRequest(
            for: ModelRequest(messages: [.user("Hi")], maxTokens: 50),
            endpoint: endpoint,
            stream: true
        )
        #expect(Self.header("anthropic-version", in: request) == "2023-01-01")
        #expect(Self.header("anthropic-beta", in: request) == "prompt-caching-2024-07-31")
        try Self.expectJSON(
            request.body,
            """
            {"model": "claude-sonnet-4-5", "max_tokens": 50, "stream": true,
             "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]}
            """
        )
    }

    @Test func toolCallsAndResultsBecomeBlocksInAlternatingTurns() throws {
        let request = ModelRequest(
            system: "You are a weather assistant.",
            messages: [
                .user("What's the weather like in San Francisco and New York?"),
                ModelMessage(
                    role: .assistant,
                    content: "I'll check the current weather in both cities.",
                    toolCalls: [
                        ModelToolCall(
                            id: "toolu_01A09q90qw90lq917835lq9",
                            name: "get_weather",
                            arguments: #"{"location": "San Francisco, CA", "unit": "celsius"}"#
                        ),
                        ModelToolCall(
                            id: "toolu_01B09q90qw90lq917835lq9",
                            name: "get_weather",
                            arguments: #"{"location":"New York, NY"}"#
                        ),
                    ]
                ),
                ModelMessage(role: .tool, content: "15 degrees", toolCallID: "toolu_01A09q90qw90lq917835lq9"),
                ModelMessage(role: .tool, content: "22 degrees", toolCallID: "toolu_01B09q90qw90lq917835lq9"),
                .user("Which one is warmer?"),
            ],
            temperature: 1.7,
            maxTokens: 400,
            tools: [
                ModelTool(
                    name: "get_weather",
                    description: "Get the current weather in a given location",
                    parameters: try Self.json(
                        """
                        {"type": "object", "properties": {"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                         "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}
                        """
                    )
                )
            ],
            stop: ["\n\nHuman:"]
        )
        let http = try codec.httpRequest(for: request, endpoint: endpoint, stream: false)
        try Self.expectJSON(
            http.body,
            """
            {"model": "claude-sonnet-4-5", "max_tokens": 400, "system": "You are a weather assistant.",
             "temperature": 1, "stop_sequences": ["\\n\\nHuman:"],
             "tools": [{"name": "get_weather", "description": "Get the current weather in a given location",
                        "input_schema": {"type": "object", "properties": {"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                                         "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["location"]}}],
             "messages": [
               {"role": "user", "content": [{"type": "text", "text": "What's the weather like in San Francisco and New York?"}]},
               {"role": "assistant", "content": [
                 {"type": "text", "text": "I'll check the current weather in both cities."},
                 {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA", "unit": "celsius"}},
                 {"type": "tool_use", "id": "toolu_01B09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "New York, NY"}}]},
               {"role": "user", "content": [
                 {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees"},
                 {"type": "tool_result", "tool_use_id": "toolu_01B09q90qw90lq917835lq9", "content": "22 degrees"},
                 {"type": "text", "text": "Which one is warmer?"}]}]}
            """
        )
    }

    @Test func structuredOutputIsAForcedTool() throws {
        let schema = try Self.json(
            #"{"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}"#,
            like: Self.noJSON
        )
        let alone = try codec.httpRequest(
            for: ModelRequest(messages: [.user("Ollama is 22 years old.")], responseSchema: schema),
            endpoint: endpoint,
            stream: false
        )
        try Self.expectJSON(
            alone.body,
            """
            {"model": "claude-sonnet-4-5", "max_tokens": 1024,
             "messages": [{"role": "user", "content": [{"type": "text", "text": "Ollama is 22 years old."}]}],
             "tools": [{"name": "structured_output", "description": "Gives the final answer, in the shape the caller asked for.",
                        "input_schema": {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}}],
             "tool_choice": {"type": "tool", "name": "structured_output"}}
            """
        )

        // With tools of its own the model must still call a tool, but may call a real one first.
        let withTools = try codec.httpRequest(
            for: ModelRequest(
                messages: [.user("How old?")],
                tools: [ModelTool(name: "lookup", parameters: schema)],
                responseSchema: schema
            ),
            endpoint: endpoint,
            stream: false
        )
        try Self.expectJSON(
            withTools.body,
            """
            {"model": "claude-sonnet-4-5", "max_tokens": 1024,
             "messages": [{"role": "user", "content": [{"type": "text", "text": "How old?"}]}],
             "tools": [{"name": "lookup", "input_schema": {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}},
                       {"name": "structured_output", "description": "Gives the final answer, in the shape the caller asked for.",
                        "input_schema": {"type": "object", "properties": {"age": {"type": "integer"}}, "required": ["age"]}}],
             "tool_choice": {"type": "any"}}
            """
        )
    }

    @Test func requestsAnthropicCannotTakeAreRefused() throws {
        let arrayRoot = try Self.json(#"{"type": "array", "items": {"type": "string"}}"#, like: Self.noJSON)
        let cases: [ModelRequest] = [
            ModelRequest(messages: [.user("x")], responseSchema: arrayRoot),
            ModelRequest(
                messages: [.user("x")],
                tools: [ModelTool(name: "structured_output", parameters: try Self.json("{}"))]
            ),
            ModelRequest(messages: [
                ModelMessage(
                    role: .assistant,
                    content: "",
                    toolCalls: [ModelToolCall(id: "t", name: "f", arguments: "{not json")]
                )
            ]),
            ModelRequest(messages: [ModelMessage(role: .tool, content: "42")]),
            ModelRequest(messages: [.user("x")], maxTokens: 0),
        ]
        for request in cases {
            #expect(throws: ModelError.self) { try codec.httpRequest(for: request, endpoint: endpoint, stream: false) }
            do {
                _ = try codec.httpRequest(for: request, endpoint: endpoint, stream: false)
            } catch {
                #expect(error.kind == .invalidRequest)
            }
        }
    }

    // MARK: Responses

    @Test func aTextResponseWithCacheUsageIsNormalized() throws {
        let body = """
            {"id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
             "content": [{"type": "text", "text": "Hi! My name is Claude."}],
             "stop_reason": "end_turn", "stop_sequence": null,
             "usage": {"input_tokens": 21, "cache_creation_input_tokens": 188086, "cache_read_input_tokens": 1000, "output_tokens": 393}}
            """
        let response = try codec.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(response.text == "Hi! My name is Claude.")
        #expect(response.finishReason == .stop)
        #expect(response.model == "claude-sonnet-4-5-20250929")
        #expect(
            response.usage == ModelUsage(inputTokens: 21 + 188_086 + 1000, outputTokens: 393, cachedInputTokens: 1000)
        )
    }

    @Test func aToolUseResponseGivesToolCalls() throws {
        let body = """
            {"id": "msg_01Aq9w938a90dw8q", "model": "claude-sonnet-4-5", "stop_reason": "tool_use", "role": "assistant",
             "content": [
               {"type": "text", "text": "I'll check the current weather in San Francisco for you."},
               {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA", "unit": "celsius"}}],
             "usage": {"input_tokens": 472, "output_tokens": 89}}
            """
        let response = try codec.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(response.text == "I'll check the current weather in San Francisco for you.")
        #expect(
            response.toolCalls == [
                ModelToolCall(
                    id: "toolu_01A09q90qw90lq917835lq9",
                    name: "get_weather",
                    arguments: #"{"location":"San Francisco, CA","unit":"celsius"}"#
                )
            ]
        )
        #expect(response.finishReason == .toolCalls)
        #expect(response.usage == ModelUsage(inputTokens: 472, outputTokens: 89))
    }

    @Test func theStructuredOutputToolIsReadBackAsTheAnswer() throws {
        let body = """
            {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "stop_reason": "tool_use",
             "content": [{"type": "tool_use", "id": "toolu_01", "name": "structured_output", "input": {"available": true, "age": 22}}],
             "usage": {"input_tokens": 849, "output_tokens": 47}}
            """
        let response = try codec.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(response.text == #"{"age":22,"available":true}"#)
        #expect(response.toolCalls.isEmpty)
        #expect(response.finishReason == .stop)
    }

    @Test func stopReasonsAreNormalized() throws {
        let expected: [(String, FinishReason)] = [
            ("end_turn", .stop), ("stop_sequence", .stop), ("max_tokens", .length), ("refusal", .refusal),
            ("model_context_window_exceeded", .length),
        ]
        for (reason, finish) in expected {
            let body =
                #"{"type":"message","role":"assistant","content":[{"type":"text","text":"x"}],"stop_reason":"\#(reason)","usage":{"input_tokens":1,"output_tokens":1}}"#
            #expect(
                try codec.response(status: 200, headers: [], body: Data(body.utf8)).get().finishReason == finish,
                "\(reason)"
            )
        }
    }

    @Test func anUnreadableSuccessIsAMalformedResponse() {
        for body in ["<html>bad gateway</html>", #"{"type":"message"}"#, "[1,2]"] {
            #expect(
                codec.response(status: 200, headers: [], body: Data(body.utf8)).modelError?.kind == .malformedResponse,
                "\(body)"
            )
        }
    }

    // MARK: Streams

    @Test func aTextStreamGivesTheSameEventsInEveryChunkSize() {
        let stream = """
            event: message_start
            data: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}

            event: content_block_start
            data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}

            event: ping
            data: {"type": "ping"}

            event: content_block_delta
            data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "¡Hola"}}

            event: content_block_delta
            data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " 🌍!"}}

            event: content_block_stop
            data: {"type": "content_block_stop", "index": 0}

            event: message_delta
            data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}

            event: message_stop
            data: {"type": "message_stop"}


            """
        #expect(
            Self.decodeInEveryChunkSize(stream, codec: codec) == [
                .usage(ModelUsage(inputTokens: 25, outputTokens: 1)),
                .text("¡Hola"),
                .text(" 🌍!"),
                .usage(ModelUsage(inputTokens: 25, outputTokens: 15)),
                .finish(.stop),
            ]
        )
    }

    @Test func aToolUseStreamGivesToolCallPieces() {
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: ping
            data: {"type": "ping"}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", let's check the weather:"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\":"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \\"San Francisco, CA\\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: content_block_start
            data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":2}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        #expect(
            Self.decodeInEveryChunkSize(stream, codec: codec) == [
                .usage(ModelUsage(inputTokens: 472, outputTokens: 2)),
                .text("Okay"),
                .text(", let's check the weather:"),
                .toolCall(index: 0, id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", arguments: ""),
                .toolCall(index: 0, id: nil, name: nil, arguments: #"{"location":"#),
                .toolCall(index: 0, id: nil, name: nil, arguments: #" "San Francisco, CA"}"#),
                .toolCall(index: 1, id: "toolu_02", name: "get_time", arguments: ""),
                .toolCall(index: 1, id: nil, name: nil, arguments: "{}"),
                .usage(ModelUsage(inputTokens: 472, outputTokens: 89)),
                .finish(.toolCalls),
            ]
        )
    }

    @Test func aStreamedStructuredOutputArrivesAsText() {
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"model":"claude-haiku-4-5-20251001","id":"msg_01K2JbSUMYhez5RHoK9ZCj9U","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":849,"cache_creation_input_tokens":0,"cache_read_input_tokens":800,"output_tokens":10}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_01KFbKqPYSuAKujiL6mTfzYA","name":"structured_output","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"age\\": 2"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"2}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":849,"cache_creation_input_tokens":0,"cache_read_input_tokens":800,"output_tokens":47}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        #expect(
            Self.decodeInEveryChunkSize(stream, codec: codec) == [
                .usage(ModelUsage(inputTokens: 1649, outputTokens: 10, cachedInputTokens: 800)),
                .text(#"{"age": 2"#),
                .text("2}"),
                .usage(ModelUsage(inputTokens: 1649, outputTokens: 47, cachedInputTokens: 800)),
                .finish(.stop),
            ]
        )
    }

    @Test func aStreamCutShortEndsInAFailure() {
        let complete = """
            event: message_start
            data: {"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}


            """
        let events = Self.decodeInEveryChunkSize(
            complete + "event: content_block_delta\ndata: {\"type\":\"content",
            codec: codec
        )
        #expect(events.dropLast() == [.usage(ModelUsage(inputTokens: 5, outputTokens: 1)), .text("Hel")])
        #expect(events.last?.modelError?.kind == .malformedResponse)
    }

    @Test func anErrorEventInTheStreamIsAFailureAndEndsIt() {
        let stream = """
            event: message_start
            data: {"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}}

            event: error
            data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        let events = Self.decodeInEveryChunkSize(stream, codec: codec)
        #expect(
            events == [
                .usage(ModelUsage(inputTokens: 5, outputTokens: 1)),
                .failure(ModelError(.retryable, providerCode: "overloaded_error", message: "Overloaded")),
            ]
        )
    }

    // MARK: Errors

    @Test func everyDocumentedErrorIsClassified() {
        let cases:
            [(
                status: Int, headers: [(name: String, value: String)], body: String, kind: ModelError.Kind,
                retryAfter: Double?
            )] = [
                (
                    400, [],
                    #"{"type":"error","error":{"type":"invalid_request_error","message":"messages: roles must alternate between \"user\" and \"assistant\""},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#,
                    .invalidRequest, nil
                ),
                (
                    400, [],
                    #"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208656 tokens > 200000 maximum"}}"#,
                    .contextWindowExceeded, nil
                ),
                (
                    400, [],
                    #"{"type":"error","error":{"type":"invalid_request_error","message":"input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again"}}"#,
                    .contextWindowExceeded, nil
                ),
                (
                    400, [],
                    #"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}"#,
                    .quotaExhausted, nil
                ),
                (
                    400, [],
                    #"{"type":"error","error":{"type":"invalid_request_error","message":"You have reached your specified API usage limits. You will regain access on 2025-01-01 at 00:00 UTC."}}"#,
                    .quotaExhausted, nil
                ),
                (
                    401, [], #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
                    .badCredentials, nil
                ),
                (
                    403, [],
                    #"{"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}}"#,
                    .badCredentials, nil
                ),
                (
                    404, [],
                    #"{"type":"error","error":{"type":"not_found_error","message":"model: claude-nonexistent"}}"#,
                    .unknownModel, nil
                ),
                (
                    413, [],
                    #"{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}"#,
                    .contextWindowExceeded, nil
                ),
                (
                    429, [("retry-after", "30")],
                    #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#,
                    .retryable, 30
                ),
                (
                    429, [],
                    #"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API usage limits.","details":{"error_code":"enforced_spend_limit_reached"}}}"#,
                    .quotaExhausted, nil
                ),
                (
                    500, [], #"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#,
                    .retryable, nil
                ),
                (
                    529, [("Retry-After", "2")],
                    #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#, .retryable, 2
                ),
                (502, [], "<html><body>Bad gateway</body></html>", .retryable, nil),
            ]
        for item in cases {
            let error = codec.response(status: item.status, headers: item.headers, body: Data(item.body.utf8))
                .modelError
            #expect(error?.kind == item.kind, "\(item.status) \(item.body)")
            #expect(error?.status == item.status)
            #expect(error?.retryAfter == item.retryAfter, "\(item.status) \(item.body)")
        }
        let auth = codec.response(status: 401, headers: [], body: Data(cases[5].body.utf8)).modelError
        #expect(auth?.providerCode == "authentication_error")
        #expect(auth?.message == "invalid x-api-key")
    }
}
