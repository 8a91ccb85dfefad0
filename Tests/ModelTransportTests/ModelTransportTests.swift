import Foundation
import ModelOrchestrator
import ModelProviderSimulator
import Testing

/// The transport against providers simulated on loopback, in their own wire formats: answers, streams, errors,
/// deadlines, broken connections and cancellation.
@Suite struct ModelTransportTests {
    static let request = ModelRequest(
        system: "Answer briefly.", messages: [.user("How is the weather?")], maxTokens: 64)
    static let answer = "The weather is fine today."
    static let answerUsage = ModelUsage(inputTokens: SimulatorBehaviour.promptTokens, outputTokens: 5)
    /// Deadlines no test that goes right comes near, even with the machine busy with other suites; a test that goes
    /// wrong still ends.
    static let timeouts = ModelTimeouts(connect: .seconds(10), firstToken: .seconds(20), total: .seconds(30))

    // MARK: - Answers

    @Test(arguments: SimulatedProvider.allCases)
    func completeReadsTheWholeAnswer(provider: SimulatedProvider) async throws {
        try await withSimulation { simulator, transport in
            simulator.enqueue(.answer(Self.answer))
            let result = await transport.complete(
                Self.request,
                codec: provider.codec,
                endpoint: provider.endpoint(on: simulator),
                timeouts: Self.timeouts
            )
            let response = try result.get()
            #expect(response.text == Self.answer)
            #expect(response.finishReason == .stop)
            #expect(response.usage == Self.answerUsage)
            #expect(response.model != nil)

            let sent = try #require(simulator.requests.first)
            #expect(simulator.requests.count == 1)
            #expect(sent.method == "POST")
            #expect(sent.path == Self.path(of: provider, streaming: false))
            #expect(sent.json?["stream"] as? Bool ?? false == false)
            #expect(sent.header("content-type") == "application/json")
            if let (name, value) = Self.credential(of: provider) {
                #expect(sent.header(name) == value)
            }
        }
    }

    @Test(arguments: SimulatedProvider.allCases)
    func streamYieldsTheAnswerWordByWordThenUsageThenFinish(provider: SimulatedProvider) async throws {
        try await withSimulation { simulator, transport in
            simulator.enqueue(.answer(Self.answer))
            let events = await Self.collect(
                transport.stream(
                    Self.request,
                    codec: provider.codec,
                    endpoint: provider.endpoint(on: simulator),
                    timeouts: Self.timeouts
                )
            )
            let texts = events.compactMap { if case .text(let text) = $0 { text } else { nil } }
            #expect(texts == SimulatorBehaviour.chunks(of: Self.answer))
            let usages = events.compactMap { if case .usage(let usage) = $0 { usage } else { nil } }
            #expect(usages.last == Self.answerUsage)
            #expect(events.last == .finish(.stop))
            #expect(events.filter(Self.isLast).count == 1)
            // The final usage comes before the finish.
            let lastUsage = try #require(events.lastIndex { if case .usage = $0 { true } else { false } })
            #expect(lastUsage == events.count - 2)

            let sent = try #require(simulator.requests.first)
            #expect(sent.path == Self.path(of: provider, streaming: true))
            switch provider {
            case .gemini:
                #expect(sent.query == "alt=sse")
            default:
                #expect(sent.json?["stream"] as? Bool == true)
            }
            let outcomes = await simulator.outcomes(count: 1, within: .seconds(5))
            #expect(outcomes == [.answered])
        }
    }

    // MARK: - Errors

    @Test(arguments: SimulatedProvider.allCases)
    func rateLimitIsRetryableWithTheProvidersRetryAfter(provider: SimulatedProvider) async throws {
        // Mistral and Ollama name no time to retry; Gemini names it in the body, the others in a header.
        let expected: Double? = [.mistral, .ollama].contains(provider) ? nil : 7
        try await withSimulation { simulator, transport in
            simulator.enqueue(.rateLimited(retryAfterSeconds: 7), .rateLimited(retryAfterSeconds: 7))
            let endpoint = provider.endpoint(on: simulator)
            let whole = try Self.failure(
                await transport.complete(
                    Self.request, codec: provider.codec, endpoint: endpoint, timeouts: Self.timeouts)
            )
            let streamed = try Self.failure(
                await Self.collect(
                    transport.stream(Self.request, codec: provider.codec, endpoint: endpoint, timeouts: Self.timeouts)
                )
            )
            for error in [whole, streamed] {
                #expect(error.kind == .retryable)
                #expect(error.status == (provider == .ollama ? 503 : 429))
                #expect(error.retryAfter == expected)
            }
        }
    }

