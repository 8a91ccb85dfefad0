import Foundation
import Testing

@testable import ModelOrchestrator

/// Bodies below are the examples of Ollama's API documentation (`docs/api.md` "Generate a chat completion",
/// "Tool calling", `docs/api/streaming.mdx`, `docs/api/errors.mdx`).
@Suite struct OllamaCodecTests: CodecTests {
    private let codec = OllamaCodec()
    private let endpoint = ProviderEndpoint(baseURL: "http://localhost:11434", model: "llama3.2")

    // MARK: Requests

    @Test func aPlainRequestAlwaysSaysWhetherToStream() throws {
        for stream in [false, true] {
            let request = try codec.httpRequest(
                for: ModelRequest(messages: [.user("why is the sky blue?")]),
                endpoint: endpoint,
                stream: stream
            )
            #expect(request.method == "POST")
            #expect(request.url == "http://localhost:11434/api/chat")
            #expect(Self.header("content-type", in: request) == "application/json")
            #expect(Self.header("authorization", in: request) == nil)
            try Self.expectJSON(
                request.body,
                """
                {"model": "llama3.2", "messages": [{"role": "user", "content": "why is the sky blue?"}], "stream": \(stream)}
                """
            )
        }
        let cloud = ProviderEndpoint(baseURL: "https://ollama.com/", apiKey: "ol-key", model: "gpt-oss:120b")
        let request = try codec.httpRequest(for: ModelRequest(messages: [.user("Hi")]), endpoint: cloud, stream: false)
        #expect(request.url == "https://ollama.com/api/chat")
        #expect(Self.header("authorization", in: request) == "Bearer ol-key")
    }

    @Test func systemOptionsFormatAndToolsAreMapped() throws {
        let request = ModelRequest(
            system: "Answer in JSON.",
            messages: [
                .user(
                    "Ollama is 22 years old and busy saving the world. Return a JSON object with the age and availability."
                )
            ],
            temperature: 0,
            maxTokens: 100,
            tools: [
                ModelTool(
                    name: "get_current_weather",
                    description: "Get the current weather for a location",
                    parameters: try Self.json(
                        """
                        {"type": "object", "properties": {
                           "location": {"type": "string", "description": "The location to get the weather for, e.g. San Francisco, CA"},
                           "format": {"type": "string", "description": "The format to return the weather in, e.g. 'celsius' or 'fahrenheit'", "enum": ["celsius", "fahrenheit"]}},
                         "required": ["location", "format"]}
                        """
                    )
                )
            ],
            responseSchema: try Self.json(
                #"{"type": "object", "properties": {"age": {"type": "integer"}, "available": {"type": "boolean"}}, "required": ["age", "available"]}"#
            ),
            stop: ["\n", "user:"]
        )
        let http = try codec.httpRequest(for: request, endpoint: endpoint, stream: false)
        try Self.expectJSON(
            http.body,
            """
            {"model": "llama3.2", "stream": false,
             "messages": [{"role": "system", "content": "Answer in JSON."},
                          {"role": "user", "content": "Ollama is 22 years old and busy saving the world. Return a JSON object with the age and availability."}],
             "options": {"temperature": 0, "num_predict": 100, "stop": ["\\n", "user:"]},
             "format": {"type": "object", "properties": {"age": {"type": "integer"}, "available": {"type": "boolean"}}, "required": ["age", "available"]},
             "tools": [{"type": "function", "function": {"name": "get_current_weather", "description": "Get the current weather for a location",
               "parameters": {"type": "object", "properties": {
                  "location": {"type": "string", "description": "The location to get the weather for, e.g. San Francisco, CA"},
                  "format": {"type": "string", "description": "The format to return the weather in, e.g. 'celsius' or 'fahrenheit'", "enum": ["celsius", "fahrenheit"]}},
                "required": ["location", "format"]}}}]}
            """
        )
    }

