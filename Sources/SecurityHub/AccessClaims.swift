public import Foundation
public import JWTKit

/// The claims of a Chorus access token.
public struct AccessClaims: JWTPayload, Equatable {
    /// Issuer; must equal the configured issuer.
    public var iss: IssuerClaim
    /// Audience; must include the configured audience.
    public var aud: AudienceClaim
    /// The member id.
    public var sub: SubjectClaim
    /// The tenant id.
    public var tid: String
    /// The member's role when the token was issued. Permissions are recomputed from the current role on every
    /// request, so a demotion takes effect at once.
    public var role: String
    /// Issued at.
    public var iat: IssuedAtClaim
    /// Expiry.
    public var exp: ExpirationClaim
    /// Token id.
    public var jti: IDClaim

    /// Checks expiry; issuer and audience are checked by `TokenService`, which knows the expected values.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

extension AccessClaims {
    /// The member id from `sub`.
    public var memberID: UUID? { UUID(uuidString: sub.value) }
    /// The tenant id from `tid`.
    public var tenantID: UUID? { UUID(uuidString: tid) }
}
