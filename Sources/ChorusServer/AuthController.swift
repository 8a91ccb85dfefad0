import ChorusCore
import Foundation
import Hummingbird
import SecurityHub
import Storage

/// Login, token refresh with rotation and reuse detection, logout, accepting invitations, and the JWKS.
struct AuthController {
    func register(on api: APIRoutes) {
        api.add(.post, "/api/v2/auth/login", .anonymous, login)
        api.add(.post, "/api/v2/auth/refresh", .anonymous, refresh)
        api.add(.post, "/api/v2/auth/logout", .anonymous, logout)
        api.add(.post, "/api/v2/auth/invitations/accept", .anonymous, acceptInvitation)
        api.add(.get, "/.well-known/jwks.json", .anonymous, jwks)
    }

    static let badCredentials = Problem(
        code: "invalid-credentials",
        title: "Login failed",
        status: 401,
        detail: "The tenant, email or password is not correct."
    )

    @Sendable func login(_ scope: Scope) async throws -> Reply {
        let body = try scope.reader()
        let slug = body.string("tenant", maxLength: 48)
        let email = body.email("email")
        let password = body.secret("password", maxLength: 1024)
        try body.finish()
        guard let slug, let email, let password else { throw Problem.internal() }
        let services = scope.services
        // Limits per address, then lockouts per account from this address and per account from anywhere. A
        // failure counts the same whether the tenant, the email or the password was wrong.
        let subjects = services.admission.loginSubjects(slug: slug, email: email, address: scope.context.clientAddress)
        _ = try await services.admission.admitLogin(subjects, address: scope.context.clientAddress)

        guard let tenantID = try await services.database.directory.tenant(slug: slug.lowercased()) else {
            _ = try await services.passwords.verify(password, hash: nil)
            await services.admission.loginFailed(subjects)
            throw Self.badCredentials
        }
        // Read the hash, verify outside any transaction (bcrypt is slow), then start the session.
        let found = try await services.database.withTenant(tenantID) { tx in
            (status: tx.entry.tenantStatus, credentials: try await tx.credentials(email: email))
        }
        guard try await services.passwords.verify(password, hash: found.credentials?.passwordHash),
            let member = found.credentials?.member, let role = Role(rawValue: member.role)
        else {
            await services.admission.loginFailed(subjects)
            throw Self.badCredentials
        }
        await services.admission.loginSucceeded(subjects)
        guard found.status == "active" else {
            throw Problem.tenantSuspended
        }
        let tokens = try await services.database.withTenant(tenantID) { tx in
            try await tx.recordLogin(memberID: member.id)
            return try await services.issueTokens(in: tx, memberID: member.id, role: role)
        }
        return try .json(tokens)
    }

    private enum RefreshOutcome: Sendable {
        case rotated(TokensDTO)
        case rejected(Problem)
    }

    static let refreshRejected = Problem(
        code: "invalid-refresh-token",
        title: "Refresh failed",
        status: 401,
        detail: "The refresh token is not valid, has expired or was revoked. Log in again."
    )

    @Sendable func refresh(_ scope: Scope) async throws -> Reply {
        let body = try scope.reader()
        let text = body.secret("refreshToken", maxLength: 200)
        try body.finish()
        guard let text, let token = OpaqueToken(text, kind: .refresh) else { throw Self.refreshRejected }
        let services = scope.services
        let outcome: RefreshOutcome
        do {
            outcome = try await services.database.withTenant(token.tenantID) { tx -> RefreshOutcome in
                guard let record = try await tx.refreshToken(hash: token.hash), record.revokedAt == nil else {
                    return .rejected(Self.refreshRejected)
                }
                if record.usedAt != nil {
                    // A rotated token came back: someone holds a copy. End every session of this family; the
                    // revocation commits even though the caller gets an error.
                    try await tx.revokeRefreshFamily(record.familyID)
                    return .rejected(
                        Problem(code: "refresh-token-reused", title: "Refresh token reused", status: 401,
                                detail: "This refresh token was already used. Every session it belongs to has been ended; log in again.")
                    )
                }
                guard record.expiresAt > Date() else { return .rejected(Self.refreshRejected) }
                guard tx.entry.tenantStatus == "active", let member = try await tx.member(id: record.memberID),
                    member.status == "active", let role = Role(rawValue: member.role)
                else {
                    try await tx.revokeRefreshFamily(record.familyID)
                    return .rejected(Self.refreshRejected)
                }
                try await tx.markRefreshTokenUsed(id: record.id)
                return .rotated(
                    try await services.issueTokens(in: tx, memberID: member.id, role: role, family: record.familyID)
                )
            }
        } catch let error as StorageError where error.code == .tenantNotFound {
            throw Self.refreshRejected
        }
        switch outcome {
        case .rotated(let tokens): return try .json(tokens)
        case .rejected(let problem): throw problem
        }
    }

