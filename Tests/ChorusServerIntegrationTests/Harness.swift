import Crypto
import Foundation
import HTTPTypes
import Hiredis
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SecurityHub
import Storage
import Testing

@testable import ChorusServer

/// A running Chorus on a free port against the PostgreSQL and Redis that `make test` starts, and a small JSON
/// client for it.
enum Harness {
    static let operatorToken = Base64URL.random(bytes: 32)
    static let signingKey = SigningKey.generate(id: "test-k1")

    static func env(_ name: String) throws -> String {
        try #require(
            ProcessInfo.processInfo.environment[name],
            "\(name) is not set: run the suite with `make test`, which starts PostgreSQL and Redis"
        )
    }

    /// Limits no other test reaches: every test's requests come from the same address and tenants on the
    /// default plan. `RateLimitTests` sets its own, under a key prefix of their own.
    static let generousLimits: RateLimitSettings = {
        let fast = RateLimit(requests: 100_000, per: 1)
        let lenient = LockoutPolicy(threshold: 10_000, windowSeconds: 60, baseLockSeconds: 1, maxLockSeconds: 1)
        return RateLimitSettings(
            keyPrefix: "chorus-test:\(UUID().uuidString.prefix(8)):",
            plans: Dictionary(uniqueKeysWithValues: Plan.allCases.map {
                ($0.rawValue, RateLimitSettings.PlanLimits(tenant: fast, member: fast, apiKey: fast))
            }),
            authPerAddress: fast,
            loginPerAddress: fast,
            loginLockout: lenient,
            accountLockout: lenient
        )
    }()

    static func configuration(
        redisPort: Int? = nil,
        maxBodyBytes: Int = 64 * 1024,
        rateLimits: RateLimitSettings = generousLimits
    ) throws -> ServerConfiguration {
        var redis = try RedisConfiguration(url: try env("CHORUS_TEST_REDIS_URL"))
        if let redisPort {
            redis.port = redisPort
            redis.timeoutMilliseconds = 300
        }
        return ServerConfiguration(
            host: "127.0.0.1",
            port: 0,
            database: try DatabaseURL(try env("CHORUS_TEST_DATABASE_URL")),
            databaseMaxConnections: 8,
            redis: redis,
            operatorToken: operatorToken,
            signingKeys: [signingKey.key],
            signingKeyID: signingKey.key.id,
            apiKeyPepper: SymmetricKey(size: .bits256),
            auditSigningKey: Curve25519.Signing.PrivateKey(),
            masterKeys: try MasterKeyRing(keys: [1: SymmetricKey(size: .bits256)]),
            // The lowest bcrypt cost keeps the suite fast; production uses 12 (see ServerConfiguration).
            bcryptCost: 4,
            maxBodyBytes: maxBodyBytes,
            logLevel: .warning,
            rateLimits: rateLimits
        )
    }

    static var logger: Logger {
        var logger = Logger(label: "chorus-test")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` against a live server.
    static func withAPI<R: Sendable>(
        _ configuration: ServerConfiguration? = nil,
        _ body: @Sendable (API) async throws -> R
    ) async throws -> R {
        let app = try await buildApplication(configuration: try configuration ?? Self.configuration(), logger: logger)
        return try await app.test(.live) { client in try await body(API(client: client)) }
    }
}

/// A response, decoded.
struct APIResponse {
    var status: Int
    var headers: HTTPFields
    var text: String
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    func string(_ key: String) -> String? { json[key] as? String }
    var problemCode: String? { string("type").map { $0.replacingOccurrences(of: "urn:chorus:problem:", with: "") } }
    var pointers: Set<String> { Set((json["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String }) }
}

/// A credential to call the API with.
enum Credential: Sendable {
    case none
    case bearer(String)
    case apiKeyHeader(String)

    static var `operator`: Credential { .bearer(Harness.operatorToken) }
}

/// A tenant created through the operator API, with its owner logged in.
struct TenantFixture: Sendable {
    var id: String
    var slug: String
    var ownerID: String
    var ownerEmail: String
    var password: String
    var accessToken: String
    var refreshToken: String

    var owner: Credential { .bearer(accessToken) }
}

struct API: Sendable {
    let client: any TestClientProtocol

    @discardableResult
    func call(
        _ method: HTTPRequest.Method,
        _ path: String,
        as credential: Credential = .none,
        json: [String: any Sendable]? = nil,
        raw: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> APIResponse {
        var headers = extra
        switch credential {
        case .none: break
        case .bearer(let token): headers[.authorization] = "Bearer \(token)"
        case .apiKeyHeader(let key): headers[HTTPField.Name("X-API-Key")!] = key
        }
        var body: ByteBuffer?
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        } else if let raw {
            body = ByteBuffer(string: raw)
        }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: body)
        return APIResponse(
            status: Int(response.status.code),
            headers: response.headers,
            text: String(buffer: response.body)
        )
    }

    static func uniqueSlug(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Creates a tenant with an active owner and logs the owner in.
    func createTenant(_ prefix: String = "t") async throws -> TenantFixture {
        let slug = Self.uniqueSlug(prefix)
        let email = "owner@\(slug).example"
        let password = "owner-password-\(slug)"
        let created = try await call(
            .post, "/api/v2/operator/tenants", as: .operator,
            json: ["slug": slug, "name": "Tenant \(slug)", "owner": ["email": email, "displayName": "Owner", "password": password]]
        )
        try #require(created.status == 201, "creating a tenant: \(created.text)")
        let tenant = try #require(created.json["tenant"] as? [String: Any])
        let owner = try #require(created.json["owner"] as? [String: Any])
        let tokens = try await login(slug, email, password)
        return TenantFixture(
            id: try #require(tenant["id"] as? String),
            slug: slug,
            ownerID: try #require(owner["id"] as? String),
            ownerEmail: email,
            password: password,
            accessToken: try #require(tokens.string("accessToken")),
            refreshToken: try #require(tokens.string("refreshToken"))
        )
    }

    func login(_ slug: String, _ email: String, _ password: String) async throws -> APIResponse {
        let response = try await call(.post, "/api/v2/auth/login", json: ["tenant": slug, "email": email, "password": password])
        try #require(response.status == 200, "login: \(response.text)")
        return response
    }

    /// Invites a member and accepts the invitation.
    /// - Returns: the member id and their access token.
    func addMember(to tenant: TenantFixture, role: String, as credential: Credential? = nil) async throws -> (
        id: String, token: String
    ) {
        let email = "\(role)-\(UUID().uuidString.prefix(6).lowercased())@\(tenant.slug).example"
        let invited = try await call(.post, "/api/v2/members", as: credential ?? tenant.owner,
                                     json: ["email": email, "role": role])
        try #require(invited.status == 201, "invite: \(invited.text)")
        let invitation = try #require(invited.string("invitationToken"))
        let accepted = try await call(
            .post, "/api/v2/auth/invitations/accept",
            json: ["token": invitation, "password": "a-long-\(role)-password", "displayName": role]
        )
        try #require(accepted.status == 200, "accept: \(accepted.text)")
        let member = try #require(invited.json["member"] as? [String: Any])
        return (try #require(member["id"] as? String), try #require(accepted.string("accessToken")))
    }

    /// Creates an API key with `scopes`.
    func createKey(_ tenant: TenantFixture, scopes: [String], as credential: Credential? = nil) async throws -> (
        id: String, key: String
    ) {
        let created = try await call(.post, "/api/v2/api-keys", as: credential ?? tenant.owner,
                                     json: ["name": "key", "scopes": scopes])
        try #require(created.status == 201, "create key: \(created.text)")
        let key = try #require(created.json["apiKey"] as? [String: Any])
        return (try #require(key["id"] as? String), try #require(created.string("key")))
    }
}
