public import Foundation
import Logging
import PostgresNIO

/// What a credential still grants when a tenant transaction starts, read in the same round trip that sets the
/// tenant.
public struct TenantEntry: Sendable {
    /// Whose current state to read on entry.
    public enum Principal: Sendable {
        /// Nobody's (operator actions, token refresh before the member is known).
        case none
        /// A member's role.
        case member(UUID)
        /// An API key's scopes and hash, and its creator's role.
        case apiKey(UUID)

        /// The member and API key arguments of `enter_tenant`.
        var ids: (member: UUID?, apiKey: UUID?) {
            switch self {
            case .none: (nil, nil)
            case .member(let id): (id, nil)
            case .apiKey(let id): (nil, id)
            }
        }
    }

    /// `active` or `suspended`.
    public var tenantStatus: String
    /// The tenant's plan, which sets its rate limits.
    public var tenantPlan: String
    /// The member (for an API key, its creator) when active.
    public var memberID: UUID?
    /// The member's current role, nil when the member is gone or not active.
    public var memberRole: String?
    /// The API key's scopes, nil when the key is revoked, expired or gone.
    public var apiKeyScopes: [String]?
    /// The API key's stored hash, to verify the presented secret against.
    public var apiKeyHash: String?
    /// When the API key was last recorded as used.
    public var apiKeyLastUsed: Date?
    /// The API key's own rate limit, if it has one: requests per `apiKeyRatePeriod` seconds.
    public var apiKeyRateLimit: Int?
    /// The period of `apiKeyRateLimit`, in seconds.
    public var apiKeyRatePeriod: Int?

    static func enter(
        _ tenantID: UUID,
        principal: Principal,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> TenantEntry {
        let (member, key) = principal.ids
        let rows = try await connection.execute(
            Statements.EnterTenant(tenant: tenantID, member: member, apiKey: key),
            logger: logger
        )
        for try await entry in rows { return entry }
        throw StorageError(.tenantNotFound, "tenant \(tenantID) does not exist")
    }

    /// Reads the columns of `Statements.EnterTenant.columns`, starting at `offset`.
    init(_ row: PostgresRandomAccessRow, from offset: Int) throws {
        self.init(
            tenantStatus: try row.value(offset),
            tenantPlan: try row.value(offset + 1),
            memberID: try row.value(offset + 2),
            memberRole: try row.value(offset + 3),
            apiKeyScopes: try row.value(offset + 4),
            apiKeyHash: try row.value(offset + 5),
            apiKeyLastUsed: try row.value(offset + 6),
            apiKeyRateLimit: (try row.value(offset + 7) as Int32?).map(Int.init),
            apiKeyRatePeriod: (try row.value(offset + 8) as Int32?).map(Int.init)
        )
    }

    init(
        tenantStatus: String,
        tenantPlan: String = "standard",
        memberID: UUID? = nil,
        memberRole: String? = nil,
        apiKeyScopes: [String]? = nil,
        apiKeyHash: String? = nil,
        apiKeyLastUsed: Date? = nil,
        apiKeyRateLimit: Int? = nil,
        apiKeyRatePeriod: Int? = nil
    ) {
        self.tenantStatus = tenantStatus
        self.tenantPlan = tenantPlan
        self.memberID = memberID
        self.memberRole = memberRole
        self.apiKeyScopes = apiKeyScopes
        self.apiKeyHash = apiKeyHash
        self.apiKeyLastUsed = apiKeyLastUsed
        self.apiKeyRateLimit = apiKeyRateLimit
        self.apiKeyRatePeriod = apiKeyRatePeriod
    }
}
