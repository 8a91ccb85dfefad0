public import Foundation
import PostgresNIO

/// A member row, without secrets.
public struct MemberRecord: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// Lower-cased email address, unique within the tenant.
    public var email: String
    /// Display name.
    public var displayName: String
    /// Role name.
    public var role: String
    /// `invited` or `active`.
    public var status: String
    /// Who invited the member, if anyone.
    public var invitedBy: UUID?
    /// When the invitation expires, while invited.
    public var inviteExpiresAt: Date?
    /// When the member was created.
    public var createdAt: Date
    /// When the member last changed.
    public var updatedAt: Date
    /// When the member last logged in.
    public var lastLoginAt: Date?

    typealias Columns = (UUID, String, String, String, String, UUID?, Date?, Date, Date, Date?)

    init(_ row: Columns) {
        (id, email, displayName, role, status, invitedBy, inviteExpiresAt, createdAt, updatedAt, lastLoginAt) = row
    }
}

/// A member to create: an active one with a password hash, or an invited one with an invitation hash.
public struct NewMember: Sendable {
    /// Its id.
    public var id: UUID
    /// Lower-cased email.
    public var email: String
    /// Display name.
    public var displayName: String
    /// Role name.
    public var role: String
    /// bcrypt hash for an active member.
    public var passwordHash: String?
    /// Hash of the invitation token for an invited member.
    public var inviteTokenHash: String?
    /// When the invitation expires.
    public var inviteExpiresAt: Date?
    /// Who invited the member.
    public var invitedBy: UUID?

    /// Creates a description of a member to create.
    public init(
        id: UUID,
        email: String,
        displayName: String,
        role: String,
        passwordHash: String?,
        inviteTokenHash: String?,
        inviteExpiresAt: Date?,
        invitedBy: UUID?
    ) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.role = role
        self.passwordHash = passwordHash
        self.inviteTokenHash = inviteTokenHash
        self.inviteExpiresAt = inviteExpiresAt
        self.invitedBy = invitedBy
    }
}

extension TenantTransaction {
    private func members(_ query: PostgresQuery) async throws -> [MemberRecord] {
        var result: [MemberRecord] = []
        for try await row in try await self.query(query).decode(MemberRecord.Columns.self) {
            result.append(MemberRecord(row))
        }
        return result
    }

    /// Creates a member.
    /// - Throws: `StorageError.uniqueViolation` when the email is taken in this tenant.
    public func insertMember(_ member: NewMember) async throws -> MemberRecord {
        try await execute(
            """
            INSERT INTO members (tenant_id, member_id, email, display_name, role, status, password_hash,
                                 invite_token_hash, invite_expires_at, invited_by)
            VALUES (\(tenantID), \(member.id), \(member.email), \(member.displayName), \(member.role),
                    \(member.passwordHash == nil ? "invited" : "active"), \(member.passwordHash),
                    \(member.inviteTokenHash), \(member.inviteExpiresAt), \(member.invitedBy))
            """,
            conflict: "a member with email \(member.email) already exists"
        )
        guard let created = try await self.member(id: member.id) else {
            throw StorageError(.tenantNotFound, "member vanished after insert")
        }
        return created
    }

    /// One member by id; with `forUpdate`, locked until the transaction ends, so a decision taken on its role
    /// cannot be overtaken by a concurrent change.
    public func member(id: UUID, forUpdate: Bool = false) async throws -> MemberRecord? {
        try await members(
            "SELECT \(unescaped: Reads.memberColumns) FROM members WHERE member_id = \(id)\(unescaped: forUpdate ? " FOR UPDATE" : "")"
        ).first
    }

    /// An active member and their password hash, by email, for login.
    public func credentials(email: String) async throws -> (member: MemberRecord, passwordHash: String)? {
        let rows = try await query(
            """
            SELECT password_hash, \(unescaped: Reads.memberColumns) FROM members
             WHERE email = \(email) AND status = 'active'
            """
        )
        let columns = (String, UUID, String, String, String, String, UUID?, Date?, Date, Date, Date?).self
        for try await columns in rows.decode(columns) {
            let hash = columns.0
            let member = MemberRecord((columns.1, columns.2, columns.3, columns.4, columns.5, columns.6, columns.7,
                                       columns.8, columns.9, columns.10))
            return (member, hash)
        }
        return nil
    }

    /// An invited member by the hash of their invitation token, locked for update.
    public func invitedMember(tokenHash: String) async throws -> MemberRecord? {
        try await members(
            """
                SELECT \(unescaped: Reads.memberColumns) FROM members
                 WHERE invite_token_hash = \(tokenHash) AND status = 'invited' FOR UPDATE
                """
        ).first
    }

    /// Turns an invited member into an active one.
    public func activateMember(id: UUID, displayName: String?, passwordHash: String) async throws -> MemberRecord? {
        try await members(
            """
                UPDATE members SET status = 'active', password_hash = \(passwordHash),
                       display_name = coalesce(\(displayName), display_name),
                       invite_token_hash = NULL, invite_expires_at = NULL, updated_at = now()
                 WHERE member_id = \(id) AND status = 'invited'
                RETURNING \(unescaped: Reads.memberColumns)
                """
        ).first
    }

    /// Changes a member's role and, optionally, display name.
    public func updateMember(id: UUID, role: String?, displayName: String?) async throws -> MemberRecord? {
        try await members(
            """
                UPDATE members SET role = coalesce(\(role), role), display_name = coalesce(\(displayName), display_name),
                       updated_at = now()
                 WHERE member_id = \(id)
                RETURNING \(unescaped: Reads.memberColumns)
                """
        ).first
    }

    /// Records a successful login.
    public func recordLogin(memberID: UUID) async throws {
        _ = try await query("UPDATE members SET last_login_at = now() WHERE member_id = \(memberID)").collect()
    }

    /// Deletes a member; their API keys and refresh tokens go with them.
    /// - Returns: whether a member was deleted.
    public func deleteMember(id: UUID) async throws -> Bool {
        let rows = try await query("DELETE FROM members WHERE member_id = \(id) RETURNING member_id")
        for try await _ in rows { return true }
        return false
    }

    /// The number of active owners, locking them so two concurrent demotions cannot both pass the check.
    public func lockOwners() async throws -> [UUID] {
        var owners: [UUID] = []
        let rows = try await query("SELECT member_id FROM members WHERE role = 'owner' AND status = 'active' FOR UPDATE")
        for try await id in rows.decode(UUID.self) { owners.append(id) }
        return owners
    }
}


extension TenantTransaction {
    /// Replaces an invited member's invitation.
    public func renewInvitation(id: UUID, tokenHash: String, expiresAt: Date) async throws -> MemberRecord? {
        let rows = try await query(
            """
            UPDATE members SET invite_token_hash = \(tokenHash), invite_expires_at = \(expiresAt), updated_at = now()
             WHERE member_id = \(id) AND status = 'invited'
            RETURNING \(unescaped: Reads.memberColumns)
            """
        )
        for try await row in rows.decode(MemberRecord.Columns.self) { return MemberRecord(row) }
        return nil
    }
}
