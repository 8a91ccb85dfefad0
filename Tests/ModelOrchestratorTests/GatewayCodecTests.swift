import ChorusCore
import Foundation
import Testing

@testable import ModelOrchestrator

/// The request bodies below follow OpenAI's Chat Completions reference and what the official SDKs send; the answers
/// are checked by decoding them, as a client would.
@Suite struct GatewayCodecTests {
    // MARK: Requests

    @Test func minimalRequestParses() throws {
        let parsed = try Self.parse(#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hello!"}]}"#)
        #expect(parsed == GatewayRequest(model: "gpt-4.1", request: ModelRequest(messages: [.user("Hello!")])))
        #expect(parsed.request.system == nil)
        #expect(!parsed.stream && !parsed.includeUsage && parsed.user == nil)
    }

    @Test func systemAndDeveloperMessagesJoinWherever() throws {
        let parsed = try Self.parse(
            """
            {
                "model": "m",
                "messages": [
                    {"role": "system", "content": "You are terse."},
                    {"role": "user", "content": "Hi"},
                    {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
                    {"role": "assistant", "content": "Salut"},
                    {"role": "system", "content": "No emoji."}
                ]
            }
            """
        )
        #expect(parsed.request.system == "You are terse.\n\nAnswer in French.\n\nNo emoji.")
        #expect(parsed.request.messages == [.user("Hi"), .assistant("Salut")])
    }

    @Test func textPartsAreConcatenated() throws {
        let parsed = try Self.parse(
            """
            {
                "model": "m",
                "messages": [
                    {"role": "user", "content": [
                        {"type": "text", "text": "What is "},
                        {"type": "text", "text": "in this text?"}
                    ], "name": "ada"},
                    {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't help with that."}]},
                    {"role": "assistant", "content": null, "refusal": "Still no."},
                    {"role": "user", "content": []}
                ]
            }
            """
        )
        #expect(
            parsed.request.messages == [
                .user("What is in this text?"), .assistant("I can't help with that."), .assistant("Still no."),
                .user(""),
            ]
        )
    }

    @Test func toolsToolCallsAndToolResultsParse() throws {
        let parsed = try Self.parse(
            """
            {
                "model": "gpt-4.1",
                "messages": [
                    {"role": "user", "content": "What's the weather like in Paris today?"},
                    {
                        "role": "assistant",
                        "content": null,
                        "tool_calls": [{
                            "id": "call_12345xyz",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": "{\\"location\\":\\"Paris, France\\"}"}
                        }]
                    },
                    {"role": "tool", "tool_call_id": "call_12345xyz", "content": "14°C and light rain"}
                ],
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "get_weather",
                            "description": "Get current temperature for a given location.",
                            "parameters": {
                                "type": "object",
                                "properties": {"location": {"type": "string"}},
                                "required": ["location"],
                                "additionalProperties": false
                            },
                            "strict": true
                        }
                    },
                    {"type": "function", "function": {"name": "get_time"}}
                ],
                "tool_choice": "auto",
                "parallel_tool_calls": false
            }
            """
        )
        #expect(
            parsed.request.messages == [
                .user("What's the weather like in Paris today?"),
                ModelMessage(
                    role: .assistant,
                    content: "",
                    toolCalls: [
                        ModelToolCall(
                            id: "call_12345xyz",
                            name: "get_weather",
                            arguments: #"{"location":"Paris, France"}"#
                        )
                    ]
                ),
                ModelMessage(role: .tool, content: "14°C and light rain", toolCallID: "call_12345xyz"),
            ]
        )
        #expect(
            parsed.request.tools == [
                ModelTool(
                    name: "get_weather",
                    description: "Get current temperature for a given location.",
                    parameters: try Self.value(
                        """
                        {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"],
                         "additionalProperties": false}
                        """
                    )
                ),
                ModelTool(name: "get_time", parameters: try Self.value(#"{"type": "object", "properties": {}}"#)),
            ]
        )
    }

