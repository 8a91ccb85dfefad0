import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// One provider's way of answering a request: its bodies, its streams, its errors.
protocol SimulatedDialect: Sendable {
    /// Whether the request asked for a stream.
    var streaming: Bool { get }
    /// The answer `text`, whole or as a stream as the request asked.
    func answer(_ text: String) -> SimulatedReply
    /// What the provider does when its safety filter stops the request or the answer.
    func safetyBlock() -> SimulatedReply
    /// The provider's error response for `failure`.
    func failure(_ failure: SimulatedFailure) -> WholeReply
}

/// The errors every provider has a response for.
enum SimulatedFailure: Sendable {
    case rateLimited(retryAfterSeconds: Int)
    case serverError
    case overloaded
    case unauthorized
    case contextTooLong
}

/// A response written at once.
struct WholeReply: Sendable {
    var status: Int
    var headers: [(name: String, value: String)] = []
    var body: String

    /// A JSON response.
    static func json(_ status: Int, _ object: Any, headers: [(name: String, value: String)] = []) -> WholeReply {
        WholeReply(status: status, headers: [("content-type", "application/json")] + headers, body: JSON.text(object))
    }
}

/// A streamed response: what goes at once, the words (one frame each, paced by the behaviour), what ends it.
struct StreamPlan: Sendable {
    var contentType: String
    var opening: [String] = []
    var words: [String]
    var closing: [String] = []
}

enum SimulatedReply: Sendable {
    case whole(WholeReply)
    case stream(StreamPlan)
}

/// Writing JSON the way the fixtures need it: keys sorted, so that bodies are the same from run to run.
enum JSON {
    static func text(_ object: Any) -> String {
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static let null = NSNull()
}

/// Thrown inside a response body to drop the connection without ending the body.
private struct DeliberateBreak: Error {}

/// Records each request, picks the provider from the path and acts out the queued behaviour.
struct SimulatorResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let state: SimulatorState

    func respond(to request: Request, context: Context) async throws -> Response {
        let body = try await request.body.collect(upTo: 32 << 20)
        let recorded = RecordedRequest(
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query,
            headers: request.headers.map { (name: $0.name.rawName, value: $0.value) },
            body: Data(body.readableBytesView)
        )
        let (number, behaviour) = state.receive(recorded)
        guard let dialect = Self.dialect(for: recorded, number: number) else {
            let message = "No provider is simulated at \(recorded.path)."
            return write(.json(404, ["error": ["message": message, "type": "not_found"]]))
        }
        switch behaviour {
        case .answer(let text), .slowAnswer(let text, _, _):
            return try await reply(dialect.answer(text), behaviour: behaviour)
        case .breakMidStream:
            return try await reply(dialect.answer(SimulatorBehaviour.defaultAnswer), behaviour: behaviour)
        case .oversizedAnswer(let bytes):
            guard case .whole(let whole) = dialect.answer(SimulatorBehaviour.defaultAnswer) else {
                return try await reply(dialect.answer(SimulatorBehaviour.defaultAnswer), behaviour: behaviour)
            }
            var body = ByteBuffer(string: whole.body)
            body.writeRepeatingByte(UInt8(ascii: " "), count: max(0, bytes - body.readableBytes))
            return write(status: whole.status, headers: whole.headers, body: body)
        case .safetyBlock:
            return try await reply(dialect.safetyBlock(), behaviour: behaviour)
        case .rateLimited(let seconds):
            return write(dialect.failure(.rateLimited(retryAfterSeconds: seconds)))
        case .serverError:
            return write(dialect.failure(.serverError))
        case .overloaded:
            return write(dialect.failure(.overloaded))
        case .unauthorized:
            return write(dialect.failure(.unauthorized))
        case .contextTooLong:
            return write(dialect.failure(.contextTooLong))
        case .hang:
            // Until the simulator stops, which cancels this.
            try await Task.sleep(for: .seconds(3600))
            throw CancellationError()
        }
    }

