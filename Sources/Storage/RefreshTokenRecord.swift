public import Foundation
import PostgresNIO

/// A refresh token row. The token itself is never stored, only its hash.
public struct RefreshTokenRecord: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// The family: every token rotated from one login.
    public var familyID: UUID
    /// The member it belongs to.
    public var memberID: UUID
    /// When it expires.
    public var expiresAt: Date
    /// When it was exchanged for a new one; a second use is a reuse.
    public var usedAt: Date?
    /// When its family was revoked.
    public var revokedAt: Date?

    typealias Columns = (UUID, UUID, UUID, Date, Date?, Date?)

    init(_ row: Columns) {
        (id, familyID, memberID, expiresAt, usedAt, revokedAt) = row
    }
}

extension TenantTransaction {
    /// Stores a new refresh token.
    public func insertRefreshToken(
        id: UUID,
        familyID: UUID,
        memberID: UUID,
        hash: String,
        expiresAt: Date
    ) async throws {
        try await execute(
            """
            INSERT INTO refresh_tokens (tenant_id, token_id, family_id, member_id, token_hash, expires_at)
            VALUES (\(tenantID), \(id), \(familyID), \(memberID), \(hash), \(expiresAt))
            """,
            conflict: "refresh token collision"
        )
    }

    /// A refresh token by hash, locked so two concurrent refreshes with one token cannot both succeed.
    public func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        let rows = try await query(
            """
            SELECT token_id, family_id, member_id, expires_at, used_at, revoked_at
              FROM refresh_tokens WHERE token_hash = \(hash) FOR UPDATE
            """
        )
        for try await row in rows.decode(RefreshTokenRecord.Columns.self) { return RefreshTokenRecord(row) }
        return nil
    }

    /// Marks a token as exchanged.
    public func markRefreshTokenUsed(id: UUID) async throws {
        _ = try await query("UPDATE refresh_tokens SET used_at = now() WHERE token_id = \(id)").collect()
    }

    /// Revokes every token of a family.
    public func revokeRefreshFamily(_ familyID: UUID) async throws {
        _ = try await query(
            "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE family_id = \(familyID)"
        ).collect()
    }
}
