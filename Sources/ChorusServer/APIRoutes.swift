import ChorusCore
import Crypto
import Foundation
import NIOFoundationCompat
import HTTPTypes
import Hummingbird
import SecurityHub
import Storage

/// Registers routes together with who may call them. Routes are only added through here, so every route states
/// its access, the catalog lists them all, and the access check always runs before the handler.
final class APIRoutes {
    let router: Router<ChorusRequestContext>
    let services: AppServices
    private(set) var catalog: [RouteEntry] = []

    init(router: Router<ChorusRequestContext>, services: AppServices) {
        self.router = router
        self.services = services
    }

    /// Adds an anonymous or operator route.
    func add(
        _ method: HTTPRequest.Method,
        _ path: String,
        _ access: Access,
        _ handler: @escaping @Sendable (Scope) async throws -> Reply
    ) {
        precondition(access == .anonymous || access == .operator, "tenant routes take a TenantScope handler")
        record(method, path, access)
        let services = self.services
        let authenticator = Authenticator(services: services)
        // The auth routes are limited per client address; login adds its own limits (see AuthController).
        let limited = access == .anonymous && path.hasPrefix("/api/v2/auth/")
        router.on(RouterPath(Self.hummingbirdPath(path)), method: method) { request, context -> Response in
            if access == .operator, !authenticator.isOperator(request) {
                throw Problem.unauthenticated("The operator token is required.")
            }
            let admitted = limited
                ? try await services.admission.admitAuth(address: context.clientAddress) : .unlimited
            return try await Self.withHeaders(of: AdmissionSlot(admitted)) {
                let body = try await Self.collectBody(request, context: context)
                return try await handler(Scope(request: request, context: context, body: body, services: services))
            }
        }
    }

    /// Adds a tenant route that requires `permission`.
    func add(
        _ method: HTTPRequest.Method,
        _ path: String,
        _ permission: Permission,
        _ handler: @escaping @Sendable (TenantScope) async throws -> Reply
    ) {
        record(method, path, .tenant(permission))
        let services = self.services
        let authenticator = Authenticator(services: services)
        router.on(RouterPath(Self.hummingbirdPath(path)), method: method) { request, context -> Response in
            // The token's role claim is not trusted for permissions: the member's current role is read on entry,
            // so promotions, demotions and removals take effect on the next request.
            let credential = try await authenticator.credential(for: request)
            let admitted = AdmissionSlot(
                try await services.admission.admit(credential)
            )
            return try await Self.withHeaders(of: admitted) {
                let body = try await Self.collectBody(request, context: context)
                let scope = Scope(request: request, context: context, body: body, services: services)
                let entryPrincipal = credential.entryPrincipal
                return try await services.database.withTenant(credential.tenantID, principal: entryPrincipal) { tx in
                    services.admission.learn(credential, entry: tx.entry)
                    try await admitted.admitIfDeferred(services.admission, credential)
                    let principal = try Self.authorize(credential, entry: tx.entry, permission: permission, services: services)
                    if Self.isStale(credential, entry: tx.entry), case .apiKey(_, let keyID, _) = credential {
                        try await tx.touchAPIKey(id: keyID)
                    }
                    return try await handler(TenantScope(scope: scope, principal: principal, tx: tx))
                }
            }
        }
    }

    /// Adds a read-only tenant route whose work is one `TenantRead`: entering the tenant and reading run as one
    /// statement (see `TenantRead`), and the rows are rendered only once the credential is confirmed.
    func read<Read: TenantRead>(
        _ path: String,
        _ permission: Permission,
        _ statement: @escaping @Sendable (Scope) throws -> Read,
        render: @escaping @Sendable (Principal, [Read.Row]) throws -> Reply
    ) {
        record(.get, path, .tenant(permission))
        let services = self.services
        let authenticator = Authenticator(services: services)
        router.on(RouterPath(Self.hummingbirdPath(path)), method: .get) { request, context -> Response in
            let credential = try await authenticator.credential(for: request)
            let admitted = AdmissionSlot(
                try await services.admission.admit(credential)
            )
            return try await Self.withHeaders(of: admitted) {
                let scope = Scope(request: request, context: context, body: Data(), services: services)
                let (entry, rows) = try await services.database.read(
                    credential.tenantID,
                    principal: credential.entryPrincipal,
                    try statement(scope)
                )
                let principal = try await Self.confirm(credential, entry: entry, admitted: admitted, permission: permission,
                                                       services: services)
                return try render(principal, rows)
            }
        }
    }

