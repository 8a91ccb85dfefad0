import Foundation
import ModelOrchestrator
import ModelProviderSimulator
import Synchronization
import Testing

/// Routes over the real transport against simulated providers: the fallback chains and retries as a tenant's call
/// would go through them.
/// Backoffs the router asked for, recorded instead of waited.
final class Sleeps: Sendable {
    private let seconds = Mutex<[Double]>([])
    func record(_ value: Double) { seconds.withLock { $0.append(value) } }
    var all: [Double] { seconds.withLock { $0 } }
}

@Suite struct RoutedCallTests {
    static let request = ModelRequest(messages: [.user("Where is order 123456?")], maxTokens: 64)

    func target(_ provider: SimulatedProvider) -> RouteTarget {
        RouteTarget(id: provider.rawValue, provider: provider.rawValue, model: provider.model,
                    timeouts: ModelTimeouts(connect: .seconds(10), firstToken: .seconds(20), total: .seconds(30)))
    }

    /// Runs `body` with a router whose sleeps are recorded instead of waited.
    func withRouter(_ body: @Sendable (ProviderSimulator, ModelRouter, Sleeps) async throws -> Void) async throws {
        try await ProviderSimulator.run { simulator in
            let transport = ModelTransport()
            let caller = TransportCaller(transport: transport, fallbackText: "A colleague will answer shortly.") { target in
                SimulatedProvider(rawValue: target.provider)?.endpoint(on: simulator)
            }
            let slept = Sleeps()
            let router = ModelRouter(caller: caller, clock: { ProcessInfo.processInfo.systemUptime }, sleep: { slept.record($0) }, seed: 7)
            do {
                try await body(simulator, router, slept)
            } catch {
                try? await transport.shutdown()
                throw error
            }
            try await transport.shutdown()
        }
    }

    @Test func serverErrorsFallBackToTheNextProvider() async throws {
        try await withRouter { simulator, router, slept in
            simulator.enqueue(.serverError, .serverError, .answer("From Anthropic."))
            let route = ModelRoute(name: "support", targets: [target(.openAI), target(.anthropic)])
            let outcome = await router.complete(Self.request, route: route)
            #expect(outcome.response.text == "From Anthropic.")
            #expect(outcome.target?.id == "anthropic")
            #expect(outcome.attempts.map(\.error?.status) == [500, 500, nil])
            #expect(simulator.requests.map(\.path) == ["/v1/chat/completions", "/v1/chat/completions", "/v1/messages"])
            #expect(slept.all.count == 1)
        }
    }

    @Test func retryAfterFromTheProviderIsHonoured() async throws {
        try await withRouter { simulator, router, slept in
            simulator.enqueue(.rateLimited(retryAfterSeconds: 2), .answer("Second time lucky."))
            let outcome = await router.complete(Self.request, route: ModelRoute(name: "support", targets: [target(.openAI)]))
            #expect(outcome.response.text == "Second time lucky.")
            #expect(slept.all == [2])
        }
    }

    @Test func overloadAndContextChainsReachTheirTargets() async throws {
        try await withRouter { simulator, router, _ in
            simulator.enqueue(.contextTooLong, .answer("Long context handled."))
            let route = ModelRoute(name: "support", targets: [target(.anthropic), target(.openAI)], contextWindowChain: [target(.gemini)])
            let outcome = await router.complete(Self.request, route: route)
            #expect(outcome.target?.id == "gemini" && outcome.response.text == "Long context handled.")
            #expect(outcome.attempts.first?.error?.kind == .contextWindowExceeded)
        }
    }

    @Test func whenEveryProviderFailsTheLastResortAnswers() async throws {
        try await withRouter { simulator, router, _ in
            simulator.enqueue(.unauthorized, .overloaded, .overloaded)
            let route = ModelRoute(name: "support", targets: [target(.openAI), target(.anthropic)], lastResort: "A colleague will answer shortly.")
            let outcome = await router.complete(Self.request, route: route)
            #expect(outcome.target == nil && outcome.response.text == "A colleague will answer shortly.")
            #expect(outcome.attempts.map(\.error?.kind) == [.badCredentials, .retryable, .retryable])
            #expect(outcome.attempts[1].error?.status == 529)
            // The target with bad credentials is out of rotation for the next call.
            let next = await router.complete(Self.request, route: route)
            #expect(next.attempts.first?.skipped == "disabled")
        }
    }

    static func collect(_ stream: AsyncStream<RouteStreamEvent>) async -> [RouteStreamEvent] {
        var events: [RouteStreamEvent] = []
        for await event in stream { events.append(event) }
        return events
    }

    static func text(_ events: [RouteStreamEvent]) -> String {
        events.map { if case .event(.text(let piece)) = $0 { piece } else { "" } }.joined()
    }

    @Test func streamsFallBackBeforeTheFirstToken() async throws {
        try await withRouter { simulator, router, _ in
            simulator.enqueue(.serverError, .serverError, .answer("Streamed from Anthropic."))
            let route = ModelRoute(name: "support", targets: [target(.openAI), target(.anthropic)])
            let events = await Self.collect(router.stream(Self.request, route: route))
            guard case .attempts(let attempts)? = events.first else {
                Issue.record("no attempts first: \(events)")
                return
            }
            #expect(attempts.map(\.error?.status) == [500, 500, nil])
            #expect(events.dropFirst().first == .answering(target(.anthropic)))
            #expect(Self.text(events) == "Streamed from Anthropic.")
            #expect(events.last == .event(.finish(.stop)))
        }
    }

    @Test func aFailureAfterTheFirstTokenIsReportedNotHidden() async throws {
        try await withRouter { simulator, router, _ in
            simulator.enqueue(.breakMidStream(afterChunks: 2))
            let route = ModelRoute(name: "support", targets: [target(.openAI), target(.anthropic)])
            let events = await Self.collect(router.stream(Self.request, route: route))
            #expect(events.contains(.answering(target(.openAI))))
            guard case .event(.failure(let error))? = events.last else {
                Issue.record("the stream did not end with a failure: \(events)")
                return
            }
            #expect(error.kind == .malformedResponse || error.kind == .retryable)
            #expect(!events.contains(.answering(target(.anthropic))), "no fallback once an answer started")
        }
    }

    @Test func aStreamWithNoProviderLeftEndsWithTheLastResort() async throws {
        try await withRouter { simulator, router, _ in
            simulator.enqueue(.unauthorized)
            let route = ModelRoute(name: "support", targets: [target(.gemini)], lastResort: "A colleague will answer shortly.")
            let events = await Self.collect(router.stream(Self.request, route: route))
            #expect(events.contains(.answering(nil)))
            #expect(Self.text(events) == "A colleague will answer shortly.")
            #expect(events.last == .event(.finish(.stop)))
        }
    }
}
