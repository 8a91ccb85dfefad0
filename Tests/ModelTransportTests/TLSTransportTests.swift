import Foundation
@testable import ModelOrchestrator
import ModelProviderSimulator
import NIOSSL
import Testing

/// Calls to a provider over `https`: the certificate is verified against the trust roots, the host name is sent,
/// and answers and streams arrive as over plain HTTP.
@Suite struct TLSTransportTests {
    static let timeouts = ModelTimeouts(connect: .seconds(10), firstToken: .seconds(20), total: .seconds(30))

    static func trustingTheSimulator() throws -> ModelTransport {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try SimulatorCertificate.certificate()])
        return ModelTransport(tls: tls)
    }

    @Test(arguments: [SimulatedProvider.openAI, .anthropic])
    func answersAndStreamsArriveOverTLS(provider: SimulatedProvider) async throws {
        try await ProviderSimulator.run(secure: true) { simulator in
            let transport = try Self.trustingTheSimulator()
            let endpoint = provider.endpoint(on: simulator)
            #expect(endpoint.baseURL.hasPrefix("https://localhost:"))
            simulator.enqueue(.answer("Over TLS."), .answer("Streamed over TLS."))
            let whole = await transport.complete(ModelTransportTests.request, codec: provider.codec, endpoint: endpoint, timeouts: Self.timeouts)
            #expect(try whole.get().text == "Over TLS.")
            let events = await ModelTransportTests.collect(
                transport.stream(ModelTransportTests.request, codec: provider.codec, endpoint: endpoint, timeouts: Self.timeouts)
            )
            let text = events.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
            #expect(text == "Streamed over TLS.")
            #expect(events.last == .finish(.stop))
            #expect(simulator.requests.count == 2)
            try await transport.shutdown()
        }
    }

    @Test func aCertificateTheSystemDoesNotTrustIsRefused() async throws {
        try await ProviderSimulator.run(secure: true) { simulator in
            let transport = ModelTransport()
            let result = await transport.complete(
                ModelTransportTests.request,
                codec: SimulatedProvider.openAI.codec,
                endpoint: SimulatedProvider.openAI.endpoint(on: simulator),
                timeouts: Self.timeouts
            )
            try await transport.shutdown()
            let error = try ModelTransportTests.failure(result)
            #expect(error.kind == .retryable)
            #expect(error.message.hasPrefix("could not reach localhost:\(simulator.port)"), "\(error.message)")
            #expect(simulator.requests.isEmpty)
        }
    }
}
