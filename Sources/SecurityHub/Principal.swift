public import Foundation

/// Who is calling, as established by a verified credential. The tenant always comes from here, never from a
/// request body.
public struct Principal: Sendable, Equatable {
    /// How the caller authenticated.
    public enum Kind: Sendable, Equatable {
        /// A member with an access token.
        case member(UUID)
        /// An API key, acting with at most its creator's permissions.
        case apiKey(id: UUID, createdBy: UUID)
    }

    /// The caller's tenant.
    public var tenantID: UUID
    /// How the caller authenticated.
    public var kind: Kind
    /// What the credential claims. Narrowed on every request to what the member's current role still allows.
    public var permissions: Set<Permission>

    /// Creates a principal.
    public init(tenantID: UUID, kind: Kind, permissions: Set<Permission>) {
        self.tenantID = tenantID
        self.kind = kind
        self.permissions = permissions
    }

    /// The member behind the credential: the member, or the key's creator.
    public var memberID: UUID {
        switch kind {
        case .member(let id): id
        case .apiKey(_, let createdBy): createdBy
        }
    }

    /// Whether the credential allows `permission`.
    public func can(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// The permissions the credential still has given the member's current role and, for a key, its current
    /// scopes. A removed member, or a revoked or expired key, has none.
    public static func effectivePermissions(role: String?, apiKeyScopes: [String]?, isAPIKey: Bool) -> Set<Permission> {
        guard let role = role.flatMap(Role.init(rawValue:)) else { return [] }
        guard isAPIKey else { return role.permissions }
        guard let scopes = apiKeyScopes else { return [] }
        return role.permissions.intersection(scopes.compactMap(Permission.init(rawValue:)))
    }
}
