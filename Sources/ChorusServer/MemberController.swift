import ChorusCore
import Foundation
import Hummingbird
import SecurityHub
import Storage

/// Members of the caller's tenant: list, invite, change role, remove. A tenant always keeps an active owner, and
/// only owners can grant, change or remove the owner role.
struct MemberController {
    struct Invited: Codable, Sendable {
        var member: MemberDTO
        /// The invitation to send to the member, shown once.
        var invitationToken: String
        var invitationExpiresAt: Date
    }

    func register(on api: APIRoutes) {
        api.read("/api/v2/members", .membersRead, { _ in Reads.Members() }) { _, members in
            try .json(ListDTO(items: members.map(MemberDTO.init), nextCursor: nil))
        }
        api.add(.post, "/api/v2/members", .membersWrite, invite)
        api.read("/api/v2/members/{memberId}", .membersRead, { try Reads.Member(id: $0.id("memberId", resource: "member")) }) {
            _, members in
            guard let member = members.first else { throw Self.noMember }
            return try .json(MemberDTO(member))
        }
        api.add(.patch, "/api/v2/members/{memberId}", .membersWrite, update)
        api.add(.delete, "/api/v2/members/{memberId}", .membersWrite, remove)
        api.add(.post, "/api/v2/members/{memberId}/invitation", .membersWrite, reinvite)
    }

    static let noMember = Problem.notFound("No member has this id.")

    @Sendable func invite(_ scope: TenantScope) async throws -> Reply {
        let body = try scope.reader()
        let email = body.email("email")
        let role = body.choice("role", as: Role.self)
        let displayName = body.string("displayName", required: false) ?? ""
        try body.finish()
        guard let email, let role else { throw Problem.internal() }
        try requireRoleWithinReach(scope, touching: role)
        let invitation = OpaqueToken.generate(.invitation, tenantID: scope.tx.tenantID)
        let expires = Date().addingTimeInterval(scope.services.configuration.invitationLifetime)
        do {
            let member = try await scope.tx.insertMember(
                NewMember(
                    id: UUID(),
                    email: email,
                    displayName: displayName,
                    role: role.rawValue,
                    passwordHash: nil,
                    inviteTokenHash: invitation.hash,
                    inviteExpiresAt: expires,
                    invitedBy: scope.principal.memberID
                )
            )
            try await scope.audit("member.invited", "member", member.id.lowercased,
                                  ["email": member.email, "role": member.role])
            return try .json(
                Invited(member: MemberDTO(member), invitationToken: invitation.value, invitationExpiresAt: expires),
                status: .created
            )
        } catch let error as StorageError where error.code == .uniqueViolation {
            throw Problem.conflict(code: "member-exists", "A member with email \(email) already exists in this tenant.")
        }
    }

    @Sendable func reinvite(_ scope: TenantScope) async throws -> Reply {
        let id = try scope.id("memberId", resource: "member")
        guard let member = try await scope.tx.member(id: id, forUpdate: true) else { throw Self.noMember }
        guard member.status == "invited" else {
            throw Problem.conflict(code: "already-active", "This member has already accepted their invitation.")
        }
        try requireRoleWithinReach(scope, touching: Role(rawValue: member.role))
        let invitation = OpaqueToken.generate(.invitation, tenantID: scope.tx.tenantID)
        let expires = Date().addingTimeInterval(scope.services.configuration.invitationLifetime)
        guard let updated = try await scope.tx.renewInvitation(id: id, tokenHash: invitation.hash, expiresAt: expires)
        else { throw Self.noMember }
        try await scope.audit("member.reinvited", "member", id.lowercased, ["email": updated.email])
        return try .json(
            Invited(member: MemberDTO(updated), invitationToken: invitation.value, invitationExpiresAt: expires),
            status: .created
        )
    }

    @Sendable func update(_ scope: TenantScope) async throws -> Reply {
        let id = try scope.id("memberId", resource: "member")
        let body = try scope.reader()
        let role = body.choice("role", as: Role.self, required: false)
        let displayName = body.string("displayName", required: false)
        try body.finish()
        guard let member = try await scope.tx.member(id: id, forUpdate: true) else { throw Self.noMember }
        if let role, role.rawValue != member.role {
            if id == scope.principal.memberID, member.role != Role.owner.rawValue {
                throw Problem.forbidden("You cannot change your own role.")
            }
            try requireRoleWithinReach(scope, touching: role)
            try requireRoleWithinReach(scope, touching: Role(rawValue: member.role))
            if member.role == Role.owner.rawValue {
                try await requireAnotherOwner(scope, besides: id)
            }
        }
        guard let updated = try await scope.tx.updateMember(id: id, role: role?.rawValue, displayName: displayName) else {
            throw Self.noMember
        }
        var change: [String: String] = [:]
        if updated.role != member.role { change["role"] = "\(member.role) -> \(updated.role)" }
        if updated.displayName != member.displayName { change["displayName"] = updated.displayName }
        if !change.isEmpty { try await scope.audit("member.updated", "member", id.lowercased, change) }
        return try .json(MemberDTO(updated))
    }

    @Sendable func remove(_ scope: TenantScope) async throws -> Reply {
        let id = try scope.id("memberId", resource: "member")
        guard let member = try await scope.tx.member(id: id, forUpdate: true) else { throw Self.noMember }
        try requireRoleWithinReach(scope, touching: Role(rawValue: member.role))
        if member.role == Role.owner.rawValue {
            try await requireAnotherOwner(scope, besides: id)
        }
        guard try await scope.tx.deleteMember(id: id) else { throw Self.noMember }
        try await scope.audit("member.removed", "member", id.lowercased, ["email": member.email, "role": member.role])
        return .noContent
    }

    /// Granting a role, or changing or removing a member who holds one, needs every permission of that role: nobody
    /// hands out more than they hold. Admins therefore cannot touch owners, and an API key scoped to
    /// `members:write` alone cannot invite an admin.
    private func requireRoleWithinReach(_ scope: TenantScope, touching role: Role?) throws {
        guard let role, !role.permissions.isSubset(of: scope.principal.permissions) else { return }
        if role == .owner {
            throw Problem.forbidden("Only an owner can grant, change or remove the owner role.")
        }
        throw Problem.forbidden("The \(role.rawValue) role has permissions you do not have, so you cannot grant it or change a member who holds it.")
    }

    /// A tenant always keeps an active owner.
    private func requireAnotherOwner(_ scope: TenantScope, besides id: UUID) async throws {
        let owners = try await scope.tx.lockOwners()
        if owners.filter({ $0 != id }).isEmpty {
            throw Problem.conflict(code: "last-owner", "A tenant must keep at least one active owner; make another member owner first.")
        }
    }
}
