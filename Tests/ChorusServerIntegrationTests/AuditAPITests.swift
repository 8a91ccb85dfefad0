import Foundation
import HTTPTypes
import Hummingbird
import SecurityHub
import Testing

@Suite struct AuditAPITests {
    @Test func everyChangeIsRecordedInAChainThatVerifies() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("audit")
            let invited = try await api.call(.post, "/api/v2/members", as: tenant.owner,
                                             json: ["email": "new@audit.example", "role": "editor"],
                                             headers: [HTTPField.Name("X-Request-Id")!: "audit-req-1"])
            let memberID = try #require((invited.json["member"] as? [String: Any])?["id"] as? String)
            let invitation = try #require(invited.string("invitationToken"))
            _ = try await api.call(.patch, "/api/v2/members/\(memberID)", as: tenant.owner, json: ["role": "viewer"])
            let key = try await api.createKey(tenant, scopes: ["tenant:read"])
            _ = try await api.call(.delete, "/api/v2/api-keys/\(key.id)", as: tenant.owner)
            _ = try await api.call(.patch, "/api/v2/tenant", as: tenant.owner, json: ["name": "Renamed"])
            _ = try await api.call(.patch, "/api/v2/operator/tenants/\(tenant.id)", as: .operator, json: ["plan": "enterprise"])

            let listed = try await api.call(.get, "/api/v2/audit", as: tenant.owner)
            #expect(listed.status == 200)
            let entries = listed.items
            #expect(entries.map { $0["action"] as? String } == [
                "tenant.created", "member.invited", "member.updated", "api_key.created", "api_key.revoked",
                "tenant.renamed", "tenant.updated",
            ])
            #expect(entries.map { $0["seq"] as? Int } == Array(1...7))
            #expect(entries[1]["actorType"] as? String == "member")
            #expect(entries[1]["actorId"] as? String == tenant.ownerID)
            #expect(entries[1]["requestId"] as? String == "audit-req-1")
            #expect(entries[1]["clientAddress"] as? String != nil)
            #expect((entries[2]["summary"] as? [String: String])?["role"] == "editor -> viewer")
            #expect(entries[6]["actorType"] as? String == "operator")
            // No secret ever reaches the log.
            for secret in [key.key, invitation, tenant.password, tenant.refreshToken] {
                #expect(!listed.text.contains(secret))
            }

            let filtered = try await api.call(.get, "/api/v2/audit?action=member.invited", as: tenant.owner)
            #expect(filtered.items.count == 1)
            let page = try await api.call(.get, "/api/v2/audit?limit=2", as: tenant.owner)
            #expect(page.items.count == 2)
            let next = try await api.call(.get, "/api/v2/audit?limit=2&cursor=\(try #require(page.string("nextCursor")))",
                                          as: tenant.owner)
            #expect(next.items.first?["seq"] as? Int == 3)
            #expect(try await api.call(.get, "/api/v2/audit?limit=0&cursor=x", as: tenant.owner).pointers == ["/limit", "/cursor"])

            let verified = try await api.call(.get, "/api/v2/audit/verify", as: tenant.owner)
            #expect(verified.json["valid"] as? Bool == true)
            #expect(verified.json["entries"] as? Int == 7)

            let signed = try await api.call(.get, "/api/v2/audit/checkpoint", as: tenant.owner)
            let checkpoint = try JSONDecoder().decode(AuditCheckpoint.self, from: Data(signed.text.utf8))
            #expect(AuditSigner.isValid(checkpoint))
            #expect(checkpoint.seq == 7)
            #expect(checkpoint.hash == verified.string("headHash"))
            #expect(checkpoint.tenantId == tenant.id)

            // Accepting the invitation is recorded as the new member's own act.
            _ = try await api.call(.post, "/api/v2/auth/invitations/accept",
                                   json: ["token": invitation, "password": "joined-password-123"])
            let last = try await api.call(.get, "/api/v2/audit?cursor=7", as: tenant.owner).items
            #expect(last.map { $0["action"] as? String } == ["member.joined"])
            #expect(last.first?["actorId"] as? String == memberID)
        }
    }

    @Test func readingTheLogNeedsAuditRead() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("auditperm")
            let editor = try await api.addMember(to: tenant, role: "editor")
            for path in ["/api/v2/audit", "/api/v2/audit/verify", "/api/v2/audit/checkpoint"] {
                #expect(try await api.call(.get, path, as: .bearer(editor.token)).status == 403)
            }
            let admin = try await api.addMember(to: tenant, role: "admin")
            #expect(try await api.call(.get, "/api/v2/audit", as: .bearer(admin.token)).status == 200)
        }
    }
}
