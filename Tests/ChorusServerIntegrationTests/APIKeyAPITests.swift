import Foundation
import HTTPTypes
import Hummingbird
import Testing

@Suite struct APIKeyAPITests {
    @Test func aScopedKeyCanDoOnlyWhatItsScopesAllow() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("keys")
            let key = try await api.createKey(tenant, scopes: ["tenant:read", "members:read"])
            for credential in [Credential.apiKeyHeader(key.key), .bearer(key.key)] {
                #expect(try await api.call(.get, "/api/v2/tenant", as: credential).status == 200)
                #expect(try await api.call(.get, "/api/v2/members", as: credential).status == 200)
                #expect(try await api.call(.post, "/api/v2/members", as: credential,
                                           json: ["email": "k@y.co", "role": "viewer"]).status == 403)
                #expect(try await api.call(.patch, "/api/v2/tenant", as: credential, json: ["name": "x"]).status == 403)
                #expect(try await api.call(.get, "/api/v2/api-keys", as: credential).status == 403)
            }
            let me = try await api.call(.get, "/api/v2/me", as: .apiKeyHeader(key.key))
            #expect(me.string("credential") == "apiKey")
            #expect(me.json["permissions"] as? [String] == ["members:read", "tenant:read"])

            let fetched = try await api.call(.get, "/api/v2/api-keys/\(key.id)", as: tenant.owner)
            #expect(fetched.json["key"] == nil, "a key is shown only once")
            #expect(fetched.string("lastUsedAt") != nil)
            #expect(key.key.hasPrefix(try #require(fetched.string("prefix"))))

            #expect(try await api.call(.delete, "/api/v2/api-keys/\(key.id)", as: tenant.owner).status == 204)
            #expect(try await api.call(.get, "/api/v2/tenant", as: .apiKeyHeader(key.key)).status == 401)
            let revoked = try await api.call(.get, "/api/v2/api-keys/\(key.id)", as: tenant.owner)
            #expect(revoked.string("status") == "revoked")

            // Right prefix, wrong secret.
            let forged = String(key.key.prefix(17)) + String(repeating: "A", count: 43)
            #expect(try await api.call(.get, "/api/v2/tenant", as: .apiKeyHeader(forged)).status == 401)
        }
    }

    @Test func keysNeverExceedTheirCreator() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("scope")
            let admin = try await api.addMember(to: tenant, role: "admin")
            let tooMuch = try await api.call(.post, "/api/v2/api-keys", as: .bearer(admin.token),
                                             json: ["name": "k", "scopes": ["tenant:read", "members:owners", "bogus"]])
            #expect(tooMuch.status == 422)
            #expect(tooMuch.pointers == ["/scopes/1", "/scopes/2"])
            let bad = try await api.call(.post, "/api/v2/api-keys", as: .bearer(admin.token),
                                         json: ["name": "", "scopes": [String](), "expiresAt": "2001-01-01T00:00:00Z"])
            #expect(bad.pointers == ["/name", "/scopes", "/expiresAt"])
            // Beyond year 9999 is not a date we store; it must be a 422, not a crash.
            let farFuture = try await api.call(.post, "/api/v2/api-keys", as: .bearer(admin.token),
                                               json: ["name": "far", "scopes": ["tenant:read"], "expiresAt": "300000-01-01T00:00:00Z"])
            #expect(farFuture.status == 422)
            #expect(farFuture.pointers == ["/expiresAt"])
            #expect(try await api.call(.get, "/healthz").status == 200)

            let key = try await api.createKey(tenant, scopes: ["tenant:read", "members:write"], as: .bearer(admin.token))
            // Keys are made by members: a key minted by a key would outlive its parent's revocation.
            let adminKey = try await api.createKey(tenant, scopes: ["apikeys:write", "tenant:read"], as: .bearer(admin.token))
            let minted = try await api.call(.post, "/api/v2/api-keys", as: .apiKeyHeader(adminKey.key),
                                            json: ["name": "k2", "scopes": ["tenant:read"]])
            #expect(minted.status == 403)

            // A key with members:write alone cannot hand out a role that holds more than it does.
            let inviter = try await api.createKey(tenant, scopes: ["members:write"], as: .bearer(admin.token))
            for role in ["admin", "viewer", "owner"] {
                let invited = try await api.call(.post, "/api/v2/members", as: .apiKeyHeader(inviter.key),
                                                 json: ["email": "\(role)-via-key@y.co", "role": role])
                #expect(invited.status == 403, "a members:write key invited an \(role)")
            }

            // The creator is demoted: the key loses what the new role lacks; removed: the key stops.
            _ = try await api.call(.patch, "/api/v2/members/\(admin.id)", as: tenant.owner, json: ["role": "viewer"])
            #expect(try await api.call(.get, "/api/v2/tenant", as: .apiKeyHeader(key.key)).status == 200)
            #expect(try await api.call(.post, "/api/v2/members", as: .apiKeyHeader(key.key),
                                       json: ["email": "z@y.co", "role": "viewer"]).status == 403)
            _ = try await api.call(.delete, "/api/v2/members/\(admin.id)", as: tenant.owner)
            #expect(try await api.call(.get, "/api/v2/tenant", as: .apiKeyHeader(key.key)).status == 401)
        }
    }
}
