import ChorusCore
import Foundation
import SecurityHub
import Storage

/// A new tenant and its first owner.
struct CreatedTenant: Codable, Sendable {
    var tenant: TenantDTO
    var owner: MemberDTO
    /// When the owner was created without a password: the invitation to send them, shown once.
    var invitationToken: String?
}

extension AppServices {
    /// Creates a tenant and its first owner in one transaction. With a password the owner is active at once;
    /// without one they are invited and the invitation token is returned.
    /// - Throws: `Problem.conflict` (`slug-taken`) when the slug is in use.
    func provisionTenant(
        slug: String,
        name: String,
        plan: Plan,
        ownerEmail: String,
        ownerDisplayName: String,
        ownerPassword: String?,
        actor: AuditActor
    ) async throws -> CreatedTenant {
        let passwordHash = try await ownerPassword.asyncMap { try await passwords.hash($0) }
        let tenantID = UUID()
        let invitation = ownerPassword == nil ? OpaqueToken.generate(.invitation, tenantID: tenantID) : nil
        let invitationExpiry = invitation.map { _ in Date().addingTimeInterval(configuration.invitationLifetime) }
        do {
            return try await database.withNewTenant(
                NewTenant(id: tenantID, slug: slug, name: name, plan: plan.rawValue)
            ) { tx in
                let member = try await tx.insertMember(
                    NewMember(
                        id: UUID(),
                        email: ownerEmail,
                        displayName: ownerDisplayName,
                        role: Role.owner.rawValue,
                        passwordHash: passwordHash,
                        inviteTokenHash: invitation?.hash,
                        inviteExpiresAt: invitationExpiry,
                        invitedBy: nil
                    )
                )
                try await actor.record(
                    "tenant.created", "tenant", tenantID.lowercased,
                    ["slug": slug, "plan": plan.rawValue, "owner": ownerEmail], in: tx
                )
                return CreatedTenant(
                    tenant: TenantDTO(try await tx.tenant()),
                    owner: MemberDTO(member),
                    invitationToken: invitation?.value
                )
            }
        } catch let error as StorageError where error.code == .uniqueViolation {
            throw Problem.conflict(code: "slug-taken", "A tenant with slug \(slug) already exists.")
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