    @Test func toolCallsCarryObjectArgumentsAndResultsNameTheirTool() throws {
        let request = ModelRequest(messages: [
            .user("What is the temperature in New York?"),
            ModelMessage(
                role: .assistant,
                content: "",
                toolCalls: [ModelToolCall(id: "call_0", name: "get_temperature", arguments: #"{"city": "New York"}"#)]
            ),
            ModelMessage(role: .tool, content: "22°C", toolCallID: "call_0"),
            ModelMessage(role: .tool, content: "orphan", toolCallID: "call_unknown"),
        ])
        let http = try codec.httpRequest(
            for: request,
            endpoint: ProviderEndpoint(baseURL: "http://localhost:11434", model: "qwen3"),
            stream: false
        )
        try Self.expectJSON(
            http.body,
            """
            {"model": "qwen3", "stream": false, "messages": [
              {"role": "user", "content": "What is the temperature in New York?"},
              {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_temperature", "arguments": {"city": "New York"}}}]},
              {"role": "tool", "tool_name": "get_temperature", "content": "22°C"},
              {"role": "tool", "content": "orphan"}]}
            """
        )
        let broken = ModelRequest(messages: [
            ModelMessage(
                role: .assistant,
                content: "",
                toolCalls: [ModelToolCall(id: "c", name: "f", arguments: "[1]")]
            )
        ])
        #expect(throws: ModelError.self) { try codec.httpRequest(for: broken, endpoint: endpoint, stream: false) }
    }

    // MARK: Responses

    @Test func aResponseGivesTextUsageAndModel() throws {
        let body = """
            {"model": "llama3.2", "created_at": "2023-12-12T14:13:43.416799Z",
             "message": {"role": "assistant", "content": "Hello! How are you today?"},
             "done": true, "total_duration": 5191566416, "load_duration": 2154458, "prompt_eval_count": 26,
             "prompt_eval_duration": 383809000, "eval_count": 298, "eval_duration": 4799921000}
            """
        let response = try codec.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(
            response
                == ModelResponse(
                    text: "Hello! How are you today?",
                    finishReason: .stop,
                    usage: ModelUsage(inputTokens: 26, outputTokens: 298),
                    model: "llama3.2"
                )
        )
    }

    @Test func aToolCallResponseGivesToolCalls() throws {
        let body = """
            {"model": "llama3.2", "created_at": "2024-07-22T20:33:28.123648Z",
             "message": {"role": "assistant", "content": "", "tool_calls": [
               {"function": {"name": "get_current_weather", "arguments": {"format": "celsius", "location": "Paris, FR"}}}]},
             "done_reason": "stop", "done": true, "total_duration": 885095291, "load_duration": 3753500,
             "prompt_eval_count": 122, "prompt_eval_duration": 328493000, "eval_count": 33, "eval_duration": 552222000}
            """
        let response = try codec.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(
            response.toolCalls == [
                ModelToolCall(
                    id: "call_0",
                    name: "get_current_weather",
                    arguments: #"{"format":"celsius","location":"Paris, FR"}"#
                )
            ]
        )
        #expect(response.finishReason == .toolCalls)
        #expect(response.usage == ModelUsage(inputTokens: 122, outputTokens: 33))
    }

    @Test func structuredOutputAndLengthAreRead() throws {
        let body = """
            {"model": "llama3.1", "created_at": "2024-12-06T00:46:58.265747Z",
             "message": {"role": "assistant", "content": "{\\"age\\": 22, \\"available\\": false}"},
             "done_reason": "length", "done": true, "prompt_eval_count": 34, "eval_count": 12}
            """
        let response = try codec.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(response.text == #"{"age": 22, "available": false}"#)
        #expect(response.finishReason == .length)
        for bad in ["", "null", #"{"model": "llama3.2"}"#] {
            #expect(
                codec.response(status: 200, headers: [], body: Data(bad.utf8)).modelError?.kind == .malformedResponse,
                "\(bad)"
            )
        }
    }

    // MARK: Streams

    @Test func aTextStreamGivesTheSameEventsInEveryChunkSize() {
        let stream = """
            {"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The","images":null},"done":false}
            {"model":"llama3.2","created_at":"2023-08-04T08:52:19.396406455-07:00","message":{"role":"assistant","content":" sky ☁️","images":null},"done":false}
            {"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}

            """
        #expect(
            Self.decodeInEveryChunkSize(stream, codec: codec) == [
                .text("The"),
                .text(" sky ☁️"),
                .usage(ModelUsage(inputTokens: 26, outputTokens: 282)),
                .finish(.stop),
            ]
        )
        // The last line needs no newline.
        #expect(Self.decodeInEveryChunkSize(String(stream.dropLast()), codec: codec).last == .finish(.stop))
    }

    @Test func aStreamedToolCallArrivesWhole() {
        let stream = """
            {"model":"llama3.2","created_at":"2025-07-07T20:22:19.184789Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Tokyo"}}}]},"done":false}
            {"model":"llama3.2","created_at":"2025-07-07T20:22:19.19314Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"total_duration":182242375,"load_duration":41295167,"prompt_eval_count":169,"prompt_eval_duration":24573166,"eval_count":15,"eval_duration":115959084}

            """
        #expect(
            Self.decodeInEveryChunkSize(stream, codec: codec) == [
                .toolCall(index: 0, id: "call_0", name: "get_weather", arguments: #"{"city":"Tokyo"}"#),
                .usage(ModelUsage(inputTokens: 169, outputTokens: 15)),
                .finish(.toolCalls),
            ]
        )
    }

    @Test func aStreamWithoutItsDoneLineIsCutShort() {
        let stream = """
            {"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The"},"done":false}
            {"model":"llama3.2","created_at":"2023-08-04T08:52:19.396406455-07:00","message":{"role":"assistant","content":" sky"},"done":false}

            """
        let events = Self.decodeInEveryChunkSize(stream, codec: codec)
        #expect(Array(events.dropLast()) == [.text("The"), .text(" sky")])
        #expect(events.last?.modelError?.kind == .malformedResponse)
        let torn = Self.decodeInEveryChunkSize(
            #"{"model":"llama3.2","message":{"role":"assistant","content":"The"},"done":false}"# + "\n{\"model\":\"lla",
            codec: codec
        )
        #expect(torn.first == .text("The"))
        #expect(torn.last?.modelError?.kind == .malformedResponse)
    }

    @Test func anErrorLineInTheStreamIsAFailureAndEndsIt() {
        let stream = """
            {"model":"gemma3","created_at":"2025-10-26T17:21:21.196249Z","message":{"role":"assistant","content":" Yes"},"done":false}
            {"model":"gemma3","created_at":"2025-10-26T17:21:21.207235Z","message":{"role":"assistant","content":"."},"done":false}
            {"error":"an error was encountered while running the model"}
            {"model":"gemma3","created_at":"2025-10-26T17:21:21.219166Z","message":{"role":"assistant","content":"I"},"done":false}

            """
        #expect(
            Self.decodeInEveryChunkSize(stream, codec: codec) == [
                .text(" Yes"),
                .text("."),
                .failure(ModelError(.retryable, message: "an error was encountered while running the model")),
            ]
        )
    }

