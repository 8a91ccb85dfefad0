public import Foundation
import JWTKit
import Synchronization

/// Issues and verifies access tokens: short-lived ES256 JWTs with a `kid`, an issuer and an audience.
///
/// Verification never trusts the token's header: the algorithm must be the one fixed for the key it names, the
/// key must be one of ours, and `iss`, `aud` and `exp` are always checked.
public struct TokenService: Sendable {
    /// Why a token was rejected. The reason is for logs; clients get one generic 401.
    public struct Rejection: Error, Sendable, Equatable {
        /// What was wrong.
        public var reason: String
    }

    /// The longest lifetime an access token may have.
    public static let maximumLifetime: TimeInterval = 15 * 60

    /// The issuer written into and required of every token.
    public let issuer: String
    /// The audience written into and required of every token.
    public let audience: String
    /// How long an access token lives, at most `maximumLifetime`.
    public let lifetime: TimeInterval
    private let signingKeyID: String
    private let keys: [String: SigningKey]
    private let collection: JWTKeyCollection
    private let verified = VerifiedTokens()

    /// Creates the service.
    /// - Parameters:
    ///   - keys: every key whose tokens are accepted; old keys stay here until their tokens have expired.
    ///   - signingKeyID: the key that signs new tokens.
    ///   - issuer: the `iss` claim.
    ///   - audience: the `aud` claim.
    ///   - lifetime: seconds; clamped to 15 minutes.
    /// - Throws: `Rejection` when the signing key is not among `keys`.
    public init(keys: [SigningKey], signingKeyID: String, issuer: String, audience: String, lifetime: TimeInterval)
        async throws
    {
        guard keys.contains(where: { $0.id == signingKeyID }) else {
            throw Rejection(reason: "signing key \(signingKeyID) is not in the key ring")
        }
        self.issuer = issuer
        self.audience = audience
        self.lifetime = min(max(lifetime, 30), Self.maximumLifetime)
        self.signingKeyID = signingKeyID
        self.keys = Dictionary(keys.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let collection = JWTKeyCollection()
        for key in keys {
            await collection.add(
                ecdsa: try ES256PrivateKey(backing: key.privateKey),
                kid: JWKIdentifier(string: key.id)
            )
        }
        self.collection = collection
    }

    /// Signs an access token for a member.
    /// - Returns: the token and when it expires.
    public func issue(memberID: UUID, tenantID: UUID, role: Role, now: Date = Date()) async throws -> (
        token: String, expiresAt: Date
    ) {
        // NumericDate in whole seconds, as most JWT libraries expect.
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let expiresAt = now.addingTimeInterval(lifetime)
        let claims = AccessClaims(
            iss: IssuerClaim(value: issuer),
            aud: AudienceClaim(value: [audience]),
            sub: SubjectClaim(value: memberID.uuidString.lowercased()),
            tid: tenantID.uuidString.lowercased(),
            role: role.rawValue,
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: expiresAt),
            jti: IDClaim(value: UUID().uuidString.lowercased())
        )
        var header = JWTHeader()
        header.typ = "JWT"
        let token = try await collection.sign(claims, kid: JWKIdentifier(string: signingKeyID), header: header)
        return (token, expiresAt)
    }

    /// Verifies an access token.
    /// - Returns: the claims of a valid token.
    /// - Throws: `Rejection` for anything else.
    public func verify(_ token: String, now: Date = Date()) async throws -> AccessClaims {
        // A token whose signature and claims were already checked is the same token byte for byte; only its
        // expiry can change its verdict.
        if let claims = verified.claims(for: token) {
            guard claims.exp.value > now else { throw Rejection(reason: "expired") }
            return claims
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]),
            let header = try? JSONDecoder().decode([String: JSONScalar].self, from: headerData)
        else { throw Rejection(reason: "not a compact JWS") }
        guard case .string(let alg) = header["alg"], alg == SigningKey.algorithm else {
            throw Rejection(reason: "algorithm is not \(SigningKey.algorithm)")
        }
        guard case .string(let kid) = header["kid"], keys[kid] != nil else {
            throw Rejection(reason: "unknown key id")
        }
        let claims: AccessClaims
        do {
            claims = try await collection.verify(token, as: AccessClaims.self)
        } catch {
            throw Rejection(reason: "signature or expiry: \(error)")
        }
        guard claims.exp.value > now else { throw Rejection(reason: "expired") }
        guard claims.iss.value == issuer else { throw Rejection(reason: "wrong issuer") }
        guard claims.aud.value.contains(audience) else { throw Rejection(reason: "wrong audience") }
        guard UUID(uuidString: claims.sub.value) != nil, UUID(uuidString: claims.tid) != nil else {
            throw Rejection(reason: "malformed subject or tenant")
        }
        verified.remember(token, claims)
        return claims
    }

    /// The public keys as a JSON Web Key Set.
    public var jwks: [String: [[String: String]]] {
        ["keys": keys.values.sorted { $0.id < $1.id }.map(\.jwk)]
    }
}

/// Access tokens already verified, so a client's repeated calls skip the signature check. Bounded: when full it
/// starts over, which costs only re-verification.
final class VerifiedTokens: Sendable {
    static let capacity = 10_000
    private let tokens = Mutex<[String: AccessClaims]>([:])

    func claims(for token: String) -> AccessClaims? {
        tokens.withLock { $0[token] }
    }

    func remember(_ token: String, _ claims: AccessClaims) {
        tokens.withLock { tokens in
            if tokens.count >= Self.capacity { tokens.removeAll(keepingCapacity: true) }
            tokens[token] = claims
        }
    }
}

/// A JOSE header value: only strings matter to us, anything else is kept as "other".
enum JSONScalar: Decodable {
    case string(String)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = (try? container.decode(String.self)).map(JSONScalar.string) ?? .other
    }
}
