/// Something a route needs. Roles grant sets of permissions; API keys carry a subset of their creator's as scopes.
public enum Permission: String, Sendable, CaseIterable, Codable, Comparable {
    case tenantRead = "tenant:read"
    case tenantWrite = "tenant:write"
    case membersRead = "members:read"
    case membersWrite = "members:write"
    /// Grant, change or remove the owner role.
    case membersOwners = "members:owners"
    case apiKeysRead = "apikeys:read"
    case apiKeysWrite = "apikeys:write"
    case flowsRead = "flows:read"
    case flowsWrite = "flows:write"
    case flowsPublish = "flows:publish"
    case channelsRead = "channels:read"
    case channelsWrite = "channels:write"
    case conversationsRead = "conversations:read"
    case conversationsWrite = "conversations:write"
    case analyticsRead = "analytics:read"
    case modelsRead = "models:read"
    case modelsWrite = "models:write"
    case modelsUse = "models:use"
    case integrationsRead = "integrations:read"
    case integrationsWrite = "integrations:write"
    case auditRead = "audit:read"
    case piiRead = "pii:read"
    case piiWrite = "pii:write"
    /// Restore values masked with the reversible operator.
    case piiUnmask = "pii:unmask"

    public static func < (lhs: Permission, rhs: Permission) -> Bool { lhs.rawValue < rhs.rawValue }
}
