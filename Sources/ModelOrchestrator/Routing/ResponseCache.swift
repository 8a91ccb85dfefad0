import ChorusCore
import Crypto
import Foundation
public import Hiredis
public import Logging

/// Cached answers, keyed by tenant, route and the normalized request.
public protocol ResponseCache: Sendable {
    /// The cached answer and the target that gave it, if any.
    func answer(for key: String) async -> CachedAnswer?
    /// Keeps an answer for `ttl` seconds.
    func store(_ answer: CachedAnswer, for key: String, ttl: Int) async
}

/// An answer as the cache keeps it.
public struct CachedAnswer: Sendable, Equatable, Codable {
    public var response: ModelResponse
    /// The id of the target that answered.
    public var target: String

    public init(response: ModelResponse, target: String) {
        self.response = response
        self.target = target
    }
}

/// When a route caches answers.
public struct CacheSettings: Sendable, Equatable {
    /// How long an answer is kept, in seconds.
    public var ttl: Int
    /// Whether requests sampled with a temperature above 0 are cached too. Off by default: such a request asks for
    /// variety, and a cache would answer it the same way every time.
    public var includeNonZeroTemperature: Bool

    public init(ttl: Int, includeNonZeroTemperature: Bool = false) {
        self.ttl = ttl
        self.includeNonZeroTemperature = includeNonZeroTemperature
    }

    /// Whether `request` may be answered from the cache and its answer kept.
    public func applies(to request: ModelRequest) -> Bool {
        ttl > 0 && (includeNonZeroTemperature || (request.temperature ?? 0) == 0)
    }

    /// The cache key: the tenant, the route and a SHA-256 of the normalized request written canonically (sorted keys),
    /// so equal requests share an entry whatever the order their JSON arrived in.
    public static func key(tenant: String, route: String, request: ModelRequest) -> String {
        let material = KeyMaterial(request)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(material)) ?? Data()
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        return "\(tenant):\(route):\(digest)"
    }

    private struct KeyMaterial: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
            var toolCalls: [ModelToolCall]
            var toolCallID: String?
        }
        struct Tool: Encodable {
            var name: String
            var description: String?
            var parameters: JSONValue
        }
        var system: String?
        var messages: [Message]
        var temperature: Double?
        var maxTokens: Int?
        var tools: [Tool]
        var responseSchema: JSONValue?
        var stop: [String]

        init(_ request: ModelRequest) {
            system = request.system
            messages = request.messages.map { Message(role: $0.role.rawValue, content: $0.content, toolCalls: $0.toolCalls, toolCallID: $0.toolCallID) }
            temperature = request.temperature
            maxTokens = request.maxTokens
            tools = request.tools.map { Tool(name: $0.name, description: $0.description, parameters: $0.parameters) }
            responseSchema = request.responseSchema
            stop = request.stop
        }
    }
}

/// The response cache in Redis: one string per entry holding the answer as JSON, with `SET … EX`. A Redis failure is
/// a miss (logged at most once a minute), never a failed call.
public final class RedisResponseCache: ResponseCache {
    private let redis: RedisClient
    private let prefix: String
    private let logger: Logger

    /// Creates a cache whose keys start with `keyPrefix`.
    public init(redis: RedisClient, keyPrefix: String, logger: Logger = Logger(label: "chorus.model-cache")) {
        self.redis = redis
        self.prefix = keyPrefix
        self.logger = logger
    }

    public func answer(for key: String) async -> CachedAnswer? {
        do {
            guard case .string(let bytes) = try await redis.send(["GET", prefix + key]) else { return nil }
            return try JSONDecoder().decode(CachedAnswer.self, from: Data(bytes))
        } catch {
            logger.warning("model response cache read failed", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    public func store(_ answer: CachedAnswer, for key: String, ttl: Int) async {
        do {
            let json = try JSONEncoder().encode(answer)
            _ = try await redis.send(bytes: [Array("SET".utf8), Array((prefix + key).utf8), Array(json), Array("EX".utf8), Array(String(ttl).utf8)])
        } catch {
            logger.warning("model response cache write failed", metadata: ["reason": "\(error)"])
        }
    }
}
