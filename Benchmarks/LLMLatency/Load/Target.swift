import NIOCore
import NIOHTTP1

/// One endpoint under load: where it is, and the exact request every send repeats.
struct Target: Sendable {
    /// The leg's name in reports (`direct`, `litellm`, `chorus`).
    var name: String
    /// The URL as given.
    var url: String
    /// The resolved address connections go to.
    var address: SocketAddress
    /// Head of every request: path, `Host`, `Content-Type`, `Content-Length`, `Authorization` when a key is set.
    var head: HTTPRequestHead
    /// Body of every request.
    var body: ByteBuffer

    /// - Parameters:
    ///   - name: the leg's name.
    ///   - url: `http://HOST:PORT/PATH`; only plain HTTP/1.1 is spoken.
    ///   - body: the JSON to send.
    ///   - apiKey: sent as `Authorization: Bearer …` when set.
    /// - Throws: `LoadError` when the URL is not `http://` with a host, or the host does not resolve.
    init(name: String, url: String, body: String, apiKey: String?) throws {
        guard url.hasPrefix("http://") else { throw LoadError("\(name): only http:// URLs are supported, got \(url)") }
        let rest = url.dropFirst("http://".count)
        let authority = rest.firstIndex(of: "/").map { rest[..<$0] } ?? rest
        let path = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
        var host = String(authority)
        var port = 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let parsed = Int(authority[authority.index(after: colon)...]) else {
                throw LoadError("\(name): bad port in \(url)")
            }
            host = String(authority[..<colon])
            port = parsed
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw LoadError("\(name): no host in \(url)") }
        do {
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw LoadError("\(name): cannot resolve \(host): \(error)")
        }

        var headers = HTTPHeaders()
        headers.add(name: "host", value: String(authority))
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.utf8.count))
        headers.add(name: "user-agent", value: "llm-load")
        if let apiKey, !apiKey.isEmpty { headers.add(name: "authorization", value: "Bearer \(apiKey)") }
        self.name = name
        self.url = url
        self.head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers)
        self.body = ByteBuffer(string: body)
    }
}
