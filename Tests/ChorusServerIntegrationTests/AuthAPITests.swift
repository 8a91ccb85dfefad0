import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import SecurityHub
import Testing

@Suite struct AuthAPITests {
    @Test func loginFailuresAreGenericAndRefreshRotates() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("auth")
            for body in [
                ["tenant": tenant.slug, "email": tenant.ownerEmail, "password": "wrong-password-123"],
                ["tenant": tenant.slug, "email": "nobody@example.com", "password": tenant.password],
                ["tenant": "no-such-tenant-\(UUID().uuidString.prefix(6).lowercased())", "email": tenant.ownerEmail,
                 "password": tenant.password],
            ] {
                let failed = try await api.call(.post, "/api/v2/auth/login", json: body)
                #expect(failed.status == 401)
                #expect(failed.problemCode == "invalid-credentials")
            }

            let first = try await api.call(.post, "/api/v2/auth/refresh", json: ["refreshToken": tenant.refreshToken])
            #expect(first.status == 200)
            let second = try #require(first.string("refreshToken"))
            #expect(second != tenant.refreshToken)
            let access = try #require(first.string("accessToken"))
            #expect(try await api.call(.get, "/api/v2/me", as: .bearer(access)).status == 200)
            #expect((first.json["expiresIn"] as? Int ?? 0) <= 900)

            // The first token comes back: the whole family is revoked, including the newest token.
            let reused = try await api.call(.post, "/api/v2/auth/refresh", json: ["refreshToken": tenant.refreshToken])
            #expect(reused.status == 401)
            #expect(reused.problemCode == "refresh-token-reused")
            let afterReuse = try await api.call(.post, "/api/v2/auth/refresh", json: ["refreshToken": second])
            #expect(afterReuse.status == 401)

            // Another login is another family, untouched by the revocation.
            let other = try await api.login(tenant.slug, tenant.ownerEmail, tenant.password)
            let otherRefresh = try #require(other.string("refreshToken"))
            #expect(try await api.call(.post, "/api/v2/auth/logout", json: ["refreshToken": otherRefresh]).status == 204)
            #expect(try await api.call(.post, "/api/v2/auth/refresh", json: ["refreshToken": otherRefresh]).status == 401)
            #expect(try await api.call(.post, "/api/v2/auth/logout", json: ["refreshToken": "garbage"]).status == 204)
            #expect(try await api.call(.post, "/api/v2/auth/refresh", json: ["refreshToken": "crt_garbage"]).status == 401)
        }
    }

    @Test func forgedAndForeignAccessTokensAreRejectedOverHTTP() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("forge")
            let stranger = SigningKey.generate(id: Harness.signingKey.key.id)
            let strangerTokens = try await TokenService(keys: [stranger.key], signingKeyID: stranger.key.id,
                                                        issuer: "chorus", audience: "chorus-api", lifetime: 900)
            let ownerID = try #require(UUID(uuidString: tenant.ownerID))
            let tenantID = try #require(UUID(uuidString: tenant.id))
            let forged = try await strangerTokens.issue(memberID: ownerID, tenantID: tenantID, role: .owner)
            let parts = tenant.accessToken.split(separator: ".")
            let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.\(parts[1])."
            for token in [forged.token, none, tenant.accessToken + "x", "chk_notakey", ""] {
                let response = try await api.call(.get, "/api/v2/me", as: .bearer(token))
                #expect(response.status == 401, "\(token.prefix(20)) was accepted")
                #expect(response.headers[.wwwAuthenticate] != nil)
            }
            #expect(try await api.call(.get, "/api/v2/me").status == 401)
            let jwks = try await api.call(.get, "/.well-known/jwks.json")
            let keys = try #require(jwks.json["keys"] as? [[String: String]])
            #expect(keys.map { $0["kid"] } == [Harness.signingKey.key.id])
        }
    }
}
