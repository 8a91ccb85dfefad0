import Foundation
import HTTPTypes
import Hummingbird
import Testing

@Suite struct ServingTests {
    @Test func errorsAreProblemDocumentsWithRequestIDs() async throws {
        try await Harness.withAPI { api in
            let notFound = try await api.call(.get, "/api/v2/does-not-exist")
            #expect(notFound.status == 404)
            #expect(notFound.headers[.contentType] == "application/problem+json")
            #expect(notFound.string("requestId") == notFound.headers[.init("X-Request-Id")!])

            let echoed = try await api.call(.get, "/healthz", headers: [.init("X-Request-Id")!: "abc-123"])
            #expect(echoed.headers[.init("X-Request-Id")!] == "abc-123")
            let unsafe = try await api.call(.get, "/healthz", headers: [.init("X-Request-Id")!: "<script>"])
            #expect(unsafe.headers[.init("X-Request-Id")!] != "<script>")

            let malformed = try await api.call(.post, "/api/v2/auth/login", raw: "{not json")
            #expect(malformed.status == 400)
            #expect(malformed.problemCode == "malformed-body")

            let invalid = try await api.call(.post, "/api/v2/auth/login", json: ["tenant": 5, "email": "nope"])
            #expect(invalid.status == 422)
            #expect(invalid.pointers == ["/tenant", "/email", "/password"])

            let tooLarge = try await api.call(.post, "/api/v2/auth/login",
                                              raw: "{\"tenant\":\"" + String(repeating: "a", count: 70 * 1024) + "\"}")
            #expect(tooLarge.status == 413)
            #expect(tooLarge.problemCode == "payload-too-large")
        }
    }

    @Test func hostileStringsAreRefusedNotCrashedOn() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("hostile")
            // NUL: PostgreSQL refuses it, and bcrypt would stop reading a password at it.
            let nul = try await api.call(.post, "/api/v2/auth/login",
                                         json: ["tenant": "a\u{0}b", "email": "a\u{0}@b.co", "password": "x\u{0}y"])
            #expect(nul.status == 422)
            #expect(nul.pointers == ["/tenant", "/email", "/password"])
            // 150 characters to Swift, 300 code points to PostgreSQL: the limit counts code points.
            let combining = String(repeating: "e\u{301}", count: 150)
            let renamed = try await api.call(.patch, "/api/v2/tenant", as: tenant.owner, json: ["name": combining])
            #expect(renamed.status == 422)
            let slug = try await api.call(.post, "/api/v2/operator/tenants", as: .operator,
                                          json: ["slug": "a\u{20DD}", "name": "x", "owner": ["email": "a@b.co"]])
            #expect(slug.status == 422)
            #expect(slug.pointers == ["/slug"])
            let invited = try await api.call(.post, "/api/v2/members", as: tenant.owner,
                                             json: ["email": "nul@y.co", "role": "viewer"])
            let token = try #require(invited.string("invitationToken"))
            let weak = try await api.call(.post, "/api/v2/auth/invitations/accept",
                                          json: ["token": token, "password": "x\u{0}Abcdefghijklmnop"])
            #expect(weak.status == 422)
        }
    }

    @Test func healthReadinessAndMetrics() async throws {
        try await Harness.withAPI { api in
            #expect(try await api.call(.get, "/healthz").status == 200)
            let ready = try await api.call(.get, "/readyz")
            #expect(ready.status == 200)
            #expect(ready.json["checks"] as? [String: String] == ["postgres": "ok", "redis": "ok"])
            let metrics = try await api.call(.get, "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
        }
    }

    @Test func readinessFailsWhenRedisIsDown() async throws {
        try await Harness.withAPI(try Harness.configuration(redisPort: 1)) { api in
            let ready = try await api.call(.get, "/readyz")
            #expect(ready.status == 503)
            #expect((ready.json["checks"] as? [String: String])?["redis"] == "unreachable")
            #expect(try await api.call(.get, "/healthz").status == 200)
        }
    }
}