    @Test func anthropicOverloadedIsRetryable() async throws {
        try await withSimulation { simulator, transport in
            simulator.enqueue(.overloaded)
            let error = try Self.failure(
                await transport.complete(
                    Self.request,
                    codec: AnthropicCodec(),
                    endpoint: SimulatedProvider.anthropic.endpoint(on: simulator),
                    timeouts: Self.timeouts
                )
            )
            #expect(error.kind == .retryable)
            #expect(error.status == 529)
            #expect(error.providerCode == "overloaded_error")
            #expect(error.message == "Overloaded")
        }
    }

    @Test(arguments: SimulatedProvider.allCases)
    func providerErrorBodiesAreClassified(provider: SimulatedProvider) async throws {
        let cases: [(SimulatorBehaviour, ModelError.Kind)] = [
            (.serverError, .retryable),
            (.overloaded, .retryable),
            (.unauthorized, .badCredentials),
            (.contextTooLong, .contextWindowExceeded),
        ]
        try await withSimulation { simulator, transport in
            let endpoint = provider.endpoint(on: simulator)
            for (behaviour, kind) in cases {
                simulator.enqueue(behaviour, behaviour)
                let whole = try Self.failure(
                    await transport.complete(
                        Self.request,
                        codec: provider.codec,
                        endpoint: endpoint,
                        timeouts: Self.timeouts
                    )
                )
                let streamed = try Self.failure(
                    await Self.collect(
                        transport.stream(
                            Self.request,
                            codec: provider.codec,
                            endpoint: endpoint,
                            timeouts: Self.timeouts
                        )
                    )
                )
                #expect(whole.kind == kind, "\(behaviour): \(whole)")
                #expect(streamed == whole, "\(behaviour)")
                #expect(!whole.message.isEmpty)
            }
        }
    }

    @Test(arguments: [SimulatedProvider.openAI, .openAICompatible, .mistral, .azureOpenAI, .anthropic, .gemini])
    func safetyBlocksAreContentPolicyOrFilteredAnswers(provider: SimulatedProvider) async throws {
        try await withSimulation { simulator, transport in
            simulator.enqueue(.safetyBlock, .safetyBlock)
            let endpoint = provider.endpoint(on: simulator)
            let whole = await transport.complete(
                Self.request,
                codec: provider.codec,
                endpoint: endpoint,
                timeouts: Self.timeouts
            )
            let events = await Self.collect(
                transport.stream(Self.request, codec: provider.codec, endpoint: endpoint, timeouts: Self.timeouts)
            )
            switch provider {
            case .azureOpenAI, .gemini:
                // The prompt is refused: no answer at all.
                let error = try Self.failure(whole)
                #expect(error.kind == .contentPolicy)
                let streamed = try Self.failure(events)
                #expect(streamed.kind == .contentPolicy)
                #expect(streamed.providerCode == error.providerCode)
                #expect(events.count == 1)
            case .anthropic:
                let response = try whole.get()
                #expect(response.finishReason == .refusal)
                #expect(events.last == .finish(.refusal))
            default:
                // The answer is cut short by the filter.
                let response = try whole.get()
                #expect(response.finishReason == .contentFilter)
                #expect(response.text == "I cannot ")
                #expect(events.last == .finish(.contentFilter))
            }
        }
    }

    // MARK: - Connections and deadlines

    // Deadlines are chosen so that the outcome does not hang on how the threads are scheduled: the deadline a test
    // expects to be missed is the earliest, and one it expects to be met leaves the call a second or more.

    @Test func aClosedPortIsARetryableConnectFailure() async throws {
        // A port a simulator listened on and no longer does.
        let port = try await ProviderSimulator.run { simulator in simulator.port }
        let transport = ModelTransport()
        let endpoint = ProviderEndpoint(baseURL: "http://127.0.0.1:\(port)", apiKey: "sk-ant-x", model: "claude")
        let whole = try Self.failure(
            await transport.complete(Self.request, codec: AnthropicCodec(), endpoint: endpoint, timeouts: Self.timeouts)
        )
        let streamed = await Self.collect(
            transport.stream(Self.request, codec: AnthropicCodec(), endpoint: endpoint, timeouts: Self.timeouts)
        )
        try await transport.shutdown()

        // Refused at once: not retried until the connect deadline, which would say "connect timeout".
        #expect(whole.kind == .retryable)
        #expect(whole.status == nil)
        #expect(whole.message.hasPrefix("could not reach 127.0.0.1:\(port)"), "\(whole.message)")
        #expect(streamed.count == 1)
        let streamedError = try Self.failure(streamed)
        #expect(streamedError.kind == .retryable)
        #expect(streamedError.message.hasPrefix("could not reach 127.0.0.1:\(port)"))
    }

