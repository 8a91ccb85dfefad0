import ChorusCore
import Foundation
import Hummingbird
import SecurityHub
import Storage

/// The caller's own tenant and identity.
struct TenantController {
    struct Me: Codable, Sendable {
        var tenant: TenantDTO
        var member: MemberDTO
        /// `member` or `apiKey`.
        var credential: String
        var apiKeyId: String?
        /// What the credential may do now.
        var permissions: [String]
    }

    func register(on api: APIRoutes) {
        api.read("/api/v2/tenant", .tenantRead, { _ in Reads.Tenant() }) { _, tenants in
            guard let tenant = tenants.first else { throw Problem.notFound("The tenant no longer exists.") }
            return try .json(TenantDTO(tenant))
        }
        api.add(.patch, "/api/v2/tenant", .tenantWrite, update)
        api.add(.get, "/api/v2/me", .tenantRead, me)
    }

    @Sendable func update(_ scope: TenantScope) async throws -> Reply {
        let body = try scope.reader()
        let name = body.string("name", required: false)
        try body.finish()
        // Plan and status belong to the operator; a tenant admin can only rename.
        let tenant = try await scope.tx.updateTenant(name: name, plan: nil, status: nil)
        if let name { try await scope.audit("tenant.renamed", "tenant", tenant.id.lowercased, ["name": name]) }
        return try .json(TenantDTO(tenant))
    }

    @Sendable func me(_ scope: TenantScope) async throws -> Reply {
        guard let member = try await scope.tx.member(id: scope.principal.memberID) else {
            throw Problem.unauthenticated("The member of this credential no longer exists.")
        }
        let keyID: UUID? = if case .apiKey(let id, _) = scope.principal.kind { id } else { nil }
        return try .json(
            Me(
                tenant: TenantDTO(try await scope.tx.tenant()),
                member: MemberDTO(member),
                credential: keyID == nil ? "member" : "apiKey",
                apiKeyId: keyID?.lowercased,
                permissions: scope.principal.permissions.sorted().map(\.rawValue)
            )
        )
    }
}
