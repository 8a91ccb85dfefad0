/// A member's role within a tenant. Permission checks sit above row-level security: RLS keeps tenants apart,
/// roles decide what a member may do inside their own tenant.
public enum Role: String, Sendable, CaseIterable, Codable {
    case owner
    case admin
    case editor
    case agent
    case viewer

    /// What the role may do.
    public var permissions: Set<Permission> {
        // Built once per role: every request that checks a credential asks for its role's set.
        switch self {
        case .owner: Self.ownerPermissions
        case .admin: Self.adminPermissions
        case .editor: Self.editorPermissions
        case .agent: Self.agentPermissions
        case .viewer: Self.viewerPermissions
        }
    }

    private static let ownerPermissions = listedPermissions(.owner)
    private static let adminPermissions = listedPermissions(.admin)
    private static let editorPermissions = listedPermissions(.editor)
    private static let agentPermissions = listedPermissions(.agent)
    private static let viewerPermissions = listedPermissions(.viewer)

    private static func listedPermissions(_ role: Role) -> Set<Permission> {
        switch role {
        case .owner:
            return Set(Permission.allCases)
        case .admin:
            return Set(Permission.allCases).subtracting([.membersOwners])
        case .editor:
            return [
                .tenantRead, .membersRead, .flowsRead, .flowsWrite, .channelsRead, .conversationsRead,
                .analyticsRead, .modelsRead, .modelsUse, .integrationsRead, .piiRead,
            ]
        case .agent:
            return [.tenantRead, .membersRead, .conversationsRead, .conversationsWrite, .flowsRead, .channelsRead]
        case .viewer:
            return [.tenantRead, .membersRead, .flowsRead, .channelsRead, .conversationsRead, .analyticsRead]
        }
    }
}