    /// Adds a tenant route whose work must not hold a database transaction (a model call can take seconds): one
    /// statement enters the tenant and confirms the credential (or the entry read for it within the last second is
    /// used, see `RecentEntries`), then `handler` runs with the principal, outside any transaction, and may answer
    /// with a streamed body.
    func call(
        _ method: HTTPRequest.Method,
        _ path: String,
        _ permission: Permission,
        _ handler: @escaping @Sendable (Scope, Principal) async throws -> Reply
    ) {
        record(method, path, .tenant(permission))
        let services = self.services
        let authenticator = Authenticator(services: services)
        router.on(RouterPath(Self.hummingbirdPath(path)), method: method) { request, context -> Response in
            let credential = try await authenticator.credential(for: request)
            let admitted = AdmissionSlot(
                try await services.admission.admit(credential)
            )
            return try await Self.withHeaders(of: admitted) {
                let body = try await Self.collectBody(request, context: context)
                let scope = Scope(request: request, context: context, body: body, services: services)
                let principal: Principal
                if let recent = services.entries.entry(for: credential) {
                    try await admitted.admitIfDeferred(services.admission, credential)
                    principal = try Self.authorize(credential, entry: recent, permission: permission, services: services)
                } else {
                    let (entry, _) = try await services.database.read(
                        credential.tenantID, principal: credential.entryPrincipal, EntryOnly()
                    )
                    principal = try await Self.confirm(credential, entry: entry, admitted: admitted, permission: permission,
                                                       services: services)
                    services.entries.remember(entry, for: credential)
                }
                return try await handler(scope, principal)
            }
        }
    }

    /// After a statement that entered the tenant outside a transaction: remembers the limits it read, admits a
    /// deferred request, confirms the credential and permission, and records an API key's use at most once a minute.
    static func confirm(
        _ credential: Authenticator.Credential,
        entry: TenantEntry,
        admitted: AdmissionSlot,
        permission: Permission,
        services: AppServices
    ) async throws -> Principal {
        services.admission.learn(credential, entry: entry)
        try await admitted.admitIfDeferred(services.admission, credential)
        let principal = try authorize(credential, entry: entry, permission: permission, services: services)
        if isStale(credential, entry: entry), case .apiKey(_, let keyID, _) = credential {
            try await services.database.withTenant(credential.tenantID) { tx in try await tx.touchAPIKey(id: keyID) }
        }
        return principal
    }

    /// Runs `work` and puts the admission's rate-limit headers on its response, or on its error's.
    static func withHeaders(of admitted: AdmissionSlot, _ work: () async throws -> Reply) async throws -> Response {
        do {
            var response = try await work().response
            for field in admitted.decision?.headers ?? [:] { response.headers[field.name] = field.value }
            return response
        } catch let error as ErrorWithHeaders {
            var merged = admitted.decision?.headers ?? [:]
            for field in error.headers { merged[field.name] = field.value }
            throw ErrorWithHeaders(error.error, headers: merged)
        } catch {
            let headers = admitted.decision?.headers ?? [:]
            if headers.isEmpty { throw error }
            throw ErrorWithHeaders(error, headers: headers)
        }
    }

    /// The principal the credential stands for now, if it may use `permission`.
    static func authorize(
        _ credential: Authenticator.Credential,
        entry: TenantEntry,
        permission: Permission,
        services: AppServices
    ) throws -> Principal {
        let principal = try verify(credential, entry: entry)
        guard principal.can(permission) else {
            throw Problem.forbidden("This action needs the \(permission.rawValue) permission.")
        }
        return principal
    }

    /// Whether an API key's last-used time is more than a minute old (it is written at most once a minute).
    static func isStale(_ credential: Authenticator.Credential, entry: TenantEntry) -> Bool {
        guard case .apiKey = credential else { return false }
        return (entry.apiKeyLastUsed ?? .distantPast) < Date().addingTimeInterval(-60)
    }

    /// Confirms the credential against what the tenant transaction read on entry, and returns the principal with
    /// the permissions it has now.
    static func verify(_ credential: Authenticator.Credential, entry: TenantEntry) throws -> Principal {
        guard entry.tenantStatus == "active" else {
            throw Problem.tenantSuspended
        }
        switch credential {
        case .member(_, let memberID, let tenantID):
            guard entry.memberRole != nil else {
                throw Problem.unauthenticated("The member of this access token is no longer active.")
            }
            let permissions = Principal.effectivePermissions(role: entry.memberRole, apiKeyScopes: nil, isAPIKey: false)
            return Principal(tenantID: tenantID, kind: .member(memberID), permissions: permissions)
        case .apiKey(let presented, let keyID, let tenantID):
            guard let hash = entry.apiKeyHash, presented.matches(hash) else {
                throw Problem.unauthenticated("The API key is not valid, has expired or was revoked.")
            }
            guard let creator = entry.memberID, entry.memberRole != nil else {
                throw Problem.unauthenticated("The member who created this API key is no longer active.")
            }
            let permissions = Principal.effectivePermissions(
                role: entry.memberRole,
                apiKeyScopes: entry.apiKeyScopes,
                isAPIKey: true
            )
            return Principal(tenantID: tenantID, kind: .apiKey(id: keyID, createdBy: creator), permissions: permissions)
        }
    }

    private func record(_ method: HTTPRequest.Method, _ path: String, _ access: Access) {
        catalog.append(RouteEntry(method: method.rawValue, path: path, access: access))
    }

    /// `/members/{memberId}` → `/members/:memberId`.
    static func hummingbirdPath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : String(segment)
        }.joined(separator: "/")
    }

    /// Reads the whole body up to the configured limit.
    static func collectBody(_ request: Request, context: ChorusRequestContext) async throws -> Data {
        guard request.method == .post || request.method == .patch || request.method == .put else { return Data() }
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        return Data(buffer: buffer)
    }
}