    @Test func aConnectionThatNeverOpensTimesOut() async throws {
        let transport = ModelTransport()
        let (error, elapsed, port) = try await UnresponsiveListener.run { port in
            let endpoint = ProviderEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", apiKey: "sk-x", model: "gpt-4o")
            let timeouts = ModelTimeouts(connect: .milliseconds(200), firstToken: .seconds(20), total: .seconds(30))
            let clock = ContinuousClock()
            let start = clock.now
            let error = try Self.failure(
                await transport.complete(
                    Self.request, codec: OpenAIChatCodec.openAI, endpoint: endpoint, timeouts: timeouts)
            )
            return (error, clock.now - start, port)
        }
        // With the listener gone, the connection attempt the call left behind is refused at its next SYN, which
        // lets the shutdown finish.
        try await transport.shutdown()
        #expect(error.kind == .retryable)
        #expect(error.message == "connect timeout after 200 ms (127.0.0.1:\(port))")
        // The call does not wait for the attempt it gives up on, which lasts ModelTransport.connectTimeoutLimit.
        #expect(elapsed < .seconds(5))
    }

    @Test func aRequestOnAnOpenConnectionMeetsTheConnectDeadline() async throws {
        try await withSimulation { simulator, transport in
            simulator.enqueue(.hang)
            let timeouts = ModelTimeouts(connect: .milliseconds(500), firstToken: .seconds(20), total: .seconds(1))
            let error = try Self.failure(
                await transport.complete(
                    Self.request,
                    codec: AnthropicCodec(),
                    endpoint: SimulatedProvider.anthropic.endpoint(on: simulator),
                    timeouts: timeouts
                )
            )
            // The provider took the request and said nothing: that is no connect timeout.
            #expect(error.message == "no complete answer within 1 s (127.0.0.1:\(simulator.port))")
        }
    }

    @Test func aStreamWithoutAFirstTokenTimesOut() async throws {
        try await withSimulation { simulator, transport in
            simulator.enqueue(.hang)
            let timeouts = ModelTimeouts(connect: .seconds(10), firstToken: .milliseconds(300), total: .seconds(30))
            let events = await Self.collect(
                transport.stream(
                    Self.request,
                    codec: OpenAIChatCodec.openAI,
                    endpoint: SimulatedProvider.openAI.endpoint(on: simulator),
                    timeouts: timeouts
                )
            )
            #expect(events.count == 1)
            let error = try Self.failure(events)
            #expect(error.kind == .retryable)
            #expect(error.message == "no first token within 300 ms (127.0.0.1:\(simulator.port))")
        }
    }

    @Test func usageBeforeAnyTokenIsNoFirstToken() async throws {
        try await withSimulation { simulator, transport in
            // Anthropic opens the stream with the input usage at once; the words would come 30 s later.
            simulator.enqueue(.slowAnswer(Self.answer, firstToken: .seconds(30), betweenChunks: .zero))
            let timeouts = ModelTimeouts(connect: .seconds(10), firstToken: .seconds(1), total: .seconds(30))
            let events = await Self.collect(
                transport.stream(
                    Self.request,
                    codec: AnthropicCodec(),
                    endpoint: SimulatedProvider.anthropic.endpoint(on: simulator),
                    timeouts: timeouts
                )
            )
            #expect(events.first == .usage(ModelUsage(inputTokens: SimulatorBehaviour.promptTokens, outputTokens: 1)))
            #expect(events.count == 2)
            let error = try Self.failure(events)
            #expect(error.message.hasPrefix("no first token within 1 s"))
        }
    }

    @Test func aHangingAnswerMeetsTheTotalTimeout() async throws {
        try await withSimulation { simulator, transport in
            simulator.enqueue(.hang)
            let timeouts = ModelTimeouts(
                connect: .seconds(10), firstToken: .milliseconds(100), total: .milliseconds(300))
            let clock = ContinuousClock()
            let start = clock.now
            let error = try Self.failure(
                await transport.complete(
                    Self.request,
                    codec: GeminiCodec(),
                    endpoint: SimulatedProvider.gemini.endpoint(on: simulator),
                    timeouts: timeouts
                )
            )
            let elapsed = clock.now - start
            // A whole answer has no first token: only the total deadline ends the wait.
            #expect(error.kind == .retryable)
            #expect(error.message == "no complete answer within 300 ms (127.0.0.1:\(simulator.port))")
            #expect(elapsed >= .milliseconds(300))
            #expect(elapsed < .seconds(10))
        }
    }

