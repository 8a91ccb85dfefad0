import ChorusCore
import Foundation
import Testing

@testable import ModelOrchestrator

/// The bodies below are the examples of OpenAI's API reference and guides, Azure OpenAI's REST reference and
/// content-filtering article, and the error bodies vLLM, the llama.cpp server, Text Generation Inference and Mistral
/// send, as published; a stream's chunks are the documented chunks framed as `data:` events.
@Suite struct OpenAIChatCodecTests {
    // MARK: Requests

    /// The weather tool of OpenAI's function-calling guide.
    static let weatherParameters: JSONValue = json(
        """
        {
            "type": "object",
            "properties": {
                "location": {
                    "type": "string",
                    "description": "City and country e.g. Bogotá, Colombia"
                }
            },
            "required": ["location"],
            "additionalProperties": false
        }
        """)

    static let toolConversation = ModelRequest(
        system: "You are a helpful assistant.",
        messages: [
            .user("What's the weather like in Paris today?"),
            ModelMessage(
                role: .assistant,
                content: "",
                toolCalls: [
                    ModelToolCall(
                        id: "call_DdmO9pD3xa9XTPNJ32zg2hcA",
                        name: "get_weather",
                        arguments: #"{"location":"Paris, France"}"#
                    )
                ]
            ),
            ModelMessage(role: .tool, content: "14°C and light rain", toolCallID: "call_DdmO9pD3xa9XTPNJ32zg2hcA"),
        ],
        temperature: 0.2,
        maxTokens: 300,
        tools: [
            ModelTool(
                name: "get_weather",
                description: "Get current temperature for a given location.",
                parameters: weatherParameters
            )
        ],
        stop: ["\n\n"]
    )

