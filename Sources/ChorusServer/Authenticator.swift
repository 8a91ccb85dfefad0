import ChorusCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import SecurityHub
import Storage

/// Turns a request's credential into who is calling. The tenant always comes from the credential.
struct Authenticator: Sendable {
    /// A verified-looking credential, before the tenant transaction confirms what it still grants.
    enum Credential: Sendable {
        /// A valid access token.
        case member(AccessClaims, memberID: UUID, tenantID: UUID)
        /// A well-formed API key whose prefix exists; its secret is checked against the stored hash on entry.
        case apiKey(PresentedKey, keyID: UUID, tenantID: UUID)

        var tenantID: UUID {
            switch self {
            case .member(_, _, let tenantID), .apiKey(_, _, let tenantID): tenantID
            }
        }

        /// Whose current state `enter_tenant` reads.
        var entryPrincipal: TenantEntry.Principal {
            switch self {
            case .member(_, let memberID, _): .member(memberID)
            case .apiKey(_, let keyID, _): .apiKey(keyID)
            }
        }
    }

    let services: AppServices

    /// Reads `Authorization: Bearer …` (an access token or an API key) or `X-API-Key`.
    /// - Throws: `Problem.unauthenticated` when there is no credential or it is not valid.
    func credential(for request: Request) async throws -> Credential {
        let bearer = request.headers[.authorization].flatMap(Self.bearerToken)
        guard let presented = bearer ?? request.headers[.apiKey] else {
            throw Problem.unauthenticated()
        }
        if presented.hasPrefix("chk_") {
            let known = services.presentedKeys[presented]
            guard let key = known ?? APIKeySecret(presented).map({ PresentedKey($0, pepper: services.configuration.apiKeyPepper) }),
                let (tenantID, keyID) = try await keyLocation(key.secret.prefix)
            else {
                throw Problem.unauthenticated("The API key is not valid.")
            }
            if known == nil { services.presentedKeys[presented] = key }
            return .apiKey(key, keyID: keyID, tenantID: tenantID)
        }
        do {
            let claims = try await services.tokens.verify(presented)
            guard let memberID = claims.memberID, let tenantID = claims.tenantID else {
                throw Problem.unauthenticated("The access token is not valid.")
            }
            return .member(claims, memberID: memberID, tenantID: tenantID)
        } catch is TokenService.Rejection {
            throw Problem.unauthenticated("The access token is not valid or has expired.")
        }
    }

    /// The tenant and key a prefix names. A prefix never moves to another key, so found locations are kept in
    /// memory; whether the key is still valid is checked on entry to the tenant, on every request.
    private func keyLocation(_ prefix: String) async throws -> (UUID, UUID)? {
        if let known = services.keyLocations.location(of: prefix) { return known }
        guard let found = try await services.database.directory.apiKey(prefix: prefix) else { return nil }
        services.keyLocations.remember(prefix, found)
        return found
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), without surrounding
    /// blanks. Plain byte work: this runs on every request.
    static func bearerToken(_ header: String) -> String? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count,
            zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 || ($1 == 0x20 && $0 == 0x20) })
        else { return nil }
        var start = scheme.count
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return start < end ? String(decoding: bytes[start..<end], as: UTF8.self) : nil
    }

    /// Whether the request carries the operator token (compared in constant time).
    func isOperator(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst(7).utf8)
        let expected = Array(services.configuration.operatorToken.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// An API key as presented, with its hash under the server's pepper computed once: admission and the check on entry
/// both compare it with the stored hash.
struct PresentedKey: Sendable {
    let secret: APIKeySecret
    let hash: String

    init(_ secret: APIKeySecret, pepper: SymmetricKey) {
        self.secret = secret
        self.hash = secret.hash(pepper: pepper)
    }

    /// Whether the key is the one `storedHash` was made from (constant time).
    func matches(_ storedHash: String) -> Bool {
        APIKeySecret.hashesMatch(hash, storedHash)
    }
}
