import Foundation
import SecurityHub
import Storage

/// A tenant as the API shows it.
struct TenantDTO: Codable, Sendable {
    var id: String
    var slug: String
    var name: String
    var plan: String
    var status: String
    var createdAt: Date
    var updatedAt: Date

    init(_ record: TenantRecord) {
        id = record.id.lowercased
        slug = record.slug
        name = record.name
        plan = record.plan
        status = record.status
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }
}

/// A member as the API shows it: never a password or invitation hash.
struct MemberDTO: Codable, Sendable {
    var id: String
    var email: String
    var displayName: String
    var role: String
    var status: String
    var invitedBy: String?
    var invitationExpiresAt: Date?
    var createdAt: Date
    var updatedAt: Date
    var lastLoginAt: Date?

    init(_ record: MemberRecord) {
        id = record.id.lowercased
        email = record.email
        displayName = record.displayName
        role = record.role
        status = record.status
        invitedBy = record.invitedBy?.lowercased
        invitationExpiresAt = record.inviteExpiresAt
        createdAt = record.createdAt
        updatedAt = record.updatedAt
        lastLoginAt = record.lastLoginAt
    }
}

/// An API key as the API shows it: the prefix, never the key or its hash.
struct APIKeyDTO: Codable, Sendable {
    var id: String
    var prefix: String
    var name: String
    var scopes: [String]
    var createdBy: String
    var createdAt: Date
    var expiresAt: Date?
    var lastUsedAt: Date?
    var revokedAt: Date?
    /// `active`, `expired` or `revoked`.
    var status: String
    /// The key's own rate limit, if it has one.
    var rateLimit: RateLimitDTO?

    struct RateLimitDTO: Codable, Sendable {
        var requests: Int
        /// `second`, `minute` or `hour`.
        var per: String

        init?(_ record: APIKeyRecord) {
            guard let requests = record.rateLimitRequests, let period = record.rateLimitPeriod,
                let per = APIKeyController.RatePeriod.allCases.first(where: { $0.seconds == period })
            else { return nil }
            self.requests = requests
            self.per = per.rawValue
        }
    }

    init(_ record: APIKeyRecord, now: Date = Date()) {
        id = record.id.lowercased
        prefix = record.prefix
        name = record.name
        scopes = record.scopes
        createdBy = record.createdBy.lowercased
        createdAt = record.createdAt
        expiresAt = record.expiresAt
        lastUsedAt = record.lastUsedAt
        revokedAt = record.revokedAt
        status = record.revokedAt != nil ? "revoked" : (record.expiresAt.map { $0 <= now } ?? false) ? "expired" : "active"
        rateLimit = RateLimitDTO(record)
    }
}

/// The tokens a login, refresh or accepted invitation returns.
struct TokensDTO: Codable, Sendable {
    var accessToken: String
    var tokenType = "Bearer"
    var expiresIn: Int
    var expiresAt: Date
    var refreshToken: String
    var refreshTokenExpiresAt: Date
}

/// A list of items.
struct ListDTO<Item: Codable & Sendable>: Codable, Sendable {
    var items: [Item]
    var nextCursor: String?
}

extension UUID {
    /// The canonical lower-case form used in every API response.
    var lowercased: String { uuidString.lowercased() }
}
