import ChorusCore
import Crypto
import Foundation
import Hummingbird
import SecurityHub
import Storage

/// API keys of the caller's tenant. A key is shown once; its scopes never exceed what its creator may do, at
/// creation and at every use.
struct APIKeyController {
    struct Created: Codable, Sendable {
        var apiKey: APIKeyDTO
        /// The key itself. It is not stored and cannot be shown again.
        var key: String
    }

    func register(on api: APIRoutes) {
        api.read("/api/v2/api-keys", .apiKeysRead, { _ in Reads.APIKeys() }) { _, keys in
            try .json(ListDTO(items: keys.map { APIKeyDTO($0) }, nextCursor: nil))
        }
        api.add(.post, "/api/v2/api-keys", .apiKeysWrite, create)
        api.read("/api/v2/api-keys/{keyId}", .apiKeysRead, { try Reads.APIKey(id: $0.id("keyId", resource: "API key")) }) {
            _, keys in
            guard let key = keys.first else { throw Self.noKey }
            return try .json(APIKeyDTO(key))
        }
        api.add(.delete, "/api/v2/api-keys/{keyId}", .apiKeysWrite, revoke)
    }

    static let noKey = Problem.notFound("No API key has this id.")

    /// The period of an API key's own rate limit.
    enum RatePeriod: String, CaseIterable {
        case second, minute, hour

        var seconds: Int {
            switch self {
            case .second: 1
            case .minute: 60
            case .hour: 3600
            }
        }
    }

    @Sendable func create(_ scope: TenantScope) async throws -> Reply {
        // A key minted by a key would outlive its parent's revocation and expiry; keys are made by members.
        if case .apiKey = scope.principal.kind {
            throw Problem.forbidden("API keys cannot create API keys; sign in as a member to create one.")
        }
        let body = try scope.reader()
        let name = body.string("name")
        let granted = scope.principal.permissions
        let scopes = body.stringArray("scopes", maxCount: Permission.allCases.count) { text in
            guard let permission = Permission(rawValue: text) else { return "\(text) is not a known permission." }
            guard granted.contains(permission) else {
                return "\(text) exceeds your own permissions; a key can never do more than its creator."
            }
            return nil
        }
        if let scopes, scopes.isEmpty { body.fail("scopes", "scopes must name at least one permission.", code: "too_short") }
        let expiresAt = body.timestamp("expiresAt", required: false)
        if let expiresAt, expiresAt <= Date() { body.fail("expiresAt", "expiresAt must be in the future.", code: "range") }
        // The key's own limit applies on top of its plan's per-key limit, so it can only make the key slower.
        let rateLimit = body.object("rateLimit", required: false) { limit -> (requests: Int, period: Int)? in
            let requests = limit.integer("requests", range: 1...1_000_000)
            let per = limit.choice("per", as: RatePeriod.self)
            guard let requests, let per else { return nil }
            return (requests, per.seconds)
        }
        try body.finish()
        guard let name, let scopes else { throw Problem.internal() }

        let secret = APIKeySecret.generate()
        let record = try await scope.tx.insertAPIKey(
            id: UUID(),
            prefix: secret.prefix,
            hash: secret.hash(pepper: scope.services.configuration.apiKeyPepper),
            name: name,
            scopes: Array(Set(scopes)).sorted(),
            createdBy: scope.principal.memberID,
            expiresAt: expiresAt,
            rateLimit: rateLimit
        )
        var summary = ["name": record.name, "prefix": record.prefix, "scopes": record.scopes.joined(separator: " ")]
        summary["expiresAt"] = record.expiresAt?.formatted(Date.ISO8601FormatStyle())
        summary["rateLimit"] = APIKeyDTO.RateLimitDTO(record).map { "\($0.requests)/\($0.per)" }
        try await scope.audit("api_key.created", "api_key", record.id.lowercased, summary)
        return try .json(Created(apiKey: APIKeyDTO(record), key: secret.value), status: .created)
    }

    @Sendable func revoke(_ scope: TenantScope) async throws -> Reply {
        guard let key = try await scope.tx.revokeAPIKey(id: try scope.id("keyId", resource: "API key")) else {
            throw Self.noKey
        }
        try await scope.audit("api_key.revoked", "api_key", key.id.lowercased, ["prefix": key.prefix])
        return .noContent
    }
}
