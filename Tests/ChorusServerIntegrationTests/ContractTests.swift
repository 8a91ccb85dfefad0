import Foundation
import HTTPTypes
import Hummingbird
import Prometheus
import Testing
import Yams

@testable import ChorusServer

/// docs/openapi.yaml and the router describe the same API: the same routes, each with the same access.
@Suite struct ContractTests {
    static var documentURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
    }

    @Test func openAPIDocumentMatchesTheRouter() async throws {
        let text = try String(contentsOf: Self.documentURL, encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: Any])
        var documented: Set<String> = []
        for (path, item) in paths {
            for (method, operation) in (item as? [String: Any]) ?? [:]
            where ["get", "put", "post", "patch", "delete", "head", "options"].contains(method) {
                let access = ((operation as? [String: Any])?["x-chorus-access"] as? String) ?? "(none)"
                documented.insert("\(method.uppercased()) \(path) \(access)")
            }
        }

        let services = try await AppServices(configuration: try Harness.configuration(), logger: Harness.logger)
        let (router, catalog) = buildRouter(services: services, registry: PrometheusCollectorRegistry())
        let registered = Set(catalog.map { "\($0.method) \($0.path) \($0.access)" })
        #expect(catalog.count == registered.count, "a route is registered twice")

        let undocumented = registered.subtracting(documented).sorted()
        let unimplemented = documented.subtracting(registered).sorted()
        #expect(undocumented.isEmpty, "routes missing from docs/openapi.yaml (or with another x-chorus-access): \(undocumented)")
        #expect(unimplemented.isEmpty, "docs/openapi.yaml describes routes the server lacks: \(unimplemented)")

        // Nothing reaches the router except through the catalog, so no route escapes its access check.
        let routed = Set(router.routes.map { route -> String in
            let path = route.path.description.hasPrefix("/") ? route.path.description : "/" + route.path.description
            return "\(route.method.rawValue) \(path)"
        })
        #expect(routed == Set(catalog.map { "\($0.method) \($0.path)" }))
    }
}