    @Test func aSlowStreamMeetsTheTotalTimeoutAfterItsFirstWords() async throws {
        try await withSimulation { simulator, transport in
            let text = (1...30).map { "word\($0)" }.joined(separator: " ")
            simulator.enqueue(.slowAnswer(text, firstToken: .zero, betweenChunks: .milliseconds(100)))
            let timeouts = ModelTimeouts(connect: .seconds(10), firstToken: .seconds(20), total: .seconds(1))
            let events = await Self.collect(
                transport.stream(
                    Self.request,
                    codec: OllamaCodec(),
                    endpoint: SimulatedProvider.ollama.endpoint(on: simulator),
                    timeouts: timeouts
                )
            )
            let texts = events.filter { if case .text = $0 { true } else { false } }
            #expect(texts.count >= 1)
            #expect(texts.count < 30)
            let error = try Self.failure(events)
            #expect(error.message.hasPrefix("no complete answer within 1 s"))
            #expect(!events.contains { if case .finish = $0 { true } else { false } })
        }
    }

    @Test(arguments: SimulatedProvider.allCases)
    func aConnectionBrokenMidStreamFailsInsteadOfTruncating(provider: SimulatedProvider) async throws {
        try await withSimulation { simulator, transport in
            simulator.enqueue(.breakMidStream(afterChunks: 2), .breakMidStream(afterChunks: 2))
            let endpoint = provider.endpoint(on: simulator)
            let events = await Self.collect(
                transport.stream(Self.request, codec: provider.codec, endpoint: endpoint, timeouts: Self.timeouts)
            )
            let texts = events.compactMap { if case .text(let text) = $0 { text } else { nil } }
            #expect(texts == Array(SimulatorBehaviour.chunks(of: SimulatorBehaviour.defaultAnswer).prefix(2)))
            let error = try Self.failure(events)
            #expect(error.kind == .malformedResponse)
            #expect(error.message.hasPrefix("The stream was cut short"), "\(error.message)")
            #expect(!events.contains { if case .finish = $0 { true } else { false } })

            // A whole answer whose body stops halfway fails too.
            let whole = try Self.failure(
                await transport.complete(
                    Self.request, codec: provider.codec, endpoint: endpoint, timeouts: Self.timeouts)
            )
            #expect(whole.kind == .malformedResponse)
            let outcomes = await simulator.outcomes(count: 2, within: .seconds(5))
            #expect(outcomes == [.broken(chunks: 2), .broken(chunks: 0)])
        }
    }

    @Test func anAnswerLargerThanTheLimitIsMalformed() async throws {
        try await withSimulation { simulator, transport in
            simulator.enqueue(.oversizedAnswer(bytes: ModelTransport.maximumResponseBytes + 1))
            let error = try Self.failure(
                await transport.complete(
                    Self.request,
                    codec: OllamaCodec(),
                    endpoint: SimulatedProvider.ollama.endpoint(on: simulator),
                    timeouts: Self.timeouts
                )
            )
            #expect(error.kind == .malformedResponse)
            #expect(error.message == "The response is larger than 16 MiB.")
        }
    }

    @Test func cancellingTheConsumerStopsTheRequest() async throws {
        try await withSimulation { simulator, transport in
            let words = (1...40).map { "word\($0)" }.joined(separator: " ")
            simulator.enqueue(.slowAnswer(words, firstToken: .zero, betweenChunks: .milliseconds(50)))
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let stream = transport.stream(
                Self.request,
                codec: AnthropicCodec(),
                endpoint: SimulatedProvider.anthropic.endpoint(on: simulator),
                timeouts: Self.timeouts
            )
            let consumer = Task {
                defer { startedContinuation.finish() }
                var texts = 0
                for await event in stream {
                    if case .text = event { texts += 1 }
                    if texts == 2 { startedContinuation.yield() }
                }
                return texts
            }
            for await _ in started { break }
            consumer.cancel()
            let read = await consumer.value
            #expect(read < 40)

            // The simulator sees the client go away, and stops writing, long before the 40th word.
            let outcomes = await simulator.outcomes(count: 1, within: .seconds(5))
            guard case .abandoned(let chunks)? = outcomes.first else {
                Issue.record("The response was not abandoned: \(outcomes)")
                return
            }
            #expect(chunks < 20)
        }
    }

