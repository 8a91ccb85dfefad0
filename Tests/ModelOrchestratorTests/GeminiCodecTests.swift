import Foundation
import Testing

@testable import ModelOrchestrator

/// Bodies below follow the Gemini API reference and guides (text generation, function calling, structured output,
/// safety, troubleshooting), with the error bodies the API returns for each status.
@Suite struct GeminiCodecTests: CodecTests {
    private let codec = GeminiCodec()
    private let endpoint = ProviderEndpoint(
        baseURL: "https://generativelanguage.googleapis.com",
        apiKey: "AIza-test",
        model: "gemini-2.5-flash"
    )

    // MARK: Requests

    @Test func aPlainRequestHasTheDocumentedURLHeaderAndBody() throws {
        let request = try codec.httpRequest(
            for: ModelRequest(messages: [.user("Explain how AI works in a few words")]),
            endpoint: endpoint,
            stream: false
        )
        #expect(request.method == "POST")
        #expect(
            request.url == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
        )
        #expect(Self.header("x-goog-api-key", in: request) == "AIza-test")
        #expect(Self.header("content-type", in: request) == "application/json")
        try Self.expectJSON(
            request.body,
            """
            {"contents": [{"role": "user", "parts": [{"text": "Explain how AI works in a few words"}]}]}
            """
        )
    }

    @Test func aStreamGoesToStreamGenerateContentAsServerSentEvents() throws {
        var endpoint = endpoint
        endpoint.baseURL += "/"
        endpoint.model = "models/gemini-2.5-pro"
        let request = try codec.httpRequest(
            for: ModelRequest(messages: [.user("Hi")]),
            endpoint: endpoint,
            stream: true
        )
        #expect(
            request.url
                == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
        )
    }

    @Test func systemGenerationConfigToolsAndSchemaAreMapped() throws {
        let request = ModelRequest(
            system: "You are a cat. Your name is Neko.",
            messages: [
                .user("Schedule a meeting with Bob and Alice for 03/27/2025 at 10:00 AM about the Q3 planning.")
            ],
            temperature: 1.0,
            maxTokens: 800,
            tools: [
                ModelTool(
                    name: "schedule_meeting",
                    description: "Schedules a meeting with specified attendees at a given time and date.",
                    parameters: try Self.json(
                        """
                        {"type": "object", "properties": {
                           "attendees": {"type": "array", "items": {"type": "string"}, "description": "List of people attending the meeting."},
                           "date": {"type": "string", "description": "Date of the meeting (e.g., '2024-07-29')"}},
                         "required": ["attendees", "date"], "additionalProperties": false}
                        """
                    )
                )
            ],
            responseSchema: try Self.json(
                #"{"type": "object", "properties": {"recipeName": {"type": "string"}}, "required": ["recipeName"]}"#
            ),
            stop: ["Title"]
        )
        let http = try codec.httpRequest(for: request, endpoint: endpoint, stream: false)
        try Self.expectJSON(
            http.body,
            """
            {"systemInstruction": {"parts": [{"text": "You are a cat. Your name is Neko."}]},
             "contents": [{"role": "user", "parts": [{"text": "Schedule a meeting with Bob and Alice for 03/27/2025 at 10:00 AM about the Q3 planning."}]}],
             "generationConfig": {"temperature": 1.0, "maxOutputTokens": 800, "stopSequences": ["Title"],
                                  "responseMimeType": "application/json",
                                  "responseJsonSchema": {"type": "object", "properties": {"recipeName": {"type": "string"}}, "required": ["recipeName"]}},
             "tools": [{"functionDeclarations": [{"name": "schedule_meeting",
                "description": "Schedules a meeting with specified attendees at a given time and date.",
                "parametersJsonSchema": {"type": "object", "properties": {
                   "attendees": {"type": "array", "items": {"type": "string"}, "description": "List of people attending the meeting."},
                   "date": {"type": "string", "description": "Date of the meeting (e.g., '2024-07-29')"}},
                 "required": ["attendees", "date"], "additionalProperties": false}}]}]}
            """
        )
    }

    @Test func toolCallsAndResultsBecomeFunctionPartsNamedAfterTheirCall() throws {
        let request = ModelRequest(messages: [
            .user("What's the temperature in London and Paris?"),
            ModelMessage(
                role: .assistant,
                content: "",
                toolCalls: [
                    ModelToolCall(id: "call_0", name: "get_current_temperature", arguments: #"{"location": "London"}"#),
                    ModelToolCall(id: "call_1", name: "get_current_temperature", arguments: #"{"location": "Paris"}"#),
                ]
            ),
            ModelMessage(role: .tool, content: #"{"temperature": 25, "unit": "Celsius"}"#, toolCallID: "call_0"),
            ModelMessage(role: .tool, content: "18 degrees", toolCallID: "call_1"),
        ])
        let http = try codec.httpRequest(for: request, endpoint: endpoint, stream: false)
        try Self.expectJSON(
            http.body,
            """
            {"contents": [
              {"role": "user", "parts": [{"text": "What's the temperature in London and Paris?"}]},
              {"role": "model", "parts": [
                {"functionCall": {"name": "get_current_temperature", "args": {"location": "London"}}, "thoughtSignature": "skip_thought_signature_validator"},
                {"functionCall": {"name": "get_current_temperature", "args": {"location": "Paris"}}}]},
              {"role": "user", "parts": [
                {"functionResponse": {"name": "get_current_temperature", "response": {"temperature": 25, "unit": "Celsius"}}},
                {"functionResponse": {"name": "get_current_temperature", "response": {"result": "18 degrees"}}}]}]}
            """
        )
        let orphan = ModelRequest(messages: [.user("x"), ModelMessage(role: .tool, content: "y", toolCallID: "call_9")])
        #expect(
            throws: ModelError(
                .invalidRequest,
                message:
                    "A tool result answers call call_9, which no earlier message made; Gemini needs the function's name."
            )
        ) {
            try codec.httpRequest(for: orphan, endpoint: endpoint, stream: false)
        }
    }

    @Test func aThoughtSignatureGoesBackWithItsCall() throws {
        let body = """
            {"candidates": [{"content": {"role": "model", "parts": [
                {"functionCall": {"name": "check_flight", "args": {"flight": "AA100"}}, "thoughtSignature": "CiIBVKhc7l5mzkoZSRQfFeCS44vjuGk3o7tGr="}]},
              "finishReason": "STOP", "index": 0}],
             "usageMetadata": {"promptTokenCount": 60, "candidatesTokenCount": 16, "thoughtsTokenCount": 120, "totalTokenCount": 196}}
            """
        let answer = try codec.response(status: 200, headers: [], body: Data(body.utf8)).get()
        let call = try #require(answer.toolCalls.first)
        #expect(call.id == "call_0__thought__CiIBVKhc7l5mzkoZSRQfFeCS44vjuGk3o7tGr=")
        let next = try codec.httpRequest(
            for: ModelRequest(messages: [
                .user("Check flight AA100"),
                ModelMessage(role: .assistant, content: "", toolCalls: answer.toolCalls),
                ModelMessage(role: .tool, content: #"{"status": "delayed"}"#, toolCallID: call.id),
            ]),
            endpoint: endpoint,
            stream: false
        )
        try Self.expectJSON(
            next.body,
            """
            {"contents": [
              {"role": "user", "parts": [{"text": "Check flight AA100"}]},
              {"role": "model", "parts": [{"functionCall": {"name": "check_flight", "args": {"flight": "AA100"}}, "thoughtSignature": "CiIBVKhc7l5mzkoZSRQfFeCS44vjuGk3o7tGr="}]},
              {"role": "user", "parts": [{"functionResponse": {"name": "check_flight", "response": {"status": "delayed"}}}]}]}
            """
        )
    }

    // MARK: Responses

    @Test func aTextResponseNormalizesThinkingAndCachedTokens() throws {
        let body = """
            {"candidates": [{"content": {"parts": [
                {"text": "**Thinking about the question**", "thought": true},
                {"text": "AI learns patterns from data"}, {"text": " to make predictions."}], "role": "model"},
              "finishReason": "STOP", "index": 0}],
             "usageMetadata": {"promptTokenCount": 2048, "candidatesTokenCount": 9, "cachedContentTokenCount": 1024,
                               "thoughtsTokenCount": 311, "totalTokenCount": 2368,
                               "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 2048}]},
             "modelVersion": "gemini-2.5-flash", "responseId": "mAitaLmkHPPlz7IPvtfUqQ4"}
            """
        let response = try codec.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(response.text == "AI learns patterns from data to make predictions.")
        #expect(response.finishReason == .stop)
        #expect(response.model == "gemini-2.5-flash")
        #expect(
            response.usage
                == ModelUsage(inputTokens: 2048, outputTokens: 9 + 311, cachedInputTokens: 1024, reasoningTokens: 311)
        )
    }

    @Test func aFunctionCallResponseGivesToolCalls() throws {
        let body = """
            {"candidates": [{"content": {"parts": [{"functionCall": {"name": "schedule_meeting",
                "args": {"attendees": ["Bob", "Alice"], "date": "2025-03-27", "time": "10:00", "topic": "Q3 planning"}}}],
                "role": "model"}, "finishReason": "STOP", "index": 0}],
             "usageMetadata": {"promptTokenCount": 111, "candidatesTokenCount": 37, "totalTokenCount": 148}}
            """
        let response = try codec.response(status: 200, headers: [], body: Data(body.utf8)).get()
        #expect(response.text == "")
        #expect(
            response.toolCalls == [
                ModelToolCall(
                    id: "call_0",
                    name: "schedule_meeting",
                    arguments:
                        #"{"attendees":["Bob","Alice"],"date":"2025-03-27","time":"10:00","topic":"Q3 planning"}"#
                )
            ]
        )
        #expect(response.finishReason == .toolCalls)
        #expect(response.usage == ModelUsage(inputTokens: 111, outputTokens: 37))
    }

    @Test func aBlockedPromptIsAContentPolicyErrorDespiteStatus200() {
        let body = """
            {"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
                {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
                {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "HIGH"},
                {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"}]},
             "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8}, "modelVersion": "gemini-2.5-flash"}
            """
        let error = codec.response(status: 200, headers: [], body: Data(body.utf8)).modelError
        #expect(error?.kind == .contentPolicy)
        #expect(error?.status == 200)
        #expect(error?.providerCode == "SAFETY")
    }

    @Test func aSafetyFinishWithoutAnswerFailsAndAfterSomeAnswerFilters() throws {
        let withheld = """
            {"candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": [
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]}],
             "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12}}
            """
        #expect(codec.response(status: 200, headers: [], body: Data(withheld.utf8)).modelError?.kind == .contentPolicy)
        let cut = """
            {"candidates": [{"content": {"parts": [{"text": "Here is how"}], "role": "model"}, "finishReason": "RECITATION", "index": 0}]}
            """
        let response = try codec.response(status: 200, headers: [], body: Data(cut.utf8)).get()
        #expect(response.text == "Here is how")
        #expect(response.finishReason == .contentFilter)
    }

    @Test func otherFinishReasonsAreNormalized() throws {
        let truncated =
            #"{"candidates": [{"content": {"parts": [{"text": "Once upon"}], "role": "model"}, "finishReason": "MAX_TOKENS"}]}"#
        #expect(try codec.response(status: 200, headers: [], body: Data(truncated.utf8)).get().finishReason == .length)
        let malformed =
            #"{"candidates": [{"content": {"parts": [], "role": "model"}, "finishReason": "MALFORMED_FUNCTION_CALL"}]}"#
        #expect(
            codec.response(status: 200, headers: [], body: Data(malformed.utf8)).modelError?.kind == .malformedResponse
        )
        for body in ["not json", #"{"candidates": []}"#, "{}"] {
            #expect(
                codec.response(status: 200, headers: [], body: Data(body.utf8)).modelError?.kind == .malformedResponse,
                "\(body)"
            )
        }
    }

    // MARK: Streams

    @Test func aTextStreamGivesTheSameEventsInEveryChunkSize() {
        let stream =
            #"data: {"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8},"modelVersion": "gemini-2.5-flash"}"#
            + "\r\n\r\n"
            + #"data: {"candidates": [{"content": {"parts": [{"text": " sky is blue ☀️"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 5,"totalTokenCount": 13},"modelVersion": "gemini-2.5-flash"}"#
            + "\r\n\r\n"
            + #"data: {"candidates": [{"content": {"parts": [{"text": " because of Rayleigh scattering."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 12,"totalTokenCount": 520,"thoughtsTokenCount": 500},"modelVersion": "gemini-2.5-flash"}"#
            + "\r\n\r\n"
        #expect(
            Self.decodeInEveryChunkSize(stream, codec: codec) == [
                .text("The"),
                .text(" sky is blue ☀️"),
                .text(" because of Rayleigh scattering."),
                .usage(ModelUsage(inputTokens: 8, outputTokens: 512, reasoningTokens: 500)),
                .finish(.stop),
            ]
        )
    }

    @Test func aStreamedFunctionCallArrivesWhole() {
        let stream = """
            data: {"candidates": [{"content": {"parts": [{"text": "Let me look."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 70,"totalTokenCount": 70}}

            data: {"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_current_temperature","args": {"location": "London"}},"thoughtSignature": "c2lnMQ=="},{"functionCall": {"name": "get_current_temperature","args": {"location": "Paris"}}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 70,"candidatesTokenCount": 30,"totalTokenCount": 100}}


            """
        #expect(
            Self.decodeInEveryChunkSize(stream, codec: codec) == [
                .text("Let me look."),
                .toolCall(
                    index: 0,
                    id: "call_0__thought__c2lnMQ==",
                    name: "get_current_temperature",
                    arguments: #"{"location":"London"}"#
                ),
                .toolCall(index: 1, id: "call_1", name: "get_current_temperature", arguments: #"{"location":"Paris"}"#),
                .usage(ModelUsage(inputTokens: 70, outputTokens: 30)),
                .finish(.toolCalls),
            ]
        )
    }

    @Test func aStreamCutShortEndsInAFailure() {
        let stream = """
            data: {"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}]}

            data: {"candidates": [{"content": {"parts": [{"text": " sky
            """
        let events = Self.decodeInEveryChunkSize(stream, codec: codec)
        #expect(events.count == 2)
        #expect(events.first == .text("The"))
        #expect(events.last?.modelError?.kind == .malformedResponse)
    }

    @Test func errorsAndBlocksInsideTheStreamAreFailures() {
        let overloaded = """
            data: {"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}]}

            data: {"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}


            """
        #expect(
            Self.decodeInEveryChunkSize(overloaded, codec: codec) == [
                .text("The"),
                .failure(
                    ModelError(
                        .retryable,
                        status: 503,
                        providerCode: "UNAVAILABLE",
                        message: "The model is overloaded. Please try again later."
                    )
                ),
            ]
        )
        let blocked = """
            data: {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9}}


            """
        #expect(Self.decodeInEveryChunkSize(blocked, codec: codec).map(\.modelError?.kind) == [.contentPolicy])
        let withheld = """
            data: {"candidates": [{"finishReason": "SAFETY","index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9}}


            """
        #expect(
            Self.decodeInEveryChunkSize(withheld, codec: codec) == [
                .usage(ModelUsage(inputTokens: 9)),
                .failure(
                    ModelError(.contentPolicy, providerCode: "SAFETY", message: "Gemini withheld the answer (SAFETY).")
                ),
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
                    #"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}, {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": "API key not valid. Please pass a valid API key."}]}}"#,
                    .badCredentials, nil
                ),
                (
                    400, [],
                    #"{"error": {"code": 400, "message": "The input token count (1189673) exceeds the maximum number of tokens allowed (1048576).", "status": "INVALID_ARGUMENT"}}"#,
                    .contextWindowExceeded, nil
                ),
                (
                    400, [],
                    #"{"error": {"code": 400, "message": "Invalid JSON payload received. Unknown name \"foo\": Cannot find field.", "status": "INVALID_ARGUMENT"}}"#,
                    .invalidRequest, nil
                ),
                (
                    400, [],
                    #"{"error": {"code": 400, "message": "Gemini API free tier is not available in your country. Please enable billing on your project in Google AI Studio.", "status": "FAILED_PRECONDITION"}}"#,
                    .quotaExhausted, nil
                ),
                (
                    400, [],
                    #"{"error": {"code": 400, "message": "User location is not supported for the API use.", "status": "FAILED_PRECONDITION"}}"#,
                    .invalidRequest, nil
                ),
                (
                    401, [],
                    #"{"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}}"#,
                    .badCredentials, nil
                ),
                (
                    403, [],
                    #"{"error": {"code": 403, "message": "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", "status": "PERMISSION_DENIED"}}"#,
                    .badCredentials, nil
                ),
                (
                    404, [],
                    #"{"error": {"code": 404, "message": "models/gemini-9-ultra is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.", "status": "NOT_FOUND"}}"#,
                    .unknownModel, nil
                ),
                (
                    429, [],
                    #"{"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"}, "quotaValue": "10"}]}, {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]}, {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "39s"}]}}"#,
                    .retryable, 39
                ),
                (
                    429, [("Retry-After", "5")],
                    #"{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}"#,
                    .retryable, 5
                ),
                (
                    429, [],
                    #"{"error": {"code": 429, "message": "You exceeded your current quota, please check your plan and billing details.", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "quotaDimensions": {"location": "global", "model": "gemini-2.5-pro"}, "quotaValue": "50"}]}, {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}]}}"#,
                    .quotaExhausted, 17
                ),
                (
                    500, [],
                    #"{"error": {"code": 500, "message": "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting", "status": "INTERNAL"}}"#,
                    .retryable, nil
                ),
                (
                    503, [],
                    #"{"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}"#,
                    .retryable, nil
                ),
                (
                    504, [],
                    #"{"error": {"code": 504, "message": "Deadline expired before operation could complete.", "status": "DEADLINE_EXCEEDED"}}"#,
                    .retryable, nil
                ),
                (502, [], "<html><title>502 Bad Gateway</title></html>", .retryable, nil),
            ]
        for item in cases {
            let error = codec.response(status: item.status, headers: item.headers, body: Data(item.body.utf8))
                .modelError
            #expect(error?.kind == item.kind, "\(item.status) \(item.body)")
            #expect(error?.status == item.status)
            #expect(error?.retryAfter == item.retryAfter, "\(item.status) \(item.body)")
        }
        #expect(
            codec.response(status: 404, headers: [], body: Data(cases[7].body.utf8)).modelError?.providerCode
                == "NOT_FOUND"
        )
    }
}
