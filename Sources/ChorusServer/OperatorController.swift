import ChorusCore
import Foundation
import Hummingbird
import SecurityHub
import Storage

/// The platform operator's API: create, list, suspend and delete tenants. Authenticated by the operator token
/// from configuration.
struct OperatorController {
    func register(on api: APIRoutes) {
        api.add(.post, "/api/v2/operator/tenants", .operator, create)
        api.add(.get, "/api/v2/operator/tenants", .operator, list)
        api.add(.get, "/api/v2/operator/tenants/{tenantId}", .operator, get)
        api.add(.patch, "/api/v2/operator/tenants/{tenantId}", .operator, update)
        api.add(.delete, "/api/v2/operator/tenants/{tenantId}", .operator, delete)
    }

    @Sendable func create(_ scope: Scope) async throws -> Reply {
        let body = try scope.reader()
        let slug = body.string("slug", maxLength: 48)
        if let slug, let problem = Validation.slugProblem(slug) { body.fail("slug", problem, code: "format") }
        let name = body.string("name")
        let plan = body.choice("plan", as: Plan.self, required: false) ?? .standard
        let owner = body.object("owner") { owner -> (email: String, displayName: String, password: String?)? in
            guard let email = owner.email("email") else { return nil }
            let displayName = owner.string("displayName", required: false) ?? ""
            return (email, displayName, Validation.password(owner, email: email, required: false))
        }
        try body.finish()
        guard let slug, let name, let owner else { throw Problem.internal() }

        let created = try await scope.services.provisionTenant(
            slug: slug,
            name: name,
            plan: plan,
            ownerEmail: owner.email,
            ownerDisplayName: owner.displayName,
            ownerPassword: owner.password,
            actor: .operator(scope.context)
        )
        return try .json(created, status: .created)
    }

    @Sendable func list(_ scope: Scope) async throws -> Reply {
        var errors: [Problem.FieldError] = []
        let limit = scope.query("limit").map { Int($0) ?? -1 } ?? 50
        if !(1...500).contains(limit) {
            errors.append(.init(pointer: "/limit", detail: "limit must be an integer from 1 to 500.", code: "range"))
        }
        let cursor = scope.query("cursor")
        let after = cursor.flatMap(UUID.init(uuidString:))
        if cursor != nil && after == nil {
            errors.append(.init(pointer: "/cursor", detail: "cursor is not one this API returned.", code: "format"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        let tenants = try await scope.services.database.directory.tenants(after: after, limit: limit)
        let next = tenants.count == limit ? tenants.last?.id.lowercased : nil
        return try .json(ListDTO(items: tenants.map(TenantDTO.init), nextCursor: next))
    }

    @Sendable func get(_ scope: Scope) async throws -> Reply {
        let id = try scope.id("tenantId", resource: "tenant")
        return try await inTenant(id, scope) { tx in try .json(TenantDTO(try await tx.tenant())) }
    }

    @Sendable func update(_ scope: Scope) async throws -> Reply {
        let id = try scope.id("tenantId", resource: "tenant")
        let body = try scope.reader()
        let name = body.string("name", required: false)
        let plan = body.choice("plan", as: Plan.self, required: false)
        let status = body.choice("status", as: TenantStatus.self, required: false)
        try body.finish()
        return try await inTenant(id, scope) { tx in
            let tenant = try await tx.updateTenant(name: name, plan: plan?.rawValue, status: status?.rawValue)
            var change: [String: String] = [:]
            change["name"] = name
            change["plan"] = plan?.rawValue
            change["status"] = status?.rawValue
            try await AuditActor.operator(scope.context).record("tenant.updated", "tenant", id.lowercased, change, in: tx)
            return try .json(TenantDTO(tenant))
        }
    }

    @Sendable func delete(_ scope: Scope) async throws -> Reply {
        let id = try scope.id("tenantId", resource: "tenant")
        return try await inTenant(id, scope) { tx in
            try await tx.deleteTenant()
            return .noContent
        }
    }

    /// Runs `body` in the tenant's transaction; a tenant that does not exist is a 404.
    private func inTenant(_ id: UUID, _ scope: Scope, _ body: (TenantTransaction) async throws -> Reply) async throws
        -> Reply
    {
        do {
            return try await scope.services.database.withTenant(id) { tx in try await body(tx) }
        } catch let error as StorageError where error.code == .tenantNotFound {
            throw Problem.notFound("No tenant has this id.")
        }
    }
}

enum TenantStatus: String, CaseIterable {
    case active
    case suspended
}