    @Test func anAccountsHeadersCannotChangeHowRequestsAreFramed() async throws {
        try await withSimulation { simulator, transport in
            var endpoint = SimulatedProvider.openAI.endpoint(on: simulator)
            endpoint.headers = [
                "Host": "elsewhere.example", "Content-Length": "5", "Transfer-Encoding": "chunked", "Connection": "close",
                "OpenAI-Organization": "org-1",
            ]
            simulator.enqueue(.answer("One."), .answer("Two."))
            // Two calls on the same connection: a request framed by the account's headers would break the second.
            for expected in ["One.", "Two."] {
                let result = await transport.complete(
                    Self.request, codec: SimulatedProvider.openAI.codec, endpoint: endpoint, timeouts: Self.timeouts)
                #expect(try result.get().text == expected)
            }
            let sent = try #require(simulator.requests.last)
            #expect(sent.header("transfer-encoding") == nil)
            #expect(sent.header("openai-organization") == "org-1")
            #expect(sent.json?["model"] != nil)
        }
    }

    @Test func aCallFromACancelledTaskEndsAtOnce() async throws {
        try await withSimulation { simulator, transport in
            let endpoint = SimulatedProvider.openAI.endpoint(on: simulator)
            let codec = SimulatedProvider.openAI.codec
            // Cancelled before it asks: the call must end with an error, not wait for an answer it stopped wanting.
            let whole = await Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await transport.complete(Self.request, codec: codec, endpoint: endpoint, timeouts: Self.timeouts)
            }.value
            let error = try Self.failure(whole)
            #expect(error.kind == .retryable)
            #expect(error.message.contains("cancelled"), "\(error.message)")
            #expect(simulator.requests.isEmpty)
        }
    }

    @Test func anUnusableEndpointURLIsAnInvalidRequest() async throws {
        let transport = ModelTransport()
        let endpoint = ProviderEndpoint(baseURL: "ftp://example.invalid", apiKey: "k", model: "m")
        let error = try Self.failure(
            await transport.complete(Self.request, codec: AnthropicCodec(), endpoint: endpoint))
        try await transport.shutdown()
        #expect(error.kind == .invalidRequest)
    }
}

// MARK: - Helpers

extension ModelTransportTests {
    /// Runs `body` with a simulator and a transport, shutting both down afterwards.
    func withSimulation(_ body: @Sendable (ProviderSimulator, ModelTransport) async throws -> Void) async throws {
        try await ProviderSimulator.run { simulator in
            let transport = ModelTransport()
            do {
                try await body(simulator, transport)
            } catch {
                try? await transport.shutdown()
                throw error
            }
            try await transport.shutdown()
        }
    }

    static func collect(_ stream: AsyncStream<ModelStreamEvent>) async -> [ModelStreamEvent] {
        var events: [ModelStreamEvent] = []
        for await event in stream { events.append(event) }
        return events
    }

    static func isLast(_ event: ModelStreamEvent) -> Bool {
        switch event {
        case .finish, .failure: true
        default: false
        }
    }

    /// The error of a failed call.
    static func failure(
        _ result: Result<ModelResponse, ModelError>,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ModelError {
        switch result {
        case .failure(let error):
            return error
        case .success(let response):
            Issue.record("Expected a failure, got \(response)", sourceLocation: sourceLocation)
            throw ExpectedFailure()
        }
    }

    /// The failure a stream ended with.
    static func failure(_ events: [ModelStreamEvent], sourceLocation: SourceLocation = #_sourceLocation) throws
        -> ModelError
    {
        guard case .failure(let error)? = events.last else {
            Issue.record("Expected the stream to end with a failure: \(events)", sourceLocation: sourceLocation)
            throw ExpectedFailure()
        }
        return error
    }

    struct ExpectedFailure: Error {}

    static func path(of provider: SimulatedProvider, streaming: Bool) -> String {
        switch provider {
        case .openAI, .openAICompatible, .mistral: "/v1/chat/completions"
        case .azureOpenAI: "/openai/deployments/\(provider.model)/chat/completions"
        case .anthropic: "/v1/messages"
        case .gemini: "/v1beta/models/\(provider.model):\(streaming ? "streamGenerateContent" : "generateContent")"
        case .ollama: "/api/chat"
        }
    }

    static func credential(of provider: SimulatedProvider) -> (String, String)? {
        switch provider {
        case .openAI: ("authorization", "Bearer sk-simulator")
        case .azureOpenAI: ("api-key", "azure-simulator")
        case .mistral: ("authorization", "Bearer mistral-simulator")
        case .anthropic: ("x-api-key", "sk-ant-simulator")
        case .gemini: ("x-goog-api-key", "gemini-simulator")
        case .openAICompatible, .ollama: nil
        }
    }
}