    @Test(
        arguments: [
            (#"{"type": "text"}"#, nil),
            (#"{"type": "json_object"}"#, #"{"type": "object"}"#),
            (
                #"""
                {"type": "json_schema", "json_schema": {"name": "math_reasoning", "strict": true, "schema":
                    {"type": "object", "properties": {"final_answer": {"type": "string"}}, "required": ["final_answer"]}}}
                """#,
                #"{"type": "object", "properties": {"final_answer": {"type": "string"}}, "required": ["final_answer"]}"#
            ),
            (#"{"type": "json_schema", "json_schema": {"name": "anything"}}"#, #"{"type": "object"}"#),
        ] as [(String, String?)]
    )
    func responseFormatsBecomeResponseSchemas(format: String, schema: String?) throws {
        let parsed = try Self.parse(
            #"{"model": "m", "messages": [{"role": "user", "content": "Hi"}], "response_format": \#(format)}"#
        )
        #expect(parsed.request.responseSchema == (try schema.map(Self.value)))
    }

    @Test func optionsParse() throws {
        let parsed = try Self.parse(
            """
            {
                "model": "m",
                "messages": [{"role": "user", "content": "Hi"}],
                "temperature": 0.2,
                "max_completion_tokens": 300,
                "max_tokens": 100,
                "stop": ["\\n\\n", "END"],
                "n": 1,
                "stream": true,
                "stream_options": {"include_usage": true},
                "user": "user-1234"
            }
            """
        )
        #expect(parsed.request.temperature == 0.2)
        #expect(parsed.request.maxTokens == 300)
        #expect(parsed.request.stop == ["\n\n", "END"])
        #expect(parsed.stream && parsed.includeUsage)
        #expect(parsed.user == "user-1234")

        let older = try Self.parse(
            #"""
            {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 100, "stop": "END",
             "stream_options": {"include_usage": true}, "temperature": null}
            """#
        )
        #expect(older.request.maxTokens == 100)
        #expect(older.request.stop == ["END"])
        #expect(older.request.temperature == nil)
        // Usage is a stream's final chunk: without a stream there is none to ask for.
        #expect(!older.stream && !older.includeUsage)
    }

    @Test func ignoredMembersAreAccepted() throws {
        let parsed = try Self.parse(
            """
            {
                "model": "gpt-4.1",
                "messages": [{"role": "user", "content": "Hi"}],
                "top_p": 1, "frequency_penalty": 0, "presence_penalty": 0, "seed": 42,
                "logit_bias": {"50256": -100}, "parallel_tool_calls": true, "tool_choice": "none",
                "metadata": {"team": "support"}, "store": false, "service_tier": "auto", "reasoning_effort": "low",
                "logprobs": false, "top_logprobs": 0, "modalities": ["text"], "prediction": null, "audio": null,
                "web_search_options": {}, "verbosity": "medium", "prompt_cache_key": "k", "safety_identifier": "s"
            }
            """
        )
        #expect(parsed.request == ModelRequest(messages: [.user("Hi")]))
        #expect(GatewayRequest.ignoredMembers.count == 20)
    }

    // MARK: Request errors

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var body: String
        var errors: [(pointer: String, code: GatewayRequestError.Code)]
        var testDescription: String { body }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(body: #"{"model": "m", "messages": [}"#, errors: [("", .syntax)]),
        ErrorCase(body: "", errors: [("", .syntax)]),
        ErrorCase(body: #"["model"]"#, errors: [("", .type)]),
        ErrorCase(body: #""hello""#, errors: [("", .type)]),
        ErrorCase(body: "{}", errors: [("/model", .required), ("/messages", .required)]),
        ErrorCase(body: #"{"model": " ", "messages": []}"#, errors: [("/model", .empty), ("/messages", .empty)]),
        ErrorCase(body: #"{"model": 4, "messages": {}}"#, errors: [("/model", .type), ("/messages", .type)]),
        ErrorCase(
            body: #"{"model": "m", "messages": ["Hi", {"content": "Hi"}, {"role": "robot", "content": "Hi"}]}"#,
            errors: [("/messages/0", .type), ("/messages/1/role", .required), ("/messages/2/role", .invalid)]
        ),
        ErrorCase(
            body: #"{"model": "m", "messages": [{"role": "function", "name": "f", "content": "1"}]}"#,
            errors: [("/messages/0/role", .unsupported)]
        ),
        ErrorCase(
            body: #"""
                {"model": "m", "messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Hi"},
                 {"role": "user", "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "input_audio", "input_audio": {"data": "", "format": "wav"}},
                    {"type": "file", "file": {"file_id": "file-1"}},
                    {"type": "text"},
                    "text",
                    {"type": "refusal", "refusal": "no"}
                 ]}]}
                """#,
            errors: [
                ("/messages/2/content/1/type", .unsupported), ("/messages/2/content/2/type", .unsupported),
                ("/messages/2/content/3/type", .unsupported), ("/messages/2/content/4/text", .required),
                ("/messages/2/content/5", .type), ("/messages/2/content/6/type", .unsupported),
            ]
        ),
        ErrorCase(
            body: #"""
                {"model": "m", "messages": [
                    {"role": "user"}, {"role": "system", "content": 3}, {"role": "assistant"},
                    {"role": "tool", "content": "14°C"}, {"role": "tool", "tool_call_id": "", "content": null}
                ]}
                """#,
            errors: [
                ("/messages/0/content", .required), ("/messages/1/content", .type),
                ("/messages/2/content", .required), ("/messages/3/tool_call_id", .required),
                ("/messages/4/tool_call_id", .empty), ("/messages/4/content", .required),
            ]
        ),
        ErrorCase(
            body: #"""
                {"model": "m", "messages": [{"role": "assistant", "tool_calls": [
                    {"type": "function", "function": {"name": "f", "arguments": "{}"}},
                    {"id": "call_2", "type": "custom", "custom": {"name": "f", "input": "x"}},
                    {"id": "call_3", "function": {"name": "", "arguments": {"a": 1}}},
                    7
                ]}]}
                """#,
            errors: [
                ("/messages/0/tool_calls/0/id", .required), ("/messages/0/tool_calls/1/type", .unsupported),
                ("/messages/0/tool_calls/1/function", .required), ("/messages/0/tool_calls/2/function/name", .empty),
                ("/messages/0/tool_calls/2/function/arguments", .type), ("/messages/0/tool_calls/3", .type),
            ]
        ),
        ErrorCase(
            body: #"""
                {"model": "m", "messages": [{"role": "user", "content": "Hi"}],
                 "temperature": 2.5, "max_completion_tokens": 0, "max_tokens": 1.5, "n": 2}
                """#,
            errors: [
                ("/temperature", .range), ("/max_completion_tokens", .range), ("/max_tokens", .type),
                ("/n", .unsupported),
            ]
        ),
        ErrorCase(
            body: #"""
                {"model": "m", "messages": [{"role": "user", "content": "Hi"}],
                 "temperature": "hot", "stop": ["a", "b", "c", "d", "e"], "n": "one", "stream": "yes",
                 "stream_options": {"include_usage": 1}, "user": 12}
                """#,
            errors: [
                ("/temperature", .type), ("/stop", .range), ("/n", .type), ("/stream", .type),
                ("/stream_options/include_usage", .type), ("/user", .type),
            ]
        ),
        ErrorCase(
            body: #"{"model": "m", "messages": [{"role": "user", "content": "Hi"}], "stop": ["", 5]}"#,
            errors: [("/stop/0", .empty), ("/stop/1", .type)]
        ),
        ErrorCase(
            body: #"""
                {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "tools": [
                    {"type": "custom", "custom": {"name": "grammar"}},
                    {"function": {"name": "f"}},
                    {"type": "function"},
                    {"type": "function", "function": {"name": "f", "description": 1, "parameters": "{}"}},
                    "f"
                ]}
                """#,
            errors: [
                ("/tools/0/type", .unsupported), ("/tools/1/type", .required), ("/tools/2/function", .required),
                ("/tools/3/function/description", .type), ("/tools/3/function/parameters", .type), ("/tools/4", .type),
            ]
        ),
        ErrorCase(
            body: #"""
                {"model": "m", "messages": [{"role": "user", "content": "Hi"}],
                 "response_format": {"type": "json_schema", "json_schema": {"schema": []}}}
                """#,
            errors: [("/response_format/json_schema/name", .required), ("/response_format/json_schema/schema", .type)]
        ),
        ErrorCase(
            body:
                #"{"model": "m", "messages": [{"role": "user", "content": "Hi"}], "response_format": {"type": "xml"}}"#,
            errors: [("/response_format/type", .unsupported)]
        ),
        ErrorCase(
            body: #"{"model": "m", "messages": [{"role": "user", "content": "Hi"}], "response_format": "json"}"#,
            errors: [("/response_format", .type)]
        ),
        ErrorCase(
            body: #"""
                {"model": "m", "messages": [{"role": "user", "content": "Hi"}],
                 "functions": [], "a/b~c": 1, "best_of": 2}
                """#,
            errors: [("/a~1b~0c", .unknown), ("/best_of", .unknown), ("/functions", .unknown)]
        ),
    ]

    @Test(arguments: errorCases)
    func requestErrorsCarryTheirPointers(_ errorCase: ErrorCase) throws {
        let error = try #require(Self.failure(errorCase.body))
        #expect(error.errors.map(\.pointer) == errorCase.errors.map(\.pointer))
        #expect(error.errors.map(\.code) == errorCase.errors.map(\.code))
        for problem in error.errors {
            #expect(problem.message.hasSuffix(".") && problem.message.first?.isLetter == true, "\(problem.message)")
        }
    }

    @Test func everyErrorIsReportedAtOnce() throws {
        let error = try #require(
            Self.failure(
                #"""
                {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
                 {"role": "tool", "content": "done"}], "temperature": -1, "n": 3, "logprobs": true, "extra": true}
                """#
            )
        )
        #expect(
            error.errors.map(\.pointer) == [
                "/model", "/messages/0/content/0/type", "/messages/1/tool_call_id", "/temperature", "/n", "/extra",
            ]
        )
        #expect(error.param == "model")
        #expect(error.errors.first { $0.pointer == "/n" }?.message == "Only n=1 is supported.")
        #expect(error.description.contains("/messages/0/content/0/type: Content parts of type \"image_url\""))
    }

    @Test func paramIsTheFirstErrorsTopLevelMember() throws {
        let messages = try #require(Self.failure(#"{"model": "m", "messages": [{"role": "robot", "content": "x"}]}"#))
        #expect(messages.param == "messages")
        let unknown = try #require(
            Self.failure(#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "a/b~c": 1}"#)
        )
        #expect(unknown.param == "a/b~c")
        let syntax = try #require(Self.failure("{"))
        #expect(syntax.param == nil)
        #expect(GatewayRequestError.FieldError(pointer: "/~01", code: .unknown, message: "x.").param == "~1")
    }

    @Test func requestErrorsAnswerAsOpenAIErrors() throws {
        let error = try #require(Self.failure(#"{"model": "m", "messages": [], "seed": 1, "stream": 1}"#))
        let answer = GatewayError(error)
        #expect(answer.status == 400)
        let body = try Self.value(answer.body)
        #expect(
            body
                == .object([
                    "error": .object([
                        "message": .string(
                            "/messages: messages must contain at least one message. "
                                + "/stream: stream must be true or false, not a number."
                        ),
                        "type": .string("invalid_request_error"),
                        "param": .string("messages"),
                        "code": .string("invalid_value"),
                    ])
                ])
        )
        let syntax = GatewayError(try #require(Self.failure("not json")))
        #expect(
            try Self.value(syntax.body)
                == Self.value(
                    #"""
                    {"error": {"message": "The request body is not valid JSON.", "type": "invalid_request_error",
                               "param": null, "code": null}}
                    """#
                )
        )
        let missing = GatewayError(try #require(Self.failure(#"{"messages": [{"role": "user", "content": "x"}]}"#)))
        #expect(missing.code == "missing_required_parameter" && missing.param == "model")
        let unknown = GatewayError(
            try #require(Self.failure(#"{"model": "m", "messages": [{"role": "user", "content": "x"}], "best_of": 2}"#))
        )
        #expect(unknown.code == "unknown_parameter" && unknown.param == "best_of")
    }

    // MARK: Complete answers

    @Test func textCompletionEncodes() throws {
        let response = ModelResponse(
            text: "Hello! How can I help?",
            finishReason: .stop,
            usage: ModelUsage(inputTokens: 19, outputTokens: 10, cachedInputTokens: 3, reasoningTokens: 2),
            model: "gpt-4.1-2025-04-14"
        )
        let body = GatewayEncoding.completion(response, id: "chatcmpl-1", model: "gpt-4.1", created: 1_741_569_952)
        #expect(
            try Self.value(body)
                == Self.value(
                    """
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": 1741569952,
                        "model": "gpt-4.1",
                        "choices": [{
                            "index": 0,
                            "message": {"role": "assistant", "content": "Hello! How can I help?", "refusal": null},
                            "finish_reason": "stop",
                            "logprobs": null
                        }],
                        "usage": {
                            "prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
                            "prompt_tokens_details": {"cached_tokens": 3},
                            "completion_tokens_details": {"reasoning_tokens": 2}
                        }
                    }
                    """
                )
        )
        // Whole numbers are written as integers, which strict clients require of counts and timestamps.
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#""created":1741569952,"#) && text.contains(#""total_tokens":29"#))
        #expect(
            body == GatewayEncoding.completion(response, id: "chatcmpl-1", model: "gpt-4.1", created: 1_741_569_952)
        )
    }

    @Test func toolCallCompletionEncodes() throws {
        let response = ModelResponse(
            text: "",
            toolCalls: [
                ModelToolCall(id: "call_1", name: "get_weather", arguments: #"{"location":"Paris"}"#),
                ModelToolCall(id: "call_2", name: "get_time", arguments: ""),
            ],
            finishReason: .toolCalls,
            usage: ModelUsage(inputTokens: 80, outputTokens: 20)
        )
        let body = GatewayEncoding.completion(response, id: "chatcmpl-2", model: "m", created: 1)
        let choice = try Self.value(body)["choices"]?[0]
        #expect(
            choice
                == (try Self.value(
                    """
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": null,
                            "tool_calls": [
                                {"id": "call_1", "type": "function",
                                 "function": {"name": "get_weather", "arguments": "{\\"location\\":\\"Paris\\"}"}},
                                {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
                            ],
                            "refusal": null
                        },
                        "finish_reason": "tool_calls",
                        "logprobs": null
                    }
                    """
                ))
        )
    }

    @Test func refusalCompletionPutsTheTextInRefusal() throws {
        let response = ModelResponse(text: "I can't help with that.", finishReason: .refusal, usage: ModelUsage())
        let root = try Self.value(GatewayEncoding.completion(response, id: "c", model: "m", created: 1))
        #expect(root["choices"]?[0]?["message"]?["content"] == .null)
        #expect(root["choices"]?[0]?["message"]?["refusal"] == .string("I can't help with that."))
        #expect(root["choices"]?[0]?["finish_reason"] == .string("stop"))
    }

    @Test(
        arguments: [
            (FinishReason.stop, "stop"), (.length, "length"), (.contentFilter, "content_filter"),
            (.toolCalls, "tool_calls"), (.refusal, "stop"),
        ] as [(FinishReason, String)]
    )
    func finishReasonsMap(reason: FinishReason, wire: String) throws {
        let response = ModelResponse(text: "x", finishReason: reason, usage: ModelUsage())
        let root = try Self.value(GatewayEncoding.completion(response, id: "c", model: "m", created: 1))
        #expect(root["choices"]?[0]?["finish_reason"] == .string(wire))
    }

    // MARK: Model errors

    @Test(arguments: [
        (ModelError(.retryable, message: "could not reach openai"), 502, "server_error", "upstream_error"),
        (ModelError(.retryable, status: 500, message: "boom"), 502, "server_error", "upstream_error"),
        (ModelError(.retryable, status: 504, message: "slow"), 504, "server_error", "upstream_timeout"),
        (ModelError(.retryable, status: 408, message: "slow"), 504, "server_error", "upstream_timeout"),
        (ModelError(.retryable, status: 429, message: "slow down"), 503, "server_error", "upstream_overloaded"),
        (ModelError(.retryable, status: 529, message: "overloaded"), 503, "server_error", "upstream_overloaded"),
        (
            ModelError(.contextWindowExceeded, message: "too long"), 400, "invalid_request_error",
            "context_length_exceeded"
        ),
        (ModelError(.contentPolicy, message: "blocked"), 400, "invalid_request_error", "content_policy_violation"),
        (
            ModelError(.badCredentials, status: 401, message: "bad key"), 502, "server_error",
            "upstream_credentials_rejected"
        ),
        (
            ModelError(.unknownModel, status: 404, message: "no such model"), 404, "invalid_request_error",
            "model_not_found"
        ),
        (ModelError(.quotaExhausted, message: "budget used up"), 429, "insufficient_quota", "insufficient_quota"),
        (ModelError(.invalidRequest, status: 400, message: "bad"), 400, "invalid_request_error", "invalid_request"),
        (ModelError(.malformedResponse, message: "cut short"), 502, "server_error", "upstream_malformed_response"),
    ])
    func modelErrorsMapToStatusesAndCodes(error: ModelError, status: Int, type: String, code: String) throws {
        let answer = GatewayError(error)
        #expect(answer.status == status)
        #expect(GatewayError.status(for: error) == status)
        let object = try Self.value(answer.body)["error"]
        #expect(object?["type"] == .string(type))
        #expect(object?["code"] == .string(code))
        #expect(object?["param"] != nil)
        if error.kind == .badCredentials {
            #expect(object?["message"] != .string(error.message))
        } else {
            #expect(object?["message"] == .string(error.message))
        }
    }

    @Test func retryAfterIsKeptForRetryableFailuresOnly() {
        #expect(GatewayError(ModelError(.retryable, status: 429, retryAfter: 20, message: "x")).retryAfter == 20)
        #expect(GatewayError(ModelError(.quotaExhausted, status: 429, retryAfter: 20, message: "x")).retryAfter == nil)
        #expect(GatewayError(ModelError(.unknownModel, message: "")).message.isEmpty == false)
    }

    // MARK: Streams

    @Test func textStreamWithoutUsage() throws {
        var encoder = GatewayStreamEncoder(
            id: "chatcmpl-3",
            model: "gpt-4.1",
            created: 1_700_000_000,
            includeUsage: false
        )
        let frames = Self.encode(
            [
                .text("Hel"), .text(""), .text("lo"), .usage(ModelUsage(inputTokens: 5, outputTokens: 2)),
                .finish(.stop),
            ],
            with: &encoder
        )
        let chunk = #""id": "chatcmpl-3", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4.1""#
        try Self.expectFrames(
            frames,
            [
                #"{\#(chunk), "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "logprobs": null, "finish_reason": null}]}"#,
                #"{\#(chunk), "choices": [{"index": 0, "delta": {"content": "lo"}, "logprobs": null, "finish_reason": null}]}"#,
                #"{\#(chunk), "choices": [{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}]}"#,
                "[DONE]",
            ]
        )
        #expect(frames.allSatisfy { !$0.contains("usage") })
        #expect(encoder.isOver)
        #expect(encoder.frames(for: .text("late")).isEmpty && encoder.end().isEmpty)
    }

    @Test func textStreamWithUsageEndsWithAUsageChunk() throws {
        var encoder = GatewayStreamEncoder(id: "c", model: "m", created: 1, includeUsage: true)
        let frames = Self.encode(
            [
                .usage(ModelUsage(inputTokens: 12)), .text("Hi"), .text(" there"),
                .usage(ModelUsage(outputTokens: 3, reasoningTokens: 1)), .finish(.length),
            ],
            with: &encoder
        )
        let chunk = #""id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m""#
        try Self.expectFrames(
            frames,
            [
                #"{\#(chunk), "usage": null, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "logprobs": null, "finish_reason": null}]}"#,
                #"{\#(chunk), "usage": null, "choices": [{"index": 0, "delta": {"content": " there"}, "logprobs": null, "finish_reason": null}]}"#,
                #"{\#(chunk), "usage": null, "choices": [{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "length"}]}"#,
                #"""
                {\#(chunk), "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
                 "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 1}}}
                """#,
                "[DONE]",
            ]
        )
    }

    @Test func toolCallStream() throws {
        var encoder = GatewayStreamEncoder(id: "c", model: "m", created: 1, includeUsage: false)
        let frames = Self.encode(
            [
                .toolCall(index: 0, id: "call_1", name: "get_weather", arguments: ""),
                .toolCall(index: 0, id: nil, name: nil, arguments: #"{"location":"#),
                .toolCall(index: 0, id: nil, name: nil, arguments: #""Paris"}"#),
                .toolCall(index: 1, id: "call_2", name: "get_time", arguments: "{}"),
                .finish(.toolCalls),
            ],
            with: &encoder
        )
        let chunk = #""id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m""#
        func choice(_ delta: String, _ finish: String = "null") -> String {
            #"{\#(chunk), "choices": [{"index": 0, "delta": \#(delta), "logprobs": null, "finish_reason": \#(finish)}]}"#
        }
        try Self.expectFrames(
            frames,
            [
                choice(
                    #"""
                    {"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": ""}}]}
                    """#
                ),
                choice(#"{"tool_calls": [{"index": 0, "function": {"arguments": "{\"location\":"}}]}"#),
                choice(#"{"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}"#),
                choice(
                    #"""
                    {"tool_calls": [{"index": 1, "id": "call_2", "type": "function",
                     "function": {"name": "get_time", "arguments": "{}"}}]}
                    """#
                ),
                choice("{}", #""tool_calls""#),
                "[DONE]",
            ]
        )
    }

    @Test func failureMidStreamEndsWithAnErrorAndNoDone() throws {
        var encoder = GatewayStreamEncoder(id: "c", model: "m", created: 1, includeUsage: true)
        let frames = Self.encode(
            [
                .text("Partial"),
                .failure(ModelError(.retryable, status: 500, message: "The server had an error.")),
                .text("more"), .finish(.stop),
            ],
            with: &encoder
        )
        #expect(frames.count == 2)
        try Self.expectFrames(
            Array(frames.dropFirst()),
            [
                #"""
                {"error": {"message": "The server had an error.", "type": "server_error", "param": null,
                           "code": "upstream_error"}}
                """#
            ]
        )
        #expect(!frames.contains(GatewayStreamEncoder.done))
        #expect(encoder.end().isEmpty)
    }

    @Test func streamThatStopsWithoutFinishingEndsWithAnError() throws {
        var encoder = GatewayStreamEncoder(id: "c", model: "m", created: 1, includeUsage: false)
        let frames = Self.encode([.text("Partial")], with: &encoder) + encoder.end()
        #expect(frames.count == 2)
        let error = try Self.value(Data(try #require(frames.last?.dropFirst("data: ".count)).utf8))
        #expect(error["error"]?["code"] == .string("upstream_malformed_response"))
        #expect(!frames.contains(GatewayStreamEncoder.done))
    }

    @Test func emptyAnswerStillCarriesTheRole() throws {
        var encoder = GatewayStreamEncoder(id: "c", model: "m", created: 1, includeUsage: false)
        let frames = Self.encode([.finish(.contentFilter)], with: &encoder)
        let chunk = #""id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m""#
        try Self.expectFrames(
            frames,
            [
                #"{\#(chunk), "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": null, "finish_reason": null}]}"#,
                #"{\#(chunk), "choices": [{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "content_filter"}]}"#,
                "[DONE]",
            ]
        )
    }

    @Test func encodedStreamDecodesBackToTheSameAnswer() {
        var encoder = GatewayStreamEncoder(id: "c", model: "m", created: 1, includeUsage: true)
        let events: [ModelStreamEvent] = [
            .text("It is "), .toolCall(index: 0, id: "call_1", name: "f", arguments: "{}"),
            .usage(ModelUsage(inputTokens: 4, outputTokens: 6)), .finish(.toolCalls),
        ]
        let wire = Self.encode(events, with: &encoder).joined()
        var decoder = OpenAIChatCodec.StreamDecoder()
        let decoded = decoder.feed(Array(wire.utf8)) + decoder.finish()
        #expect(decoded == events)
    }

    // MARK: Helpers

    static func parse(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> GatewayRequest {
        switch GatewayRequest.parse(Data(body.utf8)) {
        case .success(let request):
            return request
        case .failure(let error):
            Issue.record("The body was refused: \(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    static func failure(_ body: String) -> GatewayRequestError? {
        if case .failure(let error) = GatewayRequest.parse(Data(body.utf8)) { error } else { nil }
    }

    static func value(_ text: String) throws -> JSONValue {
        try value(Data(text.utf8))
    }

    static func value(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    static func encode(_ events: [ModelStreamEvent], with encoder: inout GatewayStreamEncoder) -> [String] {
        events.flatMap { encoder.frames(for: $0) }
    }

    /// Expects each frame to be one `data:` event whose payload is `[DONE]` or the JSON document expected.
    static func expectFrames(
        _ frames: [String],
        _ expected: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(frames.count == expected.count, "\(frames)", sourceLocation: sourceLocation)
        for (frame, wanted) in zip(frames, expected) {
            #expect(frame.hasPrefix("data: ") && frame.hasSuffix("\n\n"), sourceLocation: sourceLocation)
            let payload = String(frame.dropFirst("data: ".count).dropLast(2))
            #expect(!payload.contains("\n"), sourceLocation: sourceLocation)
            if wanted == "[DONE]" {
                #expect(payload == "[DONE]", sourceLocation: sourceLocation)
            } else {
                #expect(try value(payload) == value(wanted), "\(payload)", sourceLocation: sourceLocation)
            }
        }
    }
}

extension JSONValue {
    /// The member `key` of an object.
    fileprivate subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    /// The element at `index` of an array.
    fileprivate subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { items[index] } else { nil }
    }
}
