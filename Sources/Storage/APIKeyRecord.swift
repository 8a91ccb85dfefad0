public import Foundation
import PostgresNIO

/// An API key row, without its hash.
public struct APIKeyRecord: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// The visible prefix, for example `chk_4zq7m2xk9p3d`.
    public var prefix: String
    /// A name its creator chose.
    public var name: String
    /// The permissions it may use.
    public var scopes: [String]
    /// The member who created it.
    public var createdBy: UUID
    /// When it was created.
    public var createdAt: Date
    /// When it stops working, if ever.
    public var expiresAt: Date?
    /// When it was last used (written at most once a minute).
    public var lastUsedAt: Date?
    /// When it was revoked.
    public var revokedAt: Date?
    /// Its own rate limit, if it has one: requests per `rateLimitPeriod` seconds.
    public var rateLimitRequests: Int?
    /// The period of `rateLimitRequests`, in seconds: 1, 60 or 3600.
    public var rateLimitPeriod: Int?

    typealias Columns = (UUID, String, String, [String], UUID, Date, Date?, Date?, Date?, Int32?, Int32?)

    init(_ row: Columns) {
        let requests: Int32?, period: Int32?
        (id, prefix, name, scopes, createdBy, createdAt, expiresAt, lastUsedAt, revokedAt, requests, period) = row
        rateLimitRequests = requests.map(Int.init)
        rateLimitPeriod = period.map(Int.init)
    }
}

extension TenantTransaction {
    private func apiKeys(_ query: PostgresQuery) async throws -> [APIKeyRecord] {
        var result: [APIKeyRecord] = []
        for try await row in try await self.query(query).decode(APIKeyRecord.Columns.self) {
            result.append(APIKeyRecord(row))
        }
        return result
    }

    /// Stores a new key.
    public func insertAPIKey(
        id: UUID,
        prefix: String,
        hash: String,
        name: String,
        scopes: [String],
        createdBy: UUID,
        expiresAt: Date?,
        rateLimit: (requests: Int, period: Int)? = nil
    ) async throws -> APIKeyRecord {
        let requests = rateLimit.map { Int32(clamping: $0.requests) }
        let period = rateLimit.map { Int32(clamping: $0.period) }
        try await execute(
            """
            INSERT INTO api_keys (tenant_id, key_id, prefix, key_hash, name, scopes, created_by, expires_at,
                                  rate_limit_requests, rate_limit_period)
            VALUES (\(tenantID), \(id), \(prefix), \(hash), \(name), \(scopes), \(createdBy), \(expiresAt),
                    \(requests), \(period))
            """,
            conflict: "the key prefix collided; try again"
        )
        guard let key = try await apiKey(id: id) else { throw StorageError(.tenantNotFound, "key vanished") }
        return key
    }

    /// One key by id.
    public func apiKey(id: UUID) async throws -> APIKeyRecord? {
        try await apiKeys("SELECT \(unescaped: Reads.apiKeyColumns) FROM api_keys WHERE key_id = \(id)").first
    }

    /// Revokes a key; revoking twice keeps the first time.
    public func revokeAPIKey(id: UUID) async throws -> APIKeyRecord? {
        try await apiKeys(
            """
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = \(id)
            RETURNING \(unescaped: Reads.apiKeyColumns)
            """
        ).first
    }
}

extension TenantTransaction {
    /// Records that a key was used now.
    public func touchAPIKey(id: UUID) async throws {
        _ = try await query("UPDATE api_keys SET last_used_at = now() WHERE key_id = \(id)").collect()
    }
}
