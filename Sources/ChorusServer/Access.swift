public import SecurityHub

/// Who may call a route. Every route states one; there is no default, so a route cannot be added without saying
/// who may call it.
public enum Access: Sendable, Equatable, CustomStringConvertible {
    /// Anyone: login, token refresh, health, the JWKS.
    case anonymous
    /// The platform operator, with the operator token.
    case `operator`
    /// A member or API key of a tenant whose credential grants the permission.
    case tenant(Permission)

    /// As written in the OpenAPI document's `x-chorus-access`: `anonymous`, `operator` or the permission.
    public var description: String {
        switch self {
        case .anonymous: "anonymous"
        case .operator: "operator"
        case .tenant(let permission): permission.rawValue
        }
    }
}

/// One registered route, for the API contract test and the docs.
public struct RouteEntry: Sendable, Equatable {
    /// `GET`, `POST`, …
    public var method: String
    /// The path with `{name}` parameters, as in OpenAPI.
    public var path: String
    /// Who may call it.
    public var access: Access
}
