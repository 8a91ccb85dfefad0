@testable import ModelOrchestrator
import Testing

@Suite struct ProviderURLTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080/v1/chat/completions", false, "127.0.0.1", 8080, "/v1/chat/completions", "127.0.0.1:8080"),
        ("https://api.openai.com/v1/chat/completions", true, "api.openai.com", 443, "/v1/chat/completions", "api.openai.com"),
        ("HTTPS://API.Example.com:8443", true, "api.example.com", 8443, "/", "api.example.com:8443"),
        ("http://localhost:11434/api/chat", false, "localhost", 11434, "/api/chat", "localhost:11434"),
        ("http://[::1]:9000/v1?api-version=2024-10-21", false, "::1", 9000, "/v1?api-version=2024-10-21", "[::1]:9000"),
        ("https://x.openai.azure.com?api-version=1", true, "x.openai.azure.com", 443, "/?api-version=1", "x.openai.azure.com"),
        ("http://example.com:80/a", false, "example.com", 80, "/a", "example.com"),
    ])
    func readsWhatAProviderCallNeeds(
        text: String, secure: Bool, host: String, port: Int, target: String, hostHeader: String
    ) throws {
        let url = try #require(ProviderURL.parse(text))
        #expect(url.origin.secure == secure)
        #expect(url.origin.host == host)
        #expect(url.origin.port == port)
        #expect(url.target == target)
        #expect(url.origin.hostHeader == hostHeader)
    }

    @Test(arguments: [
        "", "ftp://example.com", "http:/example.com", "http://", "http://:80/", "http://example.com:0/",
        "http://example.com:65536/", "http://example.com:8x/", "http://user:secret@example.com/", "http://exa mple.com/",
        "http://example.com/a b", "http://example.com/#fragment", "http://[::1/", "http://[::1]x/", "http://a:b:c/",
        "http://ex\u{e4}mple.com/", "example.com/v1",
    ])
    func refusesWhatCannotBeSentAsIs(text: String) {
        #expect(ProviderURL.parse(text) == nil, "\(text) was accepted")
    }

    @Test func addressesAreNotSentAsTLSServerNames() throws {
        #expect(try #require(ProviderURL.parse("https://10.0.0.1/")).origin.hostIsAddress)
        #expect(try #require(ProviderURL.parse("https://[fe80::1]/")).origin.hostIsAddress)
        #expect(try !#require(ProviderURL.parse("https://api.mistral.ai/")).origin.hostIsAddress)
    }
}
