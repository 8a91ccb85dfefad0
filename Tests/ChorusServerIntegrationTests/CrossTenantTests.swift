import Foundation
import HTTPTypes
import Hummingbird
import Prometheus
import Testing

@testable import ChorusServer

/// Every tenant route, called by tenant A against tenant B's resources, discovered from the route catalog so a
/// route added later is covered without editing this test.
@Suite struct CrossTenantTests {
    /// A plausible body for each route, so a refusal cannot be blamed on validation.
    static func body(for entry: RouteEntry) -> [String: any Sendable]? {
        switch (entry.method, entry.path) {
        case ("PATCH", "/api/v2/members/{memberId}"): ["role": "viewer", "displayName": "hijacked"]
        case ("PATCH", "/api/v2/tenant"): ["name": "hijacked"]
        case ("POST", "/api/v2/members"): ["email": "intruder-\(UUID().uuidString.prefix(6))@example.com", "role": "viewer"]
        case ("POST", "/api/v2/api-keys"): ["name": "intruder", "scopes": ["tenant:read"]]
        case ("POST", _), ("PATCH", _): [:]
        default: nil
        }
    }

    @Test func noRouteLetsOneTenantTouchAnother() async throws {
        let configuration = try Harness.configuration()
        let services = try await AppServices(configuration: configuration, logger: Harness.logger)
        let (_, catalog) = buildRouter(services: services, registry: PrometheusCollectorRegistry())
        try await Harness.withAPI(configuration) { api in
            let a = try await api.createTenant("xa")
            let b = try await api.createTenant("xb")
            let aKey = try await api.createKey(a, scopes: Array(Set(["tenant:read", "tenant:write", "members:read", "members:write", "members:owners", "apikeys:read", "apikeys:write"])))
            let bMember = try await api.addMember(to: b, role: "editor")
            let bInvited = try await api.call(.post, "/api/v2/members", as: b.owner, json: ["email": "pending@xb.example", "role": "viewer"])
            let bInvitedID = try #require((bInvited.json["member"] as? [String: Any])?["id"] as? String)
            let bKey = try await api.createKey(b, scopes: ["tenant:read"])
            let secretsOfB = [b.id, b.slug, b.ownerID, bMember.id, bInvitedID, bKey.id, b.ownerEmail]

            var checked = 0
            for entry in catalog {
                guard case .tenant = entry.access else {
                    if entry.access == .operator {
                        let path = entry.path.replacingOccurrences(of: "{tenantId}", with: b.id)
                        for credential in [a.owner, Credential.apiKeyHeader(aKey.key)] {
                            let response = try await api.call(.init(rawValue: entry.method)!, path, as: credential,
                                                              json: Self.body(for: entry))
                            #expect(response.status == 401, "\(entry.method) \(path) as tenant A: \(response.status)")
                        }
                    }
                    continue
                }
                let targets = entry.path.contains("{memberId}") ? [bMember.id, bInvitedID, b.ownerID] : [""]
                for target in targets {
                    let path = entry.path
                        .replacingOccurrences(of: "{memberId}", with: target)
                        .replacingOccurrences(of: "{keyId}", with: bKey.id)
                    for credential in [a.owner, Credential.apiKeyHeader(aKey.key)] {
                        let response = try await api.call(.init(rawValue: entry.method)!, path, as: credential,
                                                          json: Self.body(for: entry))
                        checked += 1
                        #expect(response.status != 500, "\(entry.method) \(path): 500 \(response.text)")
                        if entry.path.contains("{") {
                            #expect([403, 404].contains(response.status),
                                    "\(entry.method) \(path) against B answered \(response.status): \(response.text)")
                        }
                        for secret in secretsOfB {
                            #expect(!response.text.contains(secret), "\(entry.method) \(path) revealed \(secret)")
                        }
                    }
                }
            }
            #expect(checked >= 20)

            // B is exactly as it was.
            let tenant = try await api.call(.get, "/api/v2/tenant", as: b.owner)
            #expect(tenant.string("name") == "Tenant \(b.slug)")
            let members = try await api.call(.get, "/api/v2/members", as: b.owner).items
            #expect(Set(members.compactMap { $0["id"] as? String }) == [b.ownerID, bMember.id, bInvitedID])
            #expect(members.first { $0["id"] as? String == bMember.id }?["role"] as? String == "editor")
            #expect(try await api.call(.get, "/api/v2/tenant", as: .apiKeyHeader(bKey.key)).status == 200)
            #expect(try await api.call(.get, "/api/v2/me", as: .bearer(bMember.token)).status == 200)
        }
    }
}