    // MARK: Errors

    @Test func everyErrorStatusIsClassified() {
        let cases:
            [(
                status: Int, headers: [(name: String, value: String)], body: String, kind: ModelError.Kind,
                retryAfter: Double?
            )] = [
                (404, [], #"{"error":"model \"llama9\" not found, try pulling it first"}"#, .unknownModel, nil),
                (
                    400, [], #"{"error":"registry.ollama.ai/library/gemma:2b does not support tools"}"#,
                    .invalidRequest, nil
                ),
                (400, [], #"{"error":"invalid options: num_predictt"}"#, .invalidRequest, nil),
                (401, [], #"{"error":"unauthorized"}"#, .badCredentials, nil),
                (403, [], #"{"error":"cloud model access is disabled"}"#, .badCredentials, nil),
                (429, [("retry-after", "3")], #"{"error":"you have reached your hourly usage limit"}"#, .retryable, 3),
                (500, [], #"{"error":"the model failed to generate a response"}"#, .retryable, nil),
                (502, [], #"{"error":"cloud model could not be reached"}"#, .retryable, nil),
                (404, [], "404 page not found", .unknownModel, nil),
            ]
        for item in cases {
            let error = codec.response(status: item.status, headers: item.headers, body: Data(item.body.utf8))
                .modelError
            #expect(error?.kind == item.kind, "\(item.status) \(item.body)")
            #expect(error?.status == item.status)
            #expect(error?.retryAfter == item.retryAfter)
        }
        #expect(
            codec.response(status: 404, headers: [], body: Data(cases[0].body.utf8)).modelError?.message
                == #"model "llama9" not found, try pulling it first"#
        )
    }
}
