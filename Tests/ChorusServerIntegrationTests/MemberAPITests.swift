import Foundation
import HTTPTypes
import Hummingbird
import Testing

@Suite struct MemberAPITests {
    @Test func rolesDecideWhatMembersMayDo() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("roles")
            let admin = try await api.addMember(to: tenant, role: "admin")
            let viewer = try await api.addMember(to: tenant, role: "viewer")

            #expect(try await api.call(.get, "/api/v2/members", as: .bearer(viewer.token)).status == 200)
            let denied = try await api.call(.post, "/api/v2/members", as: .bearer(viewer.token),
                                            json: ["email": "x@y.co", "role": "viewer"])
            #expect(denied.status == 403)
            #expect(denied.problemCode == "forbidden")
            #expect(try await api.call(.post, "/api/v2/api-keys", as: .bearer(viewer.token),
                                       json: ["name": "k", "scopes": ["tenant:read"]]).status == 403)

            // Admins manage members but not owners.
            let editor = try await api.addMember(to: tenant, role: "editor", as: .bearer(admin.token))
            #expect(try await api.call(.post, "/api/v2/members", as: .bearer(admin.token),
                                       json: ["email": "o2@y.co", "role": "owner"]).status == 403)
            #expect(try await api.call(.patch, "/api/v2/members/\(editor.id)", as: .bearer(admin.token),
                                       json: ["role": "owner"]).status == 403)
            #expect(try await api.call(.delete, "/api/v2/members/\(tenant.ownerID)", as: .bearer(admin.token)).status == 403)
            #expect(try await api.call(.patch, "/api/v2/members/\(admin.id)", as: .bearer(admin.token),
                                       json: ["role": "viewer"]).status == 403)

            // A demotion takes effect on the next request, even with a token issued before it.
            let demoted = try await api.call(.patch, "/api/v2/members/\(admin.id)", as: tenant.owner, json: ["role": "viewer"])
            #expect(demoted.string("role") == "viewer")
            #expect(try await api.call(.post, "/api/v2/members", as: .bearer(admin.token),
                                       json: ["email": "late@y.co", "role": "viewer"]).status == 403)

            // A removed member's token stops working at once.
            #expect(try await api.call(.delete, "/api/v2/members/\(viewer.id)", as: tenant.owner).status == 204)
            #expect(try await api.call(.get, "/api/v2/members", as: .bearer(viewer.token)).status == 401)
            #expect(try await api.call(.delete, "/api/v2/members/\(viewer.id)", as: tenant.owner).status == 404)
        }
    }

    @Test func aTenantAlwaysKeepsAnOwner() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("owner")
            let lastOwner = try await api.call(.patch, "/api/v2/members/\(tenant.ownerID)", as: tenant.owner,
                                               json: ["role": "admin"])
            #expect(lastOwner.status == 409)
            #expect(lastOwner.problemCode == "last-owner")
            #expect(try await api.call(.delete, "/api/v2/members/\(tenant.ownerID)", as: tenant.owner).status == 409)

            let second = try await api.addMember(to: tenant, role: "admin")
            #expect(try await api.call(.patch, "/api/v2/members/\(second.id)", as: tenant.owner,
                                       json: ["role": "owner"]).status == 200)
            #expect(try await api.call(.patch, "/api/v2/members/\(tenant.ownerID)", as: tenant.owner,
                                       json: ["role": "admin"]).status == 200)
            let members = try await api.call(.get, "/api/v2/members", as: .bearer(second.token)).items
            #expect(members.filter { $0["role"] as? String == "owner" }.count == 1)
        }
    }

    @Test func invitationsAreSingleUseAndValidated() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("invite")
            let invited = try await api.call(.post, "/api/v2/members", as: tenant.owner,
                                             json: ["email": "New@Example.com", "role": "agent"])
            #expect(invited.status == 201)
            #expect((invited.json["member"] as? [String: Any])?["email"] as? String == "new@example.com")
            let duplicate = try await api.call(.post, "/api/v2/members", as: tenant.owner,
                                               json: ["email": "new@example.com", "role": "viewer"])
            #expect(duplicate.status == 409)
            let memberID = try #require((invited.json["member"] as? [String: Any])?["id"] as? String)
            let renewed = try await api.call(.post, "/api/v2/members/\(memberID)/invitation", as: tenant.owner)
            #expect(renewed.status == 201)
            let oldToken = try #require(invited.string("invitationToken"))
            let newToken = try #require(renewed.string("invitationToken"))
            #expect(try await api.call(.post, "/api/v2/auth/invitations/accept",
                                       json: ["token": oldToken, "password": "agent-password-123"]).status == 401)
            let weak = try await api.call(.post, "/api/v2/auth/invitations/accept", json: ["token": newToken, "password": "short"])
            #expect(weak.status == 422)
            #expect(weak.pointers == ["/password"])
            #expect(try await api.call(.post, "/api/v2/auth/invitations/accept",
                                       json: ["token": newToken, "password": "agent-password-123"]).status == 200)
            #expect(try await api.call(.post, "/api/v2/members/\(memberID)/invitation", as: tenant.owner).status == 409)
            let login = try await api.login(tenant.slug, "new@example.com", "agent-password-123")
            #expect(login.string("tokenType") == "Bearer")
        }
    }
}
