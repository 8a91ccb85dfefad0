import ChorusCore
import Foundation
import Hummingbird
import Hiredis
import Prometheus
import Storage

/// Liveness, readiness and Prometheus metrics.
struct HealthController {
    let registry: PrometheusCollectorRegistry

    struct Readiness: Codable, Sendable {
        var status: String
        var checks: [String: String]
    }

    func register(on api: APIRoutes) {
        api.add(.get, "/healthz", .anonymous) { _ in try .json(["status": "ok"]) }
        api.add(.get, "/readyz", .anonymous, ready)
        let registry = self.registry
        api.add(.get, "/metrics", .anonymous) { _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(4096)
            registry.emit(into: &buffer)
            return Reply(
                status: .ok,
                body: Data(buffer),
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"]
            )
        }
    }

    /// Ready when PostgreSQL and Redis both answer.
    @Sendable func ready(_ scope: Scope) async throws -> Reply {
        async let postgres = scope.services.database.ping()
        async let redis = scope.services.redis.ping()
        let checks = ["postgres": await postgres ? "ok" : "unreachable", "redis": await redis ? "ok" : "unreachable"]
        let ready = checks.values.allSatisfy { $0 == "ok" }
        var reply = try Reply.json(Readiness(status: ready ? "ready" : "not-ready", checks: checks),
                                   status: ready ? .ok : .serviceUnavailable)
        if !ready { reply.headers[.retryAfter] = "5" }
        return reply
    }
}