    @Sendable func logout(_ scope: Scope) async throws -> Reply {
        let body = try scope.reader()
        let text = body.secret("refreshToken", maxLength: 200)
        try body.finish()
        // Logging out with an unknown token is not an error: the session is over either way.
        guard let text, let token = OpaqueToken(text, kind: .refresh) else { return .noContent }
        do {
            try await scope.services.database.withTenant(token.tenantID) { tx in
                if let record = try await tx.refreshToken(hash: token.hash) {
                    try await tx.revokeRefreshFamily(record.familyID)
                }
            }
        } catch let error as StorageError where error.code == .tenantNotFound {
            return .noContent
        }
        return .noContent
    }

    static let invitationRejected = Problem(
        code: "invalid-invitation",
        title: "Invitation not valid",
        status: 401,
        detail: "The invitation is not valid, was already accepted or has expired. Ask for a new one."
    )

    @Sendable func acceptInvitation(_ scope: Scope) async throws -> Reply {
        let body = try scope.reader()
        let text = body.secret("token", maxLength: 200)
        let displayName = body.string("displayName", required: false)
        let password = Validation.password(body, email: nil)
        try body.finish()
        guard let text, let password, let token = OpaqueToken(text, kind: .invitation) else {
            throw Self.invitationRejected
        }
        let services = scope.services
        do {
            let invited = try await services.database.withTenant(token.tenantID) { tx in
                (status: tx.entry.tenantStatus, member: try await tx.invitedMember(tokenHash: token.hash))
            }
            guard let member = invited.member, let expires = member.inviteExpiresAt, expires > Date() else {
                throw Self.invitationRejected
            }
            if let message = PasswordPolicy.problem(with: password, email: member.email) {
                throw Problem.validation([.init(pointer: "/password", detail: "password \(message)", code: "weak_password")])
            }
            guard invited.status == "active" else {
                throw Problem.tenantSuspended
            }
            let hash = try await services.passwords.hash(password)
            let tokens = try await services.database.withTenant(token.tenantID) { tx -> TokensDTO? in
                // Re-checked under lock: two concurrent accepts of one invitation cannot both succeed.
                guard try await tx.invitedMember(tokenHash: token.hash)?.id == member.id,
                    let active = try await tx.activateMember(id: member.id, displayName: displayName, passwordHash: hash),
                    let role = Role(rawValue: active.role)
                else { return nil }
                try await tx.recordLogin(memberID: active.id)
                try await AuditActor.member(active.id, context: scope.context).record(
                    "member.joined", "member", active.id.lowercased, ["email": active.email, "role": active.role], in: tx
                )
                return try await services.issueTokens(in: tx, memberID: active.id, role: role)
            }
            guard let tokens else { throw Self.invitationRejected }
            return try .json(tokens, status: .ok)
        } catch let error as StorageError where error.code == .tenantNotFound {
            throw Self.invitationRejected
        }
    }

    @Sendable func jwks(_ scope: Scope) async throws -> Reply {
        var reply = try Reply.json(scope.services.tokens.jwks)
        reply.headers[.cacheControl] = "public, max-age=300"
        return reply
    }
}
