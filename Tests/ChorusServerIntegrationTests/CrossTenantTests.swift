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
    static func body(for entry: RouteEntry, victim: Party? = nil) -> [String: any Sendable]? {
        switch (entry.method, entry.path) {
        case ("PATCH", "/api/v2/members/{memberId}"): ["role": "viewer", "displayName": "hijacked"]
        case ("PATCH", "/api/v2/tenant"): ["name": "hijacked"]
        case ("POST", "/api/v2/members"): ["email": "intruder-\(UUID().uuidString.prefix(6))@example.com", "role": "viewer"]
        case ("POST", "/api/v2/api-keys"): ["name": "intruder", "scopes": ["tenant:read"]]
        case ("PUT", "/api/v2/pii/recognizers/{recognizerId}"), ("POST", "/api/v2/pii/recognizers"):
            ["name": "intruder", "entity": "intruder", "patterns": ["INTRUDER-\\d+"]]
        case ("POST", "/api/v2/pii/analyze"), ("POST", "/api/v2/pii/unmask"): ["text": "hello"]
        case ("POST", "/api/v2/flows"): ["id": "intruder"]
        case ("PUT", "/api/v2/flows/{flowId}/draft"): ["id": victim?.flowID ?? "intruder"]
        case ("POST", "/api/v2/flows/{flowId}/versions"): ["message": "intruder"]
        case ("POST", "/api/v2/flows/{flowId}/rollback"): ["version": 1]
        case ("POST", "/api/v2/flows/{flowId}/experiments"):
            ["name": "intruder", "arms": [["version": 1, "weight": 1], ["version": 2, "weight": 1]]]
        case ("POST", "/api/v2/flows/{flowId}/simulate"): ["script": [["say": "hello"]]]
        case ("PUT", "/api/v2/flow-bindings/{channel}"): ["entryFlow": victim?.flowID ?? "intruder"]
        // A route may only name the caller's own providers.
        case ("PUT", "/api/v2/llm/routes/{route}"):
            ["targets": [["id": "intruder", "provider": victim?.provider ?? "intruder", "model": "m"]]]
        case ("POST", "/api/v2/llm/routes/{route}/test"): ["message": "hello"]
        case ("POST", "/api/v2/llm/chat/completions"):
            ["model": victim?.route ?? "intruder", "messages": [["role": "user", "content": "hello"]]]
        case ("PUT", _): [:]
        case ("POST", _), ("PATCH", _): [:]
        default: nil
        }
    }

    @Test func noRouteLetsOneTenantTouchAnother() async throws {
        let configuration = try Harness.configuration()
        let services = try await AppServices(configuration: configuration, logger: Harness.logger)
        let (_, catalog) = buildRouter(services: services, registry: PrometheusCollectorRegistry())
        try await Harness.withAPI(configuration) { api in
            let a = try await Party.make(api, "xa")
            let b = try await Party.make(api, "xb")
            for (attacker, victim) in [(a, b), (b, a)] {
                let before = try await victim.snapshot(api)
                try await Self.attack(api, catalog: catalog, from: attacker, against: victim)
                let after = try await victim.snapshot(api)
                #expect(after == before, "the attacked tenant changed: \(Set(after).symmetricDifference(before).sorted())")
                #expect(try await api.call(.get, "/api/v2/tenant", as: .apiKeyHeader(victim.key.key)).status == 200)
                #expect(try await api.call(.get, "/api/v2/me", as: .bearer(victim.editor.token)).status == 200)
            }
        }
    }

    /// A tenant with an admin, an editor, an invited member and an API key.
    struct Party: Sendable {
        var tenant: TenantFixture
        var admin: (id: String, token: String)
        var editor: (id: String, token: String)
        var invitedID: String
        var key: (id: String, key: String)
        var recognizerID: String
        var flowID: String
        var experimentID: String
        var channel: String
        var provider: String
        var route: String
        var prompt: String

        static func make(_ api: API, _ prefix: String) async throws -> Party {
            let tenant = try await api.createTenant(prefix)
            let admin = try await api.addMember(to: tenant, role: "admin")
            let editor = try await api.addMember(to: tenant, role: "editor")
            let invited = try await api.call(.post, "/api/v2/members", as: tenant.owner,
                                             json: ["email": "pending@\(tenant.slug).example", "role": "viewer"])
            let invitedID = try #require((invited.json["member"] as? [String: Any])?["id"] as? String)
            let key = try await api.createKey(
                tenant, scopes: ["tenant:read", "tenant:write", "members:read", "members:write", "members:owners",
                                 "apikeys:read", "apikeys:write", "pii:read", "pii:write", "pii:unmask", "flows:read",
                                 "flows:write", "flows:publish", "models:read", "models:write", "models:use"]
            )
            let recognizer = try await api.call(
                .post, "/api/v2/pii/recognizers", as: tenant.owner,
                json: ["name": "employees-\(tenant.slug)", "entity": "employee_id", "patterns": [#"EMP-\d{6}"#]]
            )
            let recognizerID = try #require(recognizer.string("id"), "create recognizer: \(recognizer.text)")
            let flowID = "welcome-\(tenant.slug)"
            let flow = try await api.call(.post, "/api/v2/flows", as: tenant.owner, raw: FlowAPITests.greeting(flowID))
            try #require(flow.status == 201, "create flow: \(flow.text)")
            for message in ["one", "two"] {
                let published = try await api.call(.post, "/api/v2/flows/\(flowID)/versions", as: tenant.owner,
                                                   json: ["message": message])
                try #require(published.status == 201, "publish: \(published.text)")
            }
            let experiment = try await api.call(
                .post, "/api/v2/flows/\(flowID)/experiments", as: tenant.owner,
                json: ["name": "split", "arms": [["version": 1, "weight": 1], ["version": 2, "weight": 1]]]
            )
            let experimentID = try #require(experiment.string("id"), "start experiment: \(experiment.text)")
            let channel = "web-\(tenant.slug)"
            let binding = try await api.call(.put, "/api/v2/flow-bindings/\(channel)", as: tenant.owner,
                                             json: ["entryFlow": flowID, "triggers": [["keyword": "hi", "flow": flowID]]])
            try #require(binding.status == 200, "bind: \(binding.text)")
            let provider = "prov-\(tenant.slug)"
            let added = try await api.call(.put, "/api/v2/llm/providers/\(provider)", as: tenant.owner, json: [
                "kind": "openai-compatible", "baseUrl": "http://127.0.0.1:9/v1", "apiKey": "sk-victim-\(tenant.slug)",
            ])
            try #require(added.status == 201, "add provider: \(added.text)")
            let route = "route-\(tenant.slug)"
            let saved = try await api.call(.put, "/api/v2/llm/routes/\(route)", as: tenant.owner, json: [
                "targets": [["id": "only", "provider": provider, "model": "m"]], "lastResort": "secret-\(tenant.slug)",
            ])
            try #require(saved.status == 201, "save route: \(saved.text)")
            let prompt = "prompt-\(tenant.slug)"
            let written = try await api.call(.post, "/api/v2/prompts/\(prompt)/versions", as: tenant.owner, json: [
                "message": "first", "template": ["system": "You help \(tenant.slug)."],
            ])
            try #require(written.status == 201, "save prompt: \(written.text)")
            let budget = try await api.call(.put, "/api/v2/llm/budgets", as: tenant.owner, json: [
                "tenant": ["softLimitMicros": 1_000_000, "hardLimitMicros": 2_000_000],
            ])
            try #require(budget.status == 200, "set budget: \(budget.text)")
            return Party(tenant: tenant, admin: admin, editor: editor, invitedID: invitedID, key: key,
                         recognizerID: recognizerID, flowID: flowID, experimentID: experimentID, channel: channel,
                         provider: provider, route: route, prompt: prompt)
        }

        var secrets: [String] {
            [tenant.id, tenant.slug, tenant.ownerID, admin.id, editor.id, invitedID, key.id, tenant.ownerEmail,
             recognizerID, "employees-\(tenant.slug)", flowID, experimentID, channel, "sk-victim-\(tenant.slug)",
             "secret-\(tenant.slug)", "You help \(tenant.slug)."]
        }

        /// The tenant's visible state: its name and status, every member and every API key.
        func snapshot(_ api: API) async throws -> [String] {
            let current = try await api.call(.get, "/api/v2/tenant", as: tenant.owner)
            var lines = ["tenant \(current.string("name") ?? "") \(current.string("status") ?? "")"]
            for member in try await api.call(.get, "/api/v2/members", as: tenant.owner).items {
                lines.append("member \(member["id"] ?? "") \(member["role"] ?? "") \(member["status"] ?? "") \(member["displayName"] ?? "")")
            }
            for key in try await api.call(.get, "/api/v2/api-keys", as: tenant.owner).items {
                lines.append("key \(key["id"] ?? "") \(key["status"] ?? "") \(key["scopes"] ?? "")")
            }
            for recognizer in try await api.call(.get, "/api/v2/pii/recognizers", as: tenant.owner).items {
                lines.append("recognizer \(recognizer["id"] ?? "") \(recognizer["name"] ?? "") \(recognizer["patterns"] ?? "")")
            }
            for flow in try await api.call(.get, "/api/v2/flows", as: tenant.owner).items {
                lines.append("flow \(flow["id"] ?? "") \(flow["name"] ?? "") \(flow["liveVersion"] ?? "") \(flow["latestVersion"] ?? "") \(flow["runningExperimentId"] ?? "") \(flow["draftUpdatedAt"] ?? "")")
            }
            for binding in try await api.call(.get, "/api/v2/flow-bindings", as: tenant.owner).items {
                // Dictionaries print their keys in no fixed order: each trigger is written out by hand.
                let triggers = (binding["triggers"] as? [[String: Any]] ?? []).map { "\($0["keyword"] ?? "")→\($0["flow"] ?? "")" }
                lines.append("binding \(binding["channel"] ?? "") \(binding["entryFlow"] ?? "") \(triggers) \(binding["updatedAt"] ?? "")")
            }
            for provider in try await api.call(.get, "/api/v2/llm/providers", as: tenant.owner).items {
                lines.append("provider \(provider["name"] ?? "") \(provider["baseUrl"] ?? "") \(provider["keyLast4"] ?? "") \(provider["updatedAt"] ?? "")")
            }
            for route in try await api.call(.get, "/api/v2/llm/routes", as: tenant.owner).items {
                lines.append("route \(route["name"] ?? "") \(route["revision"] ?? "")")
            }
            for prompt in try await api.call(.get, "/api/v2/prompts", as: tenant.owner).items {
                lines.append("prompt \(prompt["name"] ?? "") \(prompt["version"] ?? "")")
            }
            let budgets = try await api.call(.get, "/api/v2/llm/budgets", as: tenant.owner)
            let own = budgets.json["tenant"] as? [String: Any]
            lines.append("budget \(own?["softLimitMicros"] ?? "") \(own?["hardLimitMicros"] ?? "") \(budgets.json["spentMicros"] ?? "")")
            let settings = try await api.call(.get, "/api/v2/llm/settings", as: tenant.owner)
            lines.append("settings \(settings.text)")
            #expect(lines.count >= 8)
            return lines.sorted()
        }
    }

    /// `attacker`'s admin and API key call every route with `victim`'s resource ids.
    static func attack(_ api: API, catalog: [RouteEntry], from attacker: Party, against victim: Party) async throws {
        var checked = 0
        let credentials = [Credential.bearer(attacker.admin.token), .apiKeyHeader(attacker.key.key)]
        for entry in catalog {
            let method = try #require(HTTPRequest.Method(rawValue: entry.method))
            guard case .tenant = entry.access else {
                if entry.access == .operator {
                    let path = entry.path.replacingOccurrences(of: "{tenantId}", with: victim.tenant.id)
                    for credential in credentials {
                        let response = try await api.call(method, path, as: credential, json: Self.body(for: entry))
                        #expect(response.status == 401, "\(entry.method) \(path) as a tenant: \(response.status)")
                    }
                }
                continue
            }
            let targets =
                entry.path.contains("{memberId}")
                ? [victim.editor.id, victim.invitedID, victim.tenant.ownerID, victim.admin.id] : [""]
            for target in targets {
                let path = entry.path
                    .replacingOccurrences(of: "{memberId}", with: target)
                    .replacingOccurrences(of: "{keyId}", with: victim.key.id)
                    .replacingOccurrences(of: "{recognizerId}", with: victim.recognizerID)
                    .replacingOccurrences(of: "{flowId}", with: victim.flowID)
                    .replacingOccurrences(of: "{version}", with: "1")
                    .replacingOccurrences(of: "{experimentId}", with: victim.experimentID)
                    .replacingOccurrences(of: "{channel}", with: victim.channel)
                    .replacingOccurrences(of: "{provider}", with: victim.provider)
                    .replacingOccurrences(of: "{route}", with: victim.route)
                    .replacingOccurrences(of: "{prompt}", with: victim.prompt)
                // A binding is keyed by a channel name each tenant picks, so a PUT there sets the caller's own
                // binding: what must fail is naming the other tenant's flow in it.
                // Providers, routes and prompts are named by each tenant too: a write under the other tenant's name is
                // the caller's own, and is refused here only because its body is empty or names the other tenant's
                // provider.
                let ownNames = ["PUT /api/v2/llm/providers/{provider}", "PUT /api/v2/llm/routes/{route}",
                                "POST /api/v2/prompts/{prompt}/versions"]
                let refusals = entry.method == "PUT" && entry.path == "/api/v2/flow-bindings/{channel}"
                    || ownNames.contains("\(entry.method) \(entry.path)") ? [422] : [403, 404]
                for credential in credentials {
                    let response = try await api.call(method, path, as: credential, json: Self.body(for: entry, victim: victim))
                    checked += 1
                    #expect(response.status != 500, "\(entry.method) \(path): 500 \(response.text)")
                    if entry.path.contains("{") {
                        #expect(refusals.contains(response.status),
                                "\(entry.method) \(path) against the other tenant answered \(response.status): \(response.text)")
                    }
                    for secret in victim.secrets {
                        #expect(!response.text.contains(secret), "\(entry.method) \(path) revealed \(secret)")
                    }
                }
            }
        }
        #expect(checked >= 30)
    }
}
