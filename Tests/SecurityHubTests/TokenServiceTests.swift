import Crypto
import Foundation
import SecurityHub
import Testing

@Suite struct TokenServiceTests {
    let key = SigningKey.generate(id: "k1")
    let member = UUID()
    let tenant = UUID()

    func service(
        keys: [SigningKey]? = nil,
        signing: String = "k1",
        issuer: String = "chorus",
        audience: String = "chorus-api"
    ) async throws -> TokenService {
        try await TokenService(
            keys: keys ?? [key.key],
            signingKeyID: signing,
            issuer: issuer,
            audience: audience,
            lifetime: 900
        )
    }

    /// Builds a compact JWS by hand so tests can forge headers the library would never write.
    func forge(header: [String: String], claims: [String: Any], sign: (Data) -> Data) throws -> String {
        let headerPart = Base64URL.encode(try JSONSerialization.data(withJSONObject: header, options: .sortedKeys))
        let payloadPart = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims, options: .sortedKeys))
        let input = Data("\(headerPart).\(payloadPart)".utf8)
        return "\(headerPart).\(payloadPart).\(Base64URL.encode(sign(input)))"
    }

    var validClaims: [String: Any] {
        let now = Date().timeIntervalSince1970
        return [
            "iss": "chorus", "aud": ["chorus-api"], "sub": member.uuidString.lowercased(),
            "tid": tenant.uuidString.lowercased(), "role": "owner", "iat": Int(now), "exp": Int(now) + 600,
            "jti": UUID().uuidString,
        ]
    }

    @Test func issuedTokenVerifiesWithItsClaims() async throws {
        let tokens = try await service()
        let issued = try await tokens.issue(memberID: member, tenantID: tenant, role: .admin)
        let claims = try await tokens.verify(issued.token)
        #expect(claims.memberID == member)
        #expect(claims.tenantID == tenant)
        #expect(claims.role == "admin")
        #expect(issued.expiresAt.timeIntervalSinceNow <= 900)
    }

    @Test func lifetimeIsClampedToFifteenMinutes() async throws {
        let tokens = try await TokenService(keys: [key.key], signingKeyID: "k1", issuer: "chorus", audience: "chorus-api",
                                            lifetime: 24 * 3600)
        #expect(tokens.lifetime == 900)
    }

    @Test func expiredTokenIsRejected() async throws {
        let tokens = try await service()
        let issued = try await tokens.issue(memberID: member, tenantID: tenant, role: .owner,
                                            now: Date().addingTimeInterval(-3600))
        await #expect(throws: TokenService.Rejection.self) { try await tokens.verify(issued.token) }
    }

    @Test func wrongAudienceIsRejected() async throws {
        let other = try await service(audience: "someone-else")
        let issued = try await other.issue(memberID: member, tenantID: tenant, role: .owner)
        await #expect(throws: TokenService.Rejection.self) { try await service().verify(issued.token) }
    }

    @Test func wrongIssuerIsRejected() async throws {
        let other = try await service(issuer: "not-chorus")
        let issued = try await other.issue(memberID: member, tenantID: tenant, role: .owner)
        await #expect(throws: TokenService.Rejection.self) { try await service().verify(issued.token) }
    }

    @Test func tokenSignedByAnotherKeyWithTheSameKidIsRejected() async throws {
        let impostor = SigningKey.generate(id: "k1")
        let forged = try await service(keys: [impostor.key]).issue(memberID: member, tenantID: tenant, role: .owner)
        await #expect(throws: TokenService.Rejection.self) { try await service().verify(forged.token) }
    }

    @Test func tokenWithUnknownKidIsRejected() async throws {
        let other = SigningKey.generate(id: "k9")
        let forged = try await service(keys: [other.key], signing: "k9").issue(memberID: member, tenantID: tenant,
                                                                               role: .owner)
        await #expect(throws: TokenService.Rejection.self) { try await service().verify(forged.token) }
    }

    @Test func algNoneIsRejected() async throws {
        let token = try forge(header: ["alg": "none", "kid": "k1", "typ": "JWT"], claims: validClaims) { _ in Data() }
        await #expect(throws: TokenService.Rejection.self) { try await service().verify(token) }
        let unsigned = token.split(separator: ".", omittingEmptySubsequences: false).prefix(2).joined(separator: ".") + "."
        await #expect(throws: TokenService.Rejection.self) { try await service().verify(unsigned) }
    }

    @Test func hmacTokenSignedWithThePublicKeyIsRejected() async throws {
        // The classic algorithm-confusion attack: HS256 keyed with the verifier's public key.
        let jwk = key.key.jwk
        let publicKeyMaterial = Data(try JSONSerialization.data(withJSONObject: jwk, options: .sortedKeys))
        for material in [publicKeyMaterial, Data(jwk["x", default: ""].utf8)] {
            let token = try forge(header: ["alg": "HS256", "kid": "k1", "typ": "JWT"], claims: validClaims) { input in
                Data(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: material)))
            }
            await #expect(throws: TokenService.Rejection.self) { try await service().verify(token) }
        }
    }

    @Test func tamperedPayloadIsRejected() async throws {
        let tokens = try await service()
        let issued = try await tokens.issue(memberID: member, tenantID: tenant, role: .viewer)
        let parts = issued.token.split(separator: ".").map(String.init)
        let payloadData = try #require(Base64URL.decode(parts[1]))
        var claims = try #require(try JSONSerialization.jsonObject(with: payloadData) as? [String: Any])
        claims["role"] = "owner"
        let payload = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims))
        await #expect(throws: TokenService.Rejection.self) {
            try await tokens.verify("\(parts[0]).\(payload).\(parts[2])")
        }
    }

    @Test func garbageIsRejected() async throws {
        let tokens = try await service()
        for token in ["", "abc", "a.b.c", "....", "eyJhbGciOiJFUzI1NiJ9.e30.", String(repeating: "x", count: 5000)] {
            await #expect(throws: TokenService.Rejection.self) { try await tokens.verify(token) }
        }
    }

    @Test func jwksListsEveryKeyWithoutPrivateParts() async throws {
        let second = SigningKey.generate(id: "k2")
        let tokens = try await service(keys: [key.key, second.key], signing: "k2")
        let keys = try #require(tokens.jwks["keys"])
        #expect(keys.map { $0["kid"] } == ["k1", "k2"])
        #expect(keys.allSatisfy { $0["alg"] == "ES256" && $0["kty"] == "EC" && $0["d"] == nil })
        // A token signed by the old key still verifies while it is in the ring.
        let old = try await service().issue(memberID: member, tenantID: tenant, role: .owner)
        #expect(try await tokens.verify(old.token).memberID == member)
    }

    @Test func signingKeyMustBeInTheRing() async throws {
        await #expect(throws: TokenService.Rejection.self) { try await service(signing: "missing") }
    }
}