    /// The provider a request is for, by its path (and, for chat completions, by its model).
    static func dialect(for request: RecordedRequest, number: Int) -> (any SimulatedDialect)? {
        let body = request.json ?? [:]
        let path = request.path
        if path == "/v1/chat/completions" {
            let model = body["model"] as? String ?? ""
            let mistral = ["mistral", "open-mistral", "ministral", "codestral", "magistral", "pixtral"]
                .contains { model.hasPrefix($0) }
            return ChatCompletionsDialect(request: request, number: number, flavor: mistral ? .mistral : .openAI)
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if segments.count == 5, segments[0] == "openai", segments[1] == "deployments", segments[3] == "chat",
            segments[4] == "completions"
        {
            return ChatCompletionsDialect(
                request: request,
                number: number,
                flavor: .azureOpenAI(deployment: segments[2])
            )
        }
        if path == "/v1/messages" {
            return AnthropicDialect(request: request, number: number)
        }
        if segments.count == 3, segments[0] == "v1beta", segments[1] == "models" {
            let parts = segments[2].split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, ["generateContent", "streamGenerateContent"].contains(parts[1]) else { return nil }
            return GeminiDialect(request: request, number: number, model: parts[0], method: parts[1])
        }
        if path == "/api/chat" {
            return OllamaDialect(request: request, number: number)
        }
        return nil
    }

    /// Writes an answer or a block, paced or broken as the behaviour says.
    private func reply(_ reply: SimulatedReply, behaviour: SimulatorBehaviour) async throws -> Response {
        let (firstToken, betweenChunks, breakAfter): (Duration, Duration, Int?) =
            switch behaviour {
            case .slowAnswer(_, let first, let between): (first, between, nil)
            case .breakMidStream(let chunks): (.zero, .zero, chunks)
            default: (.zero, .zero, nil)
            }
        switch reply {
        case .whole(let whole):
            if firstToken > .zero { try await Task.sleep(for: firstToken) }
            guard breakAfter != nil else { return write(whole) }
            // A whole answer broken: the head promises the whole body, half of it comes.
            let bytes = Array(whole.body.utf8)
            let state = state
            return Response(
                status: HTTPResponse.Status(code: whole.status),
                headers: Self.fields(whole.headers),
                body: ResponseBody(contentLength: bytes.count) { writer in
                    try await writer.write(ByteBuffer(bytes: bytes.prefix(bytes.count / 2)))
                    state.end(.broken(chunks: 0))
                    throw DeliberateBreak()
                }
            )
        case .stream(let plan):
            let state = state
            return Response(
                status: .ok,
                headers: Self.fields([("content-type", plan.contentType), ("cache-control", "no-cache")]),
                body: ResponseBody { writer in
                    var sent = 0
                    do {
                        for frame in plan.opening {
                            try await writer.write(ByteBuffer(string: frame))
                        }
                        for frame in plan.words {
                            if sent == breakAfter { try await Self.breakConnection() }
                            let pause = sent == 0 ? firstToken : betweenChunks
                            if pause > .zero { try await Task.sleep(for: pause) }
                            try await writer.write(ByteBuffer(string: frame))
                            sent += 1
                        }
                        if breakAfter != nil { try await Self.breakConnection() }
                        for frame in plan.closing {
                            try await writer.write(ByteBuffer(string: frame))
                        }
                        try await writer.finish(nil)
                        state.end(.answered)
                    } catch let error as DeliberateBreak {
                        state.end(.broken(chunks: sent))
                        throw error
                    } catch {
                        state.end(.abandoned(chunks: sent))
                        throw error
                    }
                }
            )
        }
    }

    /// Drops the connection mid-body, a moment after the last write so that what was sent reaches the client
    /// first, as it does when a connection breaks between two chunks of an answer.
    private static func breakConnection() async throws -> Never {
        try await Task.sleep(for: .milliseconds(50))
        throw DeliberateBreak()
    }

    private func write(_ whole: WholeReply) -> Response {
        write(status: whole.status, headers: whole.headers, body: ByteBuffer(string: whole.body))
    }

    private func write(status: Int, headers: [(name: String, value: String)], body bytes: ByteBuffer) -> Response {
        let state = state
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: Self.fields(headers),
            body: ResponseBody(contentLength: bytes.readableBytes) { writer in
                do {
                    try await writer.write(bytes)
                    try await writer.finish(nil)
                    state.end(.answered)
                } catch {
                    state.end(.abandoned(chunks: 0))
                    throw error
                }
            }
        )
    }

    static func fields(_ headers: [(name: String, value: String)]) -> HTTPFields {
        var fields = HTTPFields()
        for header in headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        return fields
    }
}

/// What every dialect reads of a request.
extension RecordedRequest {
    func bool(_ key: String) -> Bool? { json?[key] as? Bool }
    func string(_ key: String) -> String? { json?[key] as? String }
}