    @Test func openAIRequestCarriesSystemToolCallsToolResultsAndLimits() throws {
        let endpoint = ProviderEndpoint(
            baseURL: "https://api.openai.com/v1/",
            apiKey: "sk-test",
            model: "gpt-4.1",
            headers: ["OpenAI-Organization": "org-chorus"]
        )
        let request = try OpenAIChatCodec.openAI.httpRequest(
            for: Self.toolConversation, endpoint: endpoint, stream: false)

        #expect(request.method == "POST")
        #expect(request.url == "https://api.openai.com/v1/chat/completions")
        #expect(
            headers(request) == [
                "content-type": "application/json", "accept": "application/json",
                "authorization": "Bearer sk-test", "openai-organization": "org-chorus",
            ]
        )
        let expected = json(
            """
            {
                "model": "gpt-4.1",
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": "What's the weather like in Paris today?"},
                    {
                        "role": "assistant",
                        "content": null,
                        "tool_calls": [
                            {
                                "id": "call_DdmO9pD3xa9XTPNJ32zg2hcA",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": "{\\"location\\":\\"Paris, France\\"}"}
                            }
                        ]
                    },
                    {"role": "tool", "tool_call_id": "call_DdmO9pD3xa9XTPNJ32zg2hcA", "content": "14°C and light rain"}
                ],
                "temperature": 0.2,
                "max_completion_tokens": 300,
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "get_weather",
                            "description": "Get current temperature for a given location.",
                            "parameters": {
                                "type": "object",
                                "properties": {
                                    "location": {"type": "string", "description": "City and country e.g. Bogotá, Colombia"}
                                },
                                "required": ["location"],
                                "additionalProperties": false
                            }
                        }
                    }
                ],
                "stop": ["\\n\\n"]
            }
            """)
        #expect(try parse(request.body) == expected)
    }

    @Test func openAIStreamingRequestAsksForUsageAndStructuredOutput() throws {
        // The math tutor schema of OpenAI's structured outputs guide.
        let schema = json(
            """
            {
                "type": "object",
                "properties": {
                    "steps": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"explanation": {"type": "string"}, "output": {"type": "string"}},
                            "required": ["explanation", "output"],
                            "additionalProperties": false
                        }
                    },
                    "final_answer": {"type": "string"}
                },
                "required": ["steps", "final_answer"],
                "additionalProperties": false
            }
            """)
        let codec = OpenAIChatCodec(.openAI, responseSchemaName: "math_reasoning")
        let request = try codec.httpRequest(
            for: ModelRequest(
                system: "You are a helpful math tutor. Guide the user through the solution step by step.",
                messages: [.user("how can I solve 8x + 7 = -23")],
                responseSchema: schema
            ),
            endpoint: ProviderEndpoint(baseURL: "", apiKey: "sk-test", model: "gpt-4o-2024-08-06"),
            stream: true
        )

        #expect(request.url == "https://api.openai.com/v1/chat/completions")
        #expect(headers(request)["accept"] == "text/event-stream")
        let expected = json(
            """
            {
                "model": "gpt-4o-2024-08-06",
                "messages": [
                    {"role": "system", "content": "You are a helpful math tutor. Guide the user through the solution step by step."},
                    {"role": "user", "content": "how can I solve 8x + 7 = -23"}
                ],
                "response_format": {"type": "json_schema", "json_schema": {"name": "math_reasoning", "schema": SCHEMA, "strict": true}},
                "stream": true,
                "stream_options": {"include_usage": true}
            }
            """.replacingOccurrences(of: "SCHEMA", with: compact(schema)))
        #expect(try parse(request.body) == expected)
    }

    @Test func azureRequestNamesTheDeploymentInTheURLAndSendsAnAPIKeyHeader() throws {
        let endpoint = ProviderEndpoint(
            baseURL: "https://chorus-eu.openai.azure.com",
            apiKey: "0123456789abcdef",
            model: "gpt-4o prod",
            apiVersion: "2024-10-21"
        )
        // The request of Azure's REST reference example (`chat_completions.json`, api-version 2024-10-21).
        let conversation = ModelRequest(
            system: "you are a helpful assistant that talks like a pirate",
            messages: [.user("can you tell me how to care for a parrot?")],
            maxTokens: 800
        )
        let request = try OpenAIChatCodec.azureOpenAI.httpRequest(for: conversation, endpoint: endpoint, stream: true)

        #expect(
            request.url
                == "https://chorus-eu.openai.azure.com/openai/deployments/gpt-4o%20prod/chat/completions?api-version=2024-10-21"
        )
        let sent = headers(request)
        #expect(sent["api-key"] == "0123456789abcdef")
        #expect(sent["authorization"] == nil)
        let expected = json(
            """
            {
                "messages": [
                    {"role": "system", "content": "you are a helpful assistant that talks like a pirate"},
                    {"role": "user", "content": "can you tell me how to care for a parrot?"}
                ],
                "max_completion_tokens": 800,
                "stream": true,
                "stream_options": {"include_usage": true}
            }
            """)
        #expect(try parse(request.body) == expected)

        var unversioned = endpoint
        unversioned.apiVersion = nil
        unversioned.model = "gpt-4o"
        let defaulted = try OpenAIChatCodec.azureOpenAI.httpRequest(
            for: conversation, endpoint: unversioned, stream: false)
        #expect(defaulted.url.hasSuffix("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"))

        // A Microsoft Entra token replaces the key.
        var entra = unversioned
        entra.apiKey = nil
        entra.headers = ["Authorization": "Bearer eyJ0eXAi"]
        let withToken = try OpenAIChatCodec.azureOpenAI.httpRequest(for: conversation, endpoint: entra, stream: false)
        #expect(headers(withToken)["authorization"] == "Bearer eyJ0eXAi")
        #expect(headers(withToken)["api-key"] == nil)
    }

    @Test func compatibleServerGetsMaxTokensAndNoAuthorizationWithoutAKey() throws {
        let endpoint = ProviderEndpoint(baseURL: "http://127.0.0.1:8000/v1", model: "meta-llama/Llama-3.1-8B-Instruct")
        let request = try OpenAIChatCodec.openAICompatible.httpRequest(
            for: ModelRequest(messages: [.user("Hello!")], temperature: 0, maxTokens: 64, stop: ["</s>"]),
            endpoint: endpoint,
            stream: true
        )

        #expect(OpenAIChatCodec.openAICompatible.name == "openai-compatible")
        #expect(request.url == "http://127.0.0.1:8000/v1/chat/completions")
        #expect(headers(request) == ["content-type": "application/json", "accept": "text/event-stream"])
        let expected = json(
            """
            {
                "model": "meta-llama/Llama-3.1-8B-Instruct",
                "messages": [{"role": "user", "content": "Hello!"}],
                "temperature": 0,
                "max_tokens": 64,
                "stop": ["</s>"],
                "stream": true,
                "stream_options": {"include_usage": true}
            }
            """)
        #expect(try parse(request.body) == expected)

        // With a key (LM Studio, a vLLM started with --api-key) it is a bearer token.
        var keyed = endpoint
        keyed.apiKey = "token-abc123"
        let withKey = try OpenAIChatCodec.openAICompatible.httpRequest(
            for: ModelRequest(messages: [.user("Hello!")]),
            endpoint: keyed,
            stream: false
        )
        #expect(headers(withKey)["authorization"] == "Bearer token-abc123")
    }

    @Test func mistralGetsMaxTokensJSONSchemaAndNoStreamOptions() throws {
        // The book schema of Mistral's custom structured outputs page.
        let schema = json(
            """
            {
                "type": "object",
                "title": "Book",
                "properties": {
                    "name": {"type": "string", "title": "Name"},
                    "authors": {"type": "array", "items": {"type": "string"}, "title": "Authors"}
                },
                "required": ["name", "authors"],
                "additionalProperties": false
            }
            """)
        let codec = OpenAIChatCodec(.mistral, responseSchemaName: "book")
        let request = try codec.httpRequest(
            for: ModelRequest(
                system: "Extract the books information.",
                messages: [
                    .user("I recently read 'To Kill a Mockingbird' by Harper Lee."),
                    ModelMessage(
                        role: .assistant,
                        content: "",
                        toolCalls: [ModelToolCall(id: "D681PevKs", name: "retrieve_payment_status", arguments: "")]
                    ),
                    ModelMessage(role: .tool, content: #"{"status": "Paid"}"#, toolCallID: "D681PevKs"),
                ],
                maxTokens: 256,
                responseSchema: schema
            ),
            endpoint: ProviderEndpoint(baseURL: "", apiKey: "mistral-key", model: "ministral-8b-latest"),
            stream: true
        )

        #expect(request.url == "https://api.mistral.ai/v1/chat/completions")
        #expect(headers(request)["authorization"] == "Bearer mistral-key")
        let body = try parse(request.body)
        let expected = json(
            """
            {
                "model": "ministral-8b-latest",
                "messages": [
                    {"role": "system", "content": "Extract the books information."},
                    {"role": "user", "content": "I recently read 'To Kill a Mockingbird' by Harper Lee."},
                    {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {"id": "D681PevKs", "type": "function", "function": {"name": "retrieve_payment_status", "arguments": "{}"}}
                        ]
                    },
                    {"role": "tool", "tool_call_id": "D681PevKs", "content": "{\\"status\\": \\"Paid\\"}"}
                ],
                "max_tokens": 256,
                "response_format": {"type": "json_schema", "json_schema": {"name": "book", "schema": SCHEMA, "strict": true}},
                "stream": true
            }
            """.replacingOccurrences(of: "SCHEMA", with: compact(schema)))
        #expect(body == expected)
    }

    @Test func requestsThatCannotBeSentAreRefusedWithAClassifiedError() {
        let conversation = ModelRequest(messages: [.user("Hello!")])
        let noKey = requestError(.openAI, conversation, ProviderEndpoint(baseURL: "", model: "gpt-4o"))
        #expect(noKey?.kind == .badCredentials)

        let noDeployment = requestError(
            .azureOpenAI,
            conversation,
            ProviderEndpoint(baseURL: "https://chorus-eu.openai.azure.com", apiKey: "k", model: " ")
        )
        #expect(noDeployment?.kind == .invalidRequest)

        let noBase = requestError(.openAICompatible, conversation, ProviderEndpoint(baseURL: "", model: "m"))
        #expect(noBase?.kind == .invalidRequest)

        let orphanResult = requestError(
            .openAI,
            ModelRequest(messages: [.user("Hi"), ModelMessage(role: .tool, content: "42")]),
            ProviderEndpoint(baseURL: "", apiKey: "k", model: "gpt-4o")
        )
        #expect(orphanResult?.kind == .invalidRequest)

        let zeroLimit = requestError(
            .mistral,
            ModelRequest(messages: [.user("Hi")], maxTokens: 0),
            ProviderEndpoint(baseURL: "", apiKey: "k", model: "mistral-small-latest")
        )
        #expect(zeroLimit?.kind == .invalidRequest)

        let notANumber = requestError(
            .openAI,
            ModelRequest(messages: [.user("Hi")], temperature: .nan),
            ProviderEndpoint(baseURL: "", apiKey: "k", model: "gpt-4o")
        )
        #expect(notANumber?.kind == .invalidRequest)

        let injected = requestError(
            .openAI,
            conversation,
            ProviderEndpoint(baseURL: "", apiKey: "k", model: "gpt-4o", headers: ["X-Trace": "a\r\nHost: evil"])
        )
        #expect(injected?.kind == .invalidRequest)
    }

    // MARK: Responses

    @Test func documentedTextResponseGivesTextUsageAndModel() throws {
        // The "Default" example of OpenAI's Create chat completion reference.
        let body = """
            {
              "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
              "object": "chat.completion",
              "created": 1741569952,
              "model": "gpt-4.1-2025-04-14",
              "choices": [
                {
                  "index": 0,
                  "message": {
                    "role": "assistant",
                    "content": "Hello! How can I assist you today?",
                    "refusal": null,
                    "annotations": []
                  },
                  "logprobs": null,
                  "finish_reason": "stop"
                }
              ],
              "usage": {
                "prompt_tokens": 19,
                "completion_tokens": 10,
                "total_tokens": 29,
                "prompt_tokens_details": {
                  "cached_tokens": 0,
                  "audio_tokens": 0
                },
                "completion_tokens_details": {
                  "reasoning_tokens": 0,
                  "audio_tokens": 0,
                  "accepted_prediction_tokens": 0,
                  "rejected_prediction_tokens": 0
                }
              },
              "service_tier": "default"
            }
            """
        let response = try OpenAIChatCodec.openAI.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(
            response
                == ModelResponse(
                    text: "Hello! How can I assist you today?",
                    finishReason: .stop,
                    usage: ModelUsage(inputTokens: 19, outputTokens: 10),
                    model: "gpt-4.1-2025-04-14"
                )
        )
    }

    @Test func documentedToolCallResponseGivesTheCalls() throws {
        // The "Functions" example of OpenAI's Create chat completion reference.
        let body = """
            {
              "id": "chatcmpl-abc123",
              "object": "chat.completion",
              "created": 1699896916,
              "model": "gpt-4o-mini",
              "choices": [
                {
                  "index": 0,
                  "message": {
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [
                      {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {
                          "name": "get_current_weather",
                          "arguments": "{\\n\\"location\\": \\"Boston, MA\\"\\n}"
                        }
                      }
                    ]
                  },
                  "logprobs": null,
                  "finish_reason": "tool_calls"
                }
              ],
              "usage": {
                "prompt_tokens": 82,
                "completion_tokens": 17,
                "total_tokens": 99,
                "completion_tokens_details": {
                  "reasoning_tokens": 0,
                  "accepted_prediction_tokens": 0,
                  "rejected_prediction_tokens": 0
                }
              }
            }
            """
        let response = try OpenAIChatCodec.openAI.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(response.text == "")
        #expect(
            response.toolCalls == [
                ModelToolCall(
                    id: "call_abc123", name: "get_current_weather", arguments: "{\n\"location\": \"Boston, MA\"\n}")
            ]
        )
        #expect(response.finishReason == .toolCalls)
        #expect(response.usage == ModelUsage(inputTokens: 82, outputTokens: 17))
    }

    @Test func documentedRefusalBecomesTheTextWithFinishReasonRefusal() throws {
        // The refusal example of OpenAI's structured outputs guide: the finish reason says only `stop`.
        let body = """
            {
              "id": "chatcmpl-9nYAG9LPNonX8DAyrkwYfemr3C8HC",
              "object": "chat.completion",
              "created": 1721596428,
              "model": "gpt-4o-2024-08-06",
              "choices": [
                {
                  "index": 0,
                  "message": {
                    "role": "assistant",
                    "refusal": "I'm sorry, I cannot assist with that request."
                  },
                  "logprobs": null,
                  "finish_reason": "stop"
                }
              ],
              "usage": {
                "prompt_tokens": 81,
                "completion_tokens": 11,
                "total_tokens": 92,
                "completion_tokens_details": {
                  "reasoning_tokens": 0,
                  "accepted_prediction_tokens": 0,
                  "rejected_prediction_tokens": 0
                }
              },
              "system_fingerprint": "fp_3407719c7f"
            }
            """
        let response = try OpenAIChatCodec.openAI.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(response.text == "I'm sorry, I cannot assist with that request.")
        #expect(response.finishReason == .refusal)
        #expect(response.model == "gpt-4o-2024-08-06")
    }

    @Test func cachedAndReasoningTokensAreRead() throws {
        // The usage of OpenAI's prompt caching guide, with reasoning tokens as a reasoning model reports them.
        let body = """
            {
              "id": "chatcmpl-cache",
              "object": "chat.completion",
              "created": 1741569952,
              "model": "o3-mini",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": "Done."}, "finish_reason": "length"}],
              "usage": {
                "prompt_tokens": 2006,
                "completion_tokens": 300,
                "total_tokens": 2306,
                "prompt_tokens_details": {"cached_tokens": 1920},
                "completion_tokens_details": {"reasoning_tokens": 256}
              }
            }
            """
        let response = try OpenAIChatCodec.openAI.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(response.finishReason == .length)
        #expect(
            response.usage
                == ModelUsage(inputTokens: 2006, outputTokens: 300, cachedInputTokens: 1920, reasoningTokens: 256)
        )
    }

    @Test func azureResponsesWithFilterResultsAndAContentFilterFinish() throws {
        // Azure's REST reference example, with the prompt annotations its content-filtering article shows.
        let pirate = """
            {
              "id": "chatcmpl-7R1nGnsXO8n4oi9UPz2f3UHdgAYMn",
              "created": 1686676106,
              "choices": [
                {
                  "index": 0,
                  "finish_reason": "stop",
                  "message": {"role": "assistant", "content": "Ahoy matey! So ye be wantin' to care for a fine squawkin' parrot, eh?"},
                  "content_filter_results": {
                    "hate": {"filtered": false, "severity": "safe"},
                    "self_harm": {"filtered": false, "severity": "safe"},
                    "sexual": {"filtered": false, "severity": "safe"},
                    "violence": {"filtered": false, "severity": "safe"}
                  }
                }
              ],
              "usage": {"completion_tokens": 557, "prompt_tokens": 33, "total_tokens": 590},
              "prompt_filter_results": [
                {
                  "prompt_index": 0,
                  "content_filter_results": {
                    "hate": {"filtered": false, "severity": "safe"},
                    "jailbreak": {"detected": false, "filtered": false},
                    "self_harm": {"filtered": false, "severity": "safe"},
                    "sexual": {"filtered": false, "severity": "safe"},
                    "violence": {"filtered": false, "severity": "safe"}
                  }
                }
              ]
            }
            """
        let answered = try OpenAIChatCodec.azureOpenAI.response(status: 200, headers: [], body: Data(pirate.utf8)).get()
        #expect(answered.text.hasPrefix("Ahoy matey!"))
        #expect(answered.usage == ModelUsage(inputTokens: 33, outputTokens: 557))
        #expect(answered.model == nil)

        // "Non-streaming calls return no content with finish_reason set to content_filter."
        for message in [#""message": {"role": "assistant", "content": null},"#, ""] {
            let filtered = """
                {
                  "id": "chatcmpl-filtered",
                  "object": "chat.completion",
                  "created": 1653666831,
                  "model": "gpt-4o-2024-08-06",
                  "choices": [{"index": 0, \(message) "finish_reason": "content_filter", "content_filter_results": {"violence": {"filtered": true, "severity": "high"}}}],
                  "usage": {"completion_tokens": 12, "prompt_tokens": 40, "total_tokens": 52}
                }
                """
            let response = try OpenAIChatCodec.azureOpenAI.response(status: 200, headers: [], body: Data(filtered.utf8))
                .get()
            #expect(response.text == "")
            #expect(response.finishReason == .contentFilter)
        }
    }

    @Test func aSuccessStatusWhoseBodyIsNoChatCompletionIsMalformed() {
        let bodies = [
            "<html><body>502 Bad Gateway</body></html>",
            "",
            #"{"object": "list", "data": []}"#,
            #"{"id": "chatcmpl-1", "object": "chat.completion", "choices": []}"#,
            #"{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0}]}"#,
            #"{"choices": [{"index": 0, "message": "hello"}]}"#,
            #"[1, 2, 3]"#,
        ]
        for body in bodies {
            let result = OpenAIChatCodec.openAI.response(status: 200, headers: [], body: Data(body.utf8))
            #expect(result.failedWith?.kind == .malformedResponse, "\(body)")
            #expect(result.failedWith?.status == 200)
        }

        // Huge and odd numbers in usage are not counts, and do not trap.
        let odd = #"""
            {"choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": null}],
             "usage": {"prompt_tokens": 1e300, "completion_tokens": -4, "prompt_tokens_details": {"cached_tokens": 2.5}}}
            """#
        let response = OpenAIChatCodec.openAICompatible.response(status: 200, headers: [], body: Data(odd.utf8))
        #expect(response.succeededWith == ModelResponse(text: "ok", finishReason: .stop, usage: ModelUsage()))
    }

    // MARK: Streams

    /// The streaming example of OpenAI's Create chat completion reference, then the usage chunk
    /// `stream_options.include_usage` adds (with `usage: null` on the others, as the reference says) and `[DONE]`.
    static let documentedTextStream = sse([
        #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":"! ¿Qué tal? 👋"},"logprobs":null,"finish_reason":null}],"usage":null}"#,
        #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#,
        #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#,
        "[DONE]",
    ])

    @Test func documentedTextStreamGivesTheSameEventsInAnyPieces() {
        let expected: [ModelStreamEvent] = [
            .text("Hello"),
            .text("! ¿Qué tal? 👋"),
            .usage(ModelUsage(inputTokens: 19, outputTokens: 10)),
            .finish(.stop),
        ]
        for (label, events) in decodedInEveryPiecing(Self.documentedTextStream) {
            #expect(events == expected, "\(label)")
        }
    }

    @Test func documentedToolCallStreamGivesCallFragmentsInAnyPieces() {
        // The `delta.tool_calls` of OpenAI's function-calling guide, one chunk each.
        let deltas = [
            #"[{"index": 0, "id": "call_DdmO9pD3xa9XTPNJ32zg2hcA", "function": {"arguments": "", "name": "get_weather"}, "type": "function"}]"#,
            #"[{"index": 0, "id": null, "function": {"arguments": "{\"", "name": null}, "type": null}]"#,
            #"[{"index": 0, "id": null, "function": {"arguments": "location", "name": null}, "type": null}]"#,
            #"[{"index": 0, "id": null, "function": {"arguments": "\":\"", "name": null}, "type": null}]"#,
            #"[{"index": 0, "id": null, "function": {"arguments": "Paris", "name": null}, "type": null}]"#,
            #"[{"index": 0, "id": null, "function": {"arguments": ",", "name": null}, "type": null}]"#,
            #"[{"index": 0, "id": null, "function": {"arguments": " France", "name": null}, "type": null}]"#,
            #"[{"index": 0, "id": null, "function": {"arguments": "\"}", "name": null}, "type": null}]"#,
        ]
        let chunks =
            deltas.map {
                #"{"id":"chatcmpl-tool","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4.1","choices":[{"index":0,"delta":{"tool_calls":\#($0)},"finish_reason":null}]}"#
            } + [
                #"{"id":"chatcmpl-tool","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4.1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
                "[DONE]",
            ]
        for (label, events) in decodedInEveryPiecing(Self.sse(chunks)) {
            #expect(
                events.first
                    == .toolCall(index: 0, id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", arguments: ""),
                "\(label)")
            let arguments = events.compactMap { event -> String? in
                guard case .toolCall(0, nil, nil, let fragment) = event else { return nil }
                return fragment
            }
            #expect(arguments.joined() == #"{"location":"Paris, France"}"#, "\(label)")
            #expect(events.count == 9, "\(label)")
            #expect(events.last == .finish(.toolCalls), "\(label)")
        }
    }

    @Test func azureStreamSkipsFilterAnnotationsAndEndsWithContentFilter() {
        // Azure's first chunk carries only prompt annotations; later ones may carry a choice without a delta.
        let stream = Self.sse([
            #"{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}]}"#,
            #"{"choices":[{"content_filter_results":{},"delta":{"content":"","role":"assistant"},"finish_reason":null,"index":0}],"created":1756938296,"id":"chatcmpl-CBqCO","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","system_fingerprint":"fp_ee1d74bde0","usage":null}"#,
            #"{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"delta":{"content":"The first step"},"finish_reason":null,"index":0}],"created":1756938296,"id":"chatcmpl-CBqCO","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","usage":null}"#,
            #"{"id":"","object":"","created":0,"model":"","choices":[{"index":0,"finish_reason":null,"content_filter_results":{"violence":{"filtered":true,"severity":"high"}},"content_filter_offsets":{"check_offset":44,"start_offset":44,"end_offset":198}}],"usage":null}"#,
            #"{"choices":[{"content_filter_results":{},"delta":{},"finish_reason":"content_filter","index":0}],"created":1756938296,"id":"chatcmpl-CBqCO","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","usage":null}"#,
            #"{"choices":[],"created":1756938296,"id":"chatcmpl-CBqCO","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","usage":{"completion_tokens":4,"prompt_tokens":12,"total_tokens":16}}"#,
            "[DONE]",
        ])
        for (label, events) in decodedInEveryPiecing(stream, codec: .azureOpenAI) {
            #expect(
                events == [
                    .text("The first step"), .usage(ModelUsage(inputTokens: 12, outputTokens: 4)),
                    .finish(.contentFilter),
                ],
                "\(label)"
            )
        }
    }

    @Test func mistralStreamReportsUsageWithItsFinishAndWholeToolCalls() {
        let stream = Self.sse([
            #"{"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion.chunk","created":1702256327,"model":"mistral-large-latest","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            #"{"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion.chunk","created":1702256327,"model":"mistral-large-latest","choices":[{"index":0,"delta":{"content":"","tool_calls":[{"id":"D681PevKs","function":{"name":"retrieve_payment_status","arguments":"{\"transaction_id\": \"T1001\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":167,"total_tokens":194,"completion_tokens":27}}"#,
            "[DONE]",
        ])
        for (label, events) in decodedInEveryPiecing(stream, codec: .mistral) {
            #expect(
                events == [
                    .toolCall(
                        index: 0, id: "D681PevKs", name: "retrieve_payment_status",
                        arguments: #"{"transaction_id": "T1001"}"#),
                    .usage(ModelUsage(inputTokens: 167, outputTokens: 27)),
                    .finish(.toolCalls),
                ],
                "\(label)"
            )
        }
    }

    @Test func aStreamedRefusalFinishesAsARefusal() {
        let stream = Self.sse([
            #"{"id":"chatcmpl-r","object":"chat.completion.chunk","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""},"finish_reason":null}]}"#,
            #"{"id":"chatcmpl-r","object":"chat.completion.chunk","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"refusal":"I'm sorry, "},"finish_reason":null}]}"#,
            #"{"id":"chatcmpl-r","object":"chat.completion.chunk","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"refusal":"I cannot assist with that request."},"finish_reason":null}]}"#,
            #"{"id":"chatcmpl-r","object":"chat.completion.chunk","created":1721596428,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            "[DONE]",
        ])
        #expect(
            decode(stream) == [.text("I'm sorry, "), .text("I cannot assist with that request."), .finish(.refusal)]
        )
    }

    @Test func doneEndsTheStreamAndAStreamEndingEarlyIsCutShort() throws {
        let documented = Self.documentedTextStream

        // Everything after [DONE] is ignored, even garbage.
        let trailing = decode(
            documented + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"}}]}\n\ndata: {oops\n\n")
        #expect(trailing == decode(documented))

        // Cut before the finish reason: the text so far, then a malformed-response failure.
        let finishChunk = try #require(
            documented.range(of: #"{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}"#))
        let cut = documented[..<finishChunk.lowerBound]
        let lastEvent = try #require(cut.range(of: "data: ", options: .backwards))
        let cutShort = String(cut[..<lastEvent.lowerBound])
        let events = decode(cutShort)
        #expect(Array(events.dropLast()) == [.text("Hello"), .text("! ¿Qué tal? 👋")])
        #expect(events.last?.failedWith?.kind == .malformedResponse)
        #expect(events.last?.failedWith?.message.contains("cut short") == true)

        // An event without its blank line is not complete, so a chunk cut mid-way is lost and the stream is cut short.
        let midChunk = decode("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel")
        #expect(midChunk.count == 1 && midChunk.first?.failedWith?.kind == .malformedResponse)
        #expect(decode("").first?.failedWith?.kind == .malformedResponse)
        #expect(decode(": keep-alive\n\n").first?.failedWith?.kind == .malformedResponse)

        // A finish reason without [DONE] (some compatible servers) still finishes, after the usage.
        let withoutDone = documented.replacingOccurrences(of: "data: [DONE]\n\n", with: "")
        #expect(decode(withoutDone) == decode(documented))

        // finish() after the end gives nothing more.
        var decoder = OpenAIChatCodec.openAI.streamDecoder()
        _ = decoder.feed(Array(documented.utf8))
        #expect(decoder.finish().isEmpty)
        #expect(decoder.feed(Array("data: [DONE]\n\n".utf8)).isEmpty)
    }

    @Test func anErrorInsideTheStreamIsAClassifiedFailure() {
        // OpenAI's server error, as it arrives mid-stream.
        let serverError = Self.sse([
            #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}"#,
            #"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#,
            #"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":" again"},"finish_reason":null}]}"#,
            "[DONE]",
        ])
        let events = decode(serverError)
        #expect(events.count == 2)
        #expect(events.first == .text("Hello"))
        let failure = events.last?.failedWith
        #expect(failure?.kind == .retryable)
        #expect(failure?.providerCode == "server_error")
        #expect(failure?.message == "The server had an error while processing your request. Sorry about that!")

        // vLLM reports a too-long prompt inside the stream with its status as the code.
        let vllm = Self.sse([
            #"{"error": {"object": "error", "message": "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.", "type": "BadRequestError", "param": null, "code": 400}}"#
        ])
        let tooLong = decode(vllm, codec: .openAICompatible)
        #expect(tooLong.count == 1)
        #expect(tooLong.first?.failedWith?.kind == .contextWindowExceeded)
        #expect(tooLong.first?.failedWith?.status == 400)

        // A chunk that is not JSON ends the stream too.
        let garbled = decode("data: {\"choices\": [\n\ndata: [DONE]\n\n")
        #expect(garbled.count == 1 && garbled.first?.failedWith?.kind == .malformedResponse)

        // Mistral's `error` finish reason.
        let mistralError = decode(
            Self.sse([
                #"{"id":"cmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}"#,
                "[DONE]",
            ]),
            codec: .mistral
        )
        #expect(mistralError.count == 1 && mistralError.first?.failedWith?.kind == .retryable)
    }

    // MARK: Errors

    @Test func credentialErrorsTakeTheTargetOutOfRotation() {
        let openAI = classify(
            401,
            #"{"error": {"message": "Incorrect API key provided: sk-abc. You can find your API key at https://platform.openai.com/account/api-keys.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}"#
        )
        #expect(openAI.kind == .badCredentials)
        #expect(openAI.status == 401)
        #expect(openAI.providerCode == "invalid_api_key")
        #expect(openAI.message.hasPrefix("Incorrect API key provided"))
        #expect(openAI.disablesTarget)

        let azure = classify(
            401,
            #"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#,
            codec: .azureOpenAI
        )
        #expect(azure.kind == .badCredentials)
        #expect(azure.providerCode == "401")

        let region = classify(
            403,
            #"{"error": {"code": "unsupported_country_region_territory", "message": "Country, region, or territory not supported", "param": null, "type": "request_forbidden"}}"#
        )
        #expect(region.kind == .badCredentials)
        #expect(
            classify(401, #"{"message":"Unauthorized","request_id":"4d1c1a0c1b"}"#, codec: .mistral).kind
                == .badCredentials)
    }

    @Test func unknownModelsAndDeploymentsTakeTheTargetOutOfRotation() {
        let model = classify(
            404,
            #"{"error": {"message": "The model `gpt-5-turbo` does not exist or you do not have access to it.", "type": "invalid_request_error", "param": null, "code": "model_not_found"}}"#
        )
        #expect(model.kind == .unknownModel)
        #expect(model.providerCode == "model_not_found")

        let deployment = classify(
            404,
            #"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}"#,
            codec: .azureOpenAI
        )
        #expect(deployment.kind == .unknownModel)
        #expect(deployment.providerCode == "DeploymentNotFound")

        // The code decides even when the status does not say 404.
        let asBadRequest = classify(
            400,
            #"{"error": {"message": "The model `o9` does not exist.", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}"#
        )
        #expect(asBadRequest.kind == .unknownModel)
    }

    @Test func quotaAndRateLimitsAreToldApartAndRetryAfterIsHonoured() {
        let quota = classify(
            429,
            #"{"error": {"message": "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}"#
        )
        #expect(quota.kind == .quotaExhausted)
        #expect(!quota.isRetryable)

        let rateLimit = classify(
            429,
            #"{"error": {"message": "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 28000, Requested 4000. Please try again in 1.5s. Visit https://platform.openai.com/account/rate-limits to learn more.", "type": "tokens", "param": null, "code": "rate_limit_exceeded"}}"#,
            headers: [("x-ratelimit-reset-tokens", "1.5s"), ("retry-after-ms", "1500"), ("retry-after", "2")]
        )
        #expect(rateLimit.kind == .retryable)
        #expect(rateLimit.retryAfter == 1.5)
        #expect(rateLimit.providerCode == "rate_limit_exceeded")

        let azure = classify(
            429,
            #"{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 20 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit."}}"#,
            headers: [("Retry-After", "20")],
            codec: .azureOpenAI
        )
        #expect(azure.kind == .retryable)
        #expect(azure.retryAfter == 20)

        let bare = classify(429, "Too Many Requests", codec: .openAICompatible)
        #expect(bare.kind == .retryable)
        #expect(bare.retryAfter == nil)
        #expect(bare.message == "Too Many Requests")
    }

    @Test func promptsTooLongForTheContextWindowAreRecognisedInEveryDialect() {
        let cases: [(OpenAIChatCodec, Int, String)] = [
            (
                .openAI, 400,
                #"{"error": {"message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. Please reduce the length of the messages.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}"#
            ),
            (
                .azureOpenAI, 400,
                #"{"error": {"message": "This model's maximum context length is 8192 tokens. However, your messages resulted in 8227 tokens. Please reduce the length of the messages.", "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}"#
            ),
            (
                .openAICompatible, 400,
                #"{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}"#
            ),
            (
                .openAICompatible, 400,
                #"{"error":{"code":400,"message":"the request exceeds the available context size. try increasing the context size or enable context shift","type":"exceed_context_size_error","n_prompt_tokens":14429,"n_ctx":8192}}"#
            ),
            (
                .openAICompatible, 500,
                #"{"error":{"code":500,"message":"the request exceeds the available context size. try increasing the context size or enable context shift","type":"exceed_context_size_error","n_prompt_tokens":1407,"n_ctx":256}}"#
            ),
            (
                .openAICompatible, 422,
                #"{"error":"Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 200 `max_new_tokens`","error_type":"validation"}"#
            ),
            (
                .mistral, 400,
                #"{"object":"error","message":"Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length","type":"invalid_request_error","param":null,"code":null}"#
            ),
        ]
        for (codec, status, body) in cases {
            let error = classify(status, body, codec: codec)
            #expect(error.kind == .contextWindowExceeded, "\(codec.name) \(status): \(body)")
            #expect(error.status == status)
        }
        #expect(
            classify(400, #"{"error":{"code":400,"type":"exceed_context_size_error","message":""}}"#).providerCode
                == "exceed_context_size_error")
    }

    @Test func azureContentFilterErrorIsAContentPolicyFailure() {
        // The error of Azure's content-filtering article, for a prompt at a filtered category and severity.
        let body = #"""
            {
                "error": {
                    "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
                    "type": null,
                    "param": "prompt",
                    "code": "content_filter",
                    "status": 400,
                    "innererror": {
                        "code": "ResponsibleAIPolicyViolation",
                        "content_filter_result": {
                            "hate": {"filtered": true, "severity": "high"},
                            "self_harm": {"filtered": true, "severity": "high"},
                            "sexual": {"filtered": false, "severity": "safe"},
                            "violence": {"filtered": true, "severity": "medium"}
                        }
                    }
                }
            }
            """#
        let error = classify(400, body, codec: .azureOpenAI)
        #expect(error.kind == .contentPolicy)
        #expect(error.providerCode == "content_filter")
        #expect(error.message.hasPrefix("The response was filtered"))

        // Only the inner code marks it in some gateways' copies of the body.
        let inner = classify(
            400,
            #"{"error": {"code": "invalid_request_error", "message": "filtered", "innererror": {"code": "ResponsibleAIPolicyViolation"}}}"#,
            codec: .azureOpenAI
        )
        #expect(inner.kind == .contentPolicy)
    }

    @Test func serverTroubleIsRetryableAndOtherRequestErrorsAreNot() {
        let serverError = classify(
            500,
            #"{"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}}"#
        )
        #expect(serverError.kind == .retryable)
        #expect(serverError.providerCode == "server_error")

        let overloaded = classify(
            503,
            #"{"error": {"message": "The engine is currently overloaded, please try again later.", "type": "server_error", "param": null, "code": null}}"#,
            headers: [("retry-after", "3")]
        )
        #expect(overloaded.kind == .retryable && overloaded.retryAfter == 3)

        let gateway = classify(
            502, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>cloudflare</body>\r\n</html>")
        #expect(gateway.kind == .retryable)
        #expect(gateway.message.hasPrefix("<html>"))
        #expect(classify(408, "").kind == .retryable)
        #expect(classify(504, "").message == "HTTP status 504")

        let unsupported = classify(
            400,
            #"{"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}"#
        )
        #expect(unsupported.kind == .invalidRequest)
        #expect(unsupported.providerCode == "unsupported_parameter")

        // Mistral refuses unknown fields with a 422 whose message is an object.
        let extra = classify(
            422,
            #"{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","stream_options","include_usage"],"msg":"Extra inputs are not permitted","input":true,"url":"https://errors.pydantic.dev/2.10/v/extra_forbidden"}]},"type":"invalid_request_error","param":null,"code":null}"#,
            codec: .mistral
        )
        #expect(extra.kind == .invalidRequest)
        #expect(extra.message.contains("Extra inputs are not permitted"))

        // Text Generation Inference's bare-string error.
        let tgi = classify(
            422,
            #"{"error":"Input validation error: `temperature` must be strictly positive","error_type":"validation"}"#)
        #expect(tgi.kind == .invalidRequest)
        #expect(tgi.message == "Input validation error: `temperature` must be strictly positive")
        #expect(tgi.providerCode == "validation")

        // An error object in a 200 is still an error.
        let inSuccess = OpenAIChatCodec.openAI.response(
            status: 200,
            headers: [],
            body: Data(
                #"{"error": {"message": "The server had an error while processing your request. Sorry about that!", "type": "server_error", "param": null, "code": null}}"#
                    .utf8)
        )
        #expect(inSuccess.failedWith?.kind == .retryable)
    }

    // MARK: Helpers

    static func sse(_ data: [String]) -> String {
        data.map { "data: \($0)\n\n" }.joined()
    }

    private func headers(_ request: ProviderHTTPRequest) -> [String: String] {
        Dictionary(request.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    private func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    private func requestError(
        _ codec: OpenAIChatCodec,
        _ request: ModelRequest,
        _ endpoint: ProviderEndpoint
    ) -> ModelError? {
        do {
            _ = try codec.httpRequest(for: request, endpoint: endpoint, stream: false)
            return nil
        } catch {
            return error
        }
    }

    private func classify(
        _ status: Int,
        _ body: String,
        headers: [(name: String, value: String)] = [],
        codec: OpenAIChatCodec = .openAI
    ) -> ModelError {
        switch codec.response(status: status, headers: headers, body: Data(body.utf8)) {
        case .failure(let error): error
        case .success(let response): ModelError(.invalidRequest, message: "unexpectedly succeeded: \(response)")
        }
    }

    private func decode(_ body: String, codec: OpenAIChatCodec = .openAI, pieces: [Int] = [Int.max])
        -> [ModelStreamEvent]
    {
        var decoder = codec.streamDecoder()
        let bytes = Array(body.utf8)
        var events: [ModelStreamEvent] = []
        var start = 0
        var turn = 0
        while start < bytes.count {
            let size = max(1, pieces[turn % pieces.count])
            let end = bytes.count - start <= size ? bytes.count : start + size
            events += decoder.feed(bytes[start..<end])
            start = end
            turn += 1
        }
        return events + decoder.finish()
    }

    /// The stream decoded whole, byte by byte, and in pieces of random sizes from fixed seeds.
    private func decodedInEveryPiecing(
        _ body: String,
        codec: OpenAIChatCodec = .openAI
    ) -> [(String, [ModelStreamEvent])] {
        var results = [
            ("whole", decode(body, codec: codec)), ("byte by byte", decode(body, codec: codec, pieces: [1])),
        ]
        for seed in UInt64(1)...12 {
            var random = SplitMix64(seed: seed)
            let pieces = (0..<64).map { _ in Int.random(in: 1...29, using: &random) }
            results.append(("random pieces, seed \(seed)", decode(body, codec: codec, pieces: pieces)))
        }
        return results
    }
}

/// A seeded generator, so that a failing piecing can be replayed.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A JSON literal of a test; one that does not parse makes the comparison it is used in fail.
private func json(_ text: String) -> JSONValue {
    (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string("unparseable JSON: \(text)")
}

private func compact(_ value: JSONValue) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
}

extension Result {
    fileprivate var failedWith: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }

    fileprivate var succeededWith: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}

extension ModelStreamEvent {
    fileprivate var failedWith: ModelError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
