import ChorusCore
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
        case apiKey(APIKeySecret, keyID: UUID, tenantID: UUID)

        var tenantID: UUID {
            switch self {
            case .member(_, _, let tenantID), .apiKey(_, _, let tenantID): tenantID
            }
        }
    }

    let services: AppServices

    /// Reads `Authorization: Bearer …` (an access token or an API key) or `X-API-Key`.
    /// - Throws: `Problem.unauthenticated` when there is no credential or it is not valid.
    func credential(for request: Request) async throws -> Credential {
        let bearer = request.headers[.authorization].flatMap { header -> String? in
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return String(parts[1]).trimmingCharacters(in: .whitespaces)
        }
        guard let presented = bearer ?? request.headers[.apiKey] else {
            throw Problem.unauthenticated()
        }
        if presented.hasPrefix("chk_") {
            guard let secret = APIKeySecret(presented),
                let (tenantID, keyID) = try await services.database.directory.apiKey(prefix: secret.prefix)
            else { throw Problem.unauthenticated("The API key is not valid.") }
            return .apiKey(secret, keyID: keyID, tenantID: tenantID)
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

    /// Whether the request carries the operator token (compared in constant time).
    func isOperator(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst(7).utf8)
        let expected = Array(services.configuration.operatorToken.utf8)
        guard given.count == expected.count else { return false }
        return zip(given, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
