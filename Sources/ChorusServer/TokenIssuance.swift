import Foundation
import SecurityHub
import Storage

extension AppServices {
    /// Starts or continues a session: stores a new refresh token in `family` and signs an access token.
    func issueTokens(
        in tx: TenantTransaction,
        memberID: UUID,
        role: Role,
        family: UUID = UUID(),
        now: Date = Date()
    ) async throws -> TokensDTO {
        let refresh = OpaqueToken.generate(.refresh, tenantID: tx.tenantID)
        let refreshExpiresAt = now.addingTimeInterval(configuration.refreshTokenLifetime)
        try await tx.insertRefreshToken(
            id: UUID(),
            familyID: family,
            memberID: memberID,
            hash: refresh.hash,
            expiresAt: refreshExpiresAt
        )
        let access = try await tokens.issue(memberID: memberID, tenantID: tx.tenantID, role: role, now: now)
        return TokensDTO(
            accessToken: access.token,
            expiresIn: Int(access.expiresAt.timeIntervalSince(now)),
            expiresAt: access.expiresAt,
            refreshToken: refresh.value,
            refreshTokenExpiresAt: refreshExpiresAt
        )
    }
}
