import Foundation
import HTTPTypes
import Hummingbird
import Testing

@Suite struct OperatorAPITests {
    @Test func operatorCreatesListsSuspendsAndDeletesTenants() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("op")
            // Page through the whole list: other tests create tenants too.
            var cursor: String? = nil
            var slugs: [String] = []
            repeat {
                let page = try await api.call(.get, "/api/v2/operator/tenants?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                              as: .operator)
                try #require(page.status == 200, "\(page.text)")
                #expect(page.items.count <= 2)
                slugs += page.items.compactMap { $0["slug"] as? String }
                cursor = page.string("nextCursor")
            } while cursor != nil
            #expect(slugs.contains(tenant.slug))
            #expect(slugs.count == Set(slugs).count, "a tenant appeared on two pages")

            let fetched = try await api.call(.get, "/api/v2/operator/tenants/\(tenant.id)", as: .operator)
            #expect(fetched.string("slug") == tenant.slug)
            #expect(fetched.string("status") == "active")

            let suspended = try await api.call(.patch, "/api/v2/operator/tenants/\(tenant.id)", as: .operator,
                                               json: ["status": "suspended", "plan": "enterprise"])
            #expect(suspended.status == 200)
            #expect(suspended.string("plan") == "enterprise")
            let blocked = try await api.call(.get, "/api/v2/tenant", as: tenant.owner)
            #expect(blocked.status == 403)
            #expect(blocked.problemCode == "tenant-suspended")
            let loginWhileSuspended = try await api.call(
                .post, "/api/v2/auth/login",
                json: ["tenant": tenant.slug, "email": tenant.ownerEmail, "password": tenant.password]
            )
            #expect(loginWhileSuspended.status == 403)

            _ = try await api.call(.patch, "/api/v2/operator/tenants/\(tenant.id)", as: .operator, json: ["status": "active"])
            #expect(try await api.call(.get, "/api/v2/tenant", as: tenant.owner).status == 200)

            #expect(try await api.call(.delete, "/api/v2/operator/tenants/\(tenant.id)", as: .operator).status == 204)
            #expect(try await api.call(.get, "/api/v2/operator/tenants/\(tenant.id)", as: .operator).status == 404)
            #expect(try await api.call(.get, "/api/v2/tenant", as: tenant.owner).status == 401)
            let relogin = try await api.call(
                .post, "/api/v2/auth/login",
                json: ["tenant": tenant.slug, "email": tenant.ownerEmail, "password": tenant.password]
            )
            #expect(relogin.status == 401)
        }
    }

    @Test func ownerWithoutPasswordIsInvited() async throws {
        try await Harness.withAPI { api in
            let slug = API.uniqueSlug("inv")
            let created = try await api.call(.post, "/api/v2/operator/tenants", as: .operator,
                                             json: ["slug": slug, "name": "Invited", "owner": ["email": "boss@\(slug).example"]])
            #expect(created.status == 201)
            let token = try #require(created.string("invitationToken"))
            #expect((created.json["owner"] as? [String: Any])?["status"] as? String == "invited")
            let accepted = try await api.call(.post, "/api/v2/auth/invitations/accept",
                                              json: ["token": token, "password": "the-boss-password-1"])
            #expect(accepted.status == 200)
            let me = try await api.call(.get, "/api/v2/me", as: .bearer(try #require(accepted.string("accessToken"))))
            #expect((me.json["member"] as? [String: Any])?["role"] as? String == "owner")
            let again = try await api.call(.post, "/api/v2/auth/invitations/accept",
                                           json: ["token": token, "password": "the-boss-password-2"])
            #expect(again.status == 401)
        }
    }

    @Test func operatorRoutesNeedTheOperatorToken() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("guard")
            for credential in [Credential.none, .bearer("wrong"), tenant.owner] {
                let response = try await api.call(.get, "/api/v2/operator/tenants", as: credential)
                #expect(response.status == 401)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test func badTenantRequestsGetEveryFieldError() async throws {
        try await Harness.withAPI { api in
            let bad = try await api.call(.post, "/api/v2/operator/tenants", as: .operator,
                                         json: ["slug": "Not A Slug!", "plan": "gold", "owner": ["email": "x", "password": "short"], "color": "red"])
            #expect(bad.status == 422)
            #expect(bad.pointers == ["/slug", "/name", "/plan", "/owner/email", "/owner/password", "/color"])
            let tenant = try await api.createTenant("dup")
            let duplicate = try await api.call(.post, "/api/v2/operator/tenants", as: .operator,
                                               json: ["slug": tenant.slug, "name": "Again", "owner": ["email": "a@b.co"]])
            #expect(duplicate.status == 409)
            #expect(duplicate.problemCode == "slug-taken")
            let badList = try await api.call(.get, "/api/v2/operator/tenants?limit=0&cursor=zzz", as: .operator)
            #expect(badList.status == 422)
            #expect(badList.pointers == ["/limit", "/cursor"])
            #expect(try await api.call(.get, "/api/v2/operator/tenants/not-a-uuid", as: .operator).status == 404)
        }
    }
}
