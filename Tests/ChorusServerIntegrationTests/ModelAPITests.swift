import Foundation
import HTTPTypes
import HummingbirdTesting
import ModelProviderSimulator
import Testing

@Suite struct ModelAPITests {
    /// An OpenAI-format provider on `simulator`, named `sim`, with a key.
    static func addSimulator(_ api: API, _ tenant: TenantFixture, _ simulator: ProviderSimulator, name: String = "sim") async throws {
        let created = try await api.call(.put, "/api/v2/llm/providers/\(name)", as: tenant.owner, json: [
            "kind": "openai", "baseUrl": simulator.baseURL + "/v1", "apiKey": "sk-test-1234567890abcd",
        ])
        try #require(created.status == 201 || created.status == 200, "\(created.text)")
    }

    static func route(_ targets: [[String: any Sendable]], extra: [String: any Sendable] = [:]) -> [String: any Sendable] {
        var document: [String: any Sendable] = ["targets": targets, "retry": ["attemptsPerTarget": 1, "baseDelaySeconds": 0]]
        for (key, value) in extra { document[key] = value }
        return document
    }

    static func chat(_ text: String = "Hello", stream: Bool = false, model: String) -> [String: any Sendable] {
        var body: [String: any Sendable] = ["model": model, "messages": [["role": "user", "content": text]]]
        if stream { body["stream"] = true; body["stream_options"] = ["include_usage": true] }
        return body
    }

    @Test func providerKeysAreWriteOnlyAndRoutesCheckTheirTargets() async throws {
        try await ProviderSimulator.run { simulator in
            try await Harness.withAPI { api in
                let tenant = try await api.createTenant("llm")
                let created = try await api.call(.put, "/api/v2/llm/providers/sim", as: tenant.owner, json: [
                    "kind": "openai", "baseUrl": simulator.baseURL + "/v1", "apiKey": "sk-secret-abcd1234",
                    "requestsPerMinute": 600,
                ])
                #expect(created.status == 201, "\(created.text)")
                #expect(created.json["hasKey"] as? Bool == true && created.string("keyLast4") == "1234")
                #expect(!created.text.contains("sk-secret"))
                // Without apiKey the key is kept; with null it is removed.
                let kept = try await api.call(.put, "/api/v2/llm/providers/sim", as: tenant.owner, json: [
                    "kind": "openai", "baseUrl": simulator.baseURL + "/v1",
                ])
                #expect(kept.status == 200 && kept.json["hasKey"] as? Bool == true && kept.json["requestsPerMinute"] == nil)
                let listed = try await api.call(.get, "/api/v2/llm/providers", as: tenant.owner)
                #expect(listed.items.count == 1 && !listed.text.contains("sk-secret"))

                let bad = try await api.call(.put, "/api/v2/llm/providers/Bad%20Name", as: tenant.owner, json: ["kind": "openai"])
                #expect(bad.status == 422 && bad.pointers == ["/provider"])
                let badKind = try await api.call(.put, "/api/v2/llm/providers/x", as: tenant.owner, json: [
                    "kind": "skynet", "baseUrl": "ftp://nope", "tokensPerMinute": 0,
                ])
                #expect(badKind.status == 422 && badKind.pointers == ["/kind", "/baseUrl", "/tokensPerMinute"], "\(badKind.text)")
                let azure = try await api.call(.put, "/api/v2/llm/providers/az", as: tenant.owner, json: [
                    "kind": "azure-openai", "baseUrl": "https://example.openai.azure.com",
                ])
                #expect(azure.status == 422 && azure.pointers == ["/apiVersion"])

                // Routes name the tenant's providers; every problem comes back with its pointer.
                let invalid: [String: any Sendable] = [
                    "policy": "fastest",
                    "targets": [["id": "a", "provider": "nobody", "model": "m"], ["id": "b", "provider": "sim"]],
                    "retry": ["attemptsPerTarget": 0],
                ]
                let checked = try await api.call(.post, "/api/v2/llm/routes/validate", as: tenant.owner, json: invalid)
                #expect(checked.status == 200 && checked.json["valid"] as? Bool == false)
                let pointers = Set((checked.json["problems"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String })
                #expect(pointers == ["/policy", "/targets/0/provider", "/targets/1/model", "/retry/attemptsPerTarget"], "\(checked.text)")
                let refused = try await api.call(.put, "/api/v2/llm/routes/support", as: tenant.owner, json: invalid)
                #expect(refused.status == 422 && refused.pointers == pointers)

                let document = Self.route([["id": "mini", "provider": "sim", "model": "gpt-4o-mini",
                                             "timeouts": ["connectSeconds": 1, "firstTokenSeconds": 5, "totalSeconds": 10]]])
                let saved = try await api.call(.put, "/api/v2/llm/routes/support", as: tenant.owner, json: document)
                #expect(saved.status == 201, "\(saved.text)")
                let etag = try #require(saved.headers[.eTag])
                var stale = HTTPFields()
                stale[.ifMatch] = "\"r7\""
                #expect(try await api.call(.put, "/api/v2/llm/routes/support", as: tenant.owner, json: document, headers: stale).status == 412)
                var fresh = HTTPFields()
                fresh[.ifMatch] = etag
                let updated = try await api.call(.put, "/api/v2/llm/routes/support", as: tenant.owner, json: document, headers: fresh)
                #expect(updated.status == 200 && updated.json["revision"] as? Int == 2)
                let fetched = try await api.call(.get, "/api/v2/llm/routes/support", as: tenant.owner)
                #expect((fetched.json["definition"] as? [String: Any])?["targets"] != nil)

                // A provider in use cannot be deleted; editors may read and try routes but not change them.
                #expect(try await api.call(.delete, "/api/v2/llm/providers/sim", as: tenant.owner).status == 409)
                let editor = try await api.addMember(to: tenant, role: "editor")
                #expect(try await api.call(.get, "/api/v2/llm/routes", as: .bearer(editor.token)).status == 200)
                #expect(try await api.call(.put, "/api/v2/llm/routes/x", as: .bearer(editor.token), json: document).status == 403)

                let tried = try await api.call(.post, "/api/v2/llm/routes/support/test", as: .bearer(editor.token), json: ["message": "Hi"])
                #expect(tried.status == 200, "\(tried.text)")
                #expect(tried.string("answer") == "Hello from the simulator." && tried.string("target") == "mini")
                // The key reached the provider, opened from its sealed form.
                #expect(simulator.requests.last?.header("authorization") == "Bearer sk-secret-abcd1234")

                #expect(try await api.call(.delete, "/api/v2/llm/routes/support", as: tenant.owner).status == 204)
                #expect(try await api.call(.delete, "/api/v2/llm/providers/sim", as: tenant.owner).status == 204)
                #expect(try await api.call(.get, "/api/v2/llm/providers/sim", as: tenant.owner).status == 404)
            }
        }
    }

    @Test func theGatewayFallsBackStreamsAndRecordsCost() async throws {
        try await ProviderSimulator.run { simulator in
            try await Harness.withAPI { api in
                let tenant = try await api.createTenant("gw")
                try await Self.addSimulator(api, tenant, simulator)
                // A price of our own: 1 dollar per million input tokens, 3 per million output.
                let price: [String: any Sendable] = [
                    "provider": "openai", "model": "gpt-4o-mini", "inputMicros": 1_000_000, "outputMicros": 3_000_000,
                ]
                let prices = try await api.call(.put, "/api/v2/llm/prices", as: tenant.owner, json: ["items": [price]])
                #expect(prices.status == 200 && prices.items.contains { $0["source"] as? String == "tenant" })
                let saved = try await api.call(.put, "/api/v2/llm/routes/support", as: tenant.owner, json: Self.route([
                    ["id": "first", "provider": "sim", "model": "gpt-4o-mini"],
                    ["id": "second", "provider": "sim", "model": "gpt-4o-mini"],
                ]))
                try #require(saved.status == 201, "\(saved.text)")
                let key = try await api.createKey(tenant, scopes: ["models:use"])

                // The first target fails with 500; the second answers.
                simulator.enqueue(.serverError)
                let answered = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "support"))
                #expect(answered.status == 200, "\(answered.text)")
                let choice = (answered.json["choices"] as? [[String: Any]])?.first
                #expect((choice?["message"] as? [String: Any])?["content"] as? String == "Hello from the simulator.")
                #expect(answered.headers[HTTPField.Name("X-Chorus-Target")!] == "second")

                let streamed = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(stream: true, model: "support"))
                #expect(streamed.status == 200 && streamed.headers[.contentType] == "text/event-stream")
                #expect(streamed.text.hasSuffix("data: [DONE]\n\n") && streamed.text.contains(#""content":"Hello "#))
                #expect(streamed.text.contains(#""prompt_tokens":12"#))

                simulator.enqueue(.breakMidStream(afterChunks: 2))
                let broken = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(stream: true, model: "support"))
                #expect(broken.text.contains(#"data: {"error":"#) && !broken.text.contains("[DONE]"), "\(broken.text)")

                let unknown = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "nope"))
                #expect(unknown.status == 404 && unknown.headers[.contentType] == "application/problem+json")
                #expect((unknown.json["error"] as? [String: Any])?["code"] as? String == "model_not_found")
                let invalid = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: [
                    "model": "support", "messages": [["role": "wizard", "content": "x"]], "temperature": 9,
                ])
                #expect(invalid.status == 400 && invalid.pointers == ["/messages/0/role", "/temperature"], "\(invalid.text)")
                #expect(try await api.call(.post, "/api/v2/llm/chat/completions", json: Self.chat(model: "support")).status == 401)
                let reader = try await api.createKey(tenant, scopes: ["models:read"])
                #expect(try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(reader.key), json: Self.chat(model: "support")).status == 403)

                // Usage is written in batches. Each whole answer cost 12 tokens × 1 µ$ in and 4 × 3 µ$ out = 24 µ$;
                // the broken stream reported no usage and costs nothing.
                var route: [String: Any]?
                var report = ""
                for _ in 0..<50 {
                    let usage = try await api.call(.get, "/api/v2/llm/usage?groupBy=route", as: tenant.owner)
                    report = usage.text
                    route = usage.json["groups"].flatMap { ($0 as? [[String: Any]])?.first { $0["key"] as? String == "support" } }
                    if (route?["calls"] as? Int ?? 0) >= 3 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(route?["calls"] as? Int == 3, "\(report)")
                #expect(route?["costMicros"] as? Int == 48, "\(String(describing: route))")
                #expect(route?["failures"] as? Int == 1 && route?["inputTokens"] as? Int == 24)
            }
        }
    }

    @Test func theOfficialOpenAIClientUsesTheGateway() async throws {
        try await ProviderSimulator.run { simulator in
            try await Harness.withAPI { api in
                let tenant = try await api.createTenant("sdk")
                try await Self.addSimulator(api, tenant, simulator)
                let saved = try await api.call(.put, "/api/v2/llm/routes/assistant", as: tenant.owner, json: Self.route([
                    ["id": "sim", "provider": "sim", "model": "gpt-4o-mini"],
                ]))
                try #require(saved.status == 201, "\(saved.text)")
                let key = try await api.createKey(tenant, scopes: ["models:use"])
                let port = try #require(api.client.port)
                // Whole, streamed, then broken after two words (the router does not retry a stream that has started).
                simulator.enqueue(.answer(SimulatorBehaviour.defaultAnswer), .answer(SimulatorBehaviour.defaultAnswer),
                                  .breakMidStream(afterChunks: 2))
                let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("scripts/llm/openai_client_check.py")
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", script.path, "http://127.0.0.1:\(port)/api/v2/llm", key.key, "assistant",
                                     SimulatorBehaviour.defaultAnswer]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = output
                try process.run()
                let text = String(decoding: try output.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
                process.waitUntilExit()
                #expect(process.terminationStatus == 0, "\(text)")
                #expect(text.contains(" ok"), "\(text)")
            }
        }
    }

    @Test func budgetsRejectOrDowngradeAndRecordTheirEvents() async throws {
        try await ProviderSimulator.run { simulator in
            try await Harness.withAPI { api in
                let tenant = try await api.createTenant("budget")
                try await Self.addSimulator(api, tenant, simulator)
                let price: [String: any Sendable] = [
                    "provider": "openai", "model": "gpt-4o-mini", "inputMicros": 1_000_000, "outputMicros": 3_000_000,
                ]
                #expect(try await api.call(.put, "/api/v2/llm/prices", as: tenant.owner, json: ["items": [price]]).status == 200)
                for name in ["strict", "thrifty"] {
                    let saved = try await api.call(.put, "/api/v2/llm/routes/\(name)", as: tenant.owner, json: Self.route(
                        [["id": "sim", "provider": "sim", "model": "gpt-4o-mini"]],
                        extra: ["downgradeTargets": [["id": "local", "provider": "local"]], "lastResort": "We are busy."]
                    ))
                    try #require(saved.status == 201, "\(saved.text)")
                }
                // Each call costs 24 µ$: the soft limit is reached by the first, the hard one by the second.
                let strict: [String: any Sendable] = ["softLimitMicros": 20, "hardLimitMicros": 48, "hardAction": "reject"]
                let thrifty: [String: any Sendable] = ["hardLimitMicros": 24, "hardAction": "downgrade"]
                let budgets = try await api.call(.put, "/api/v2/llm/budgets", as: tenant.owner,
                                                 json: ["routes": ["strict": strict, "thrifty": thrifty]])
                #expect(budgets.status == 200, "\(budgets.text)")
                let bad: [String: any Sendable] = ["softLimitMicros": 50, "hardLimitMicros": 10, "hardAction": "shrug"]
                let badBudget = try await api.call(.put, "/api/v2/llm/budgets", as: tenant.owner, json: ["routes": ["strict": bad]])
                #expect(badBudget.status == 422 && badBudget.pointers == ["/routes/strict/hardAction"], "\(badBudget.text)")
                let key = try await api.createKey(tenant, scopes: ["models:use"])
                for _ in 0..<2 {
                    let answered = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "strict"))
                    #expect(answered.status == 200, "\(answered.text)")
                }
                let refused = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "strict"))
                #expect(refused.status == 429 && refused.problemCode == "model-limit-reached", "\(refused.text)")
                #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "insufficient_quota")
                #expect(refused.string("detail")?.contains("$0.000048 spent of $0.000048") == true, "\(refused.text)")

                let first = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "thrifty"))
                #expect(first.headers[HTTPField.Name("X-Chorus-Target")!] == "sim")
                let downgraded = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "thrifty"))
                #expect(downgraded.status == 200 && downgraded.headers[HTTPField.Name("X-Chorus-Target")!] == "local", "\(downgraded.text)")

                // The events are written with the usage, in batches.
                var events: [[String: Any]] = []
                for _ in 0..<50 {
                    events = try await api.call(.get, "/api/v2/llm/budgets", as: tenant.owner).json["events"] as? [[String: Any]] ?? []
                    if events.count >= 3 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let seen = Set(events.map { "\($0["scope"] ?? "") \($0["kind"] ?? "")" })
                #expect(seen == ["strict soft_limit_reached", "strict hard_limit_reached", "thrifty hard_limit_reached"], "\(events)")
                let report = try await api.call(.get, "/api/v2/llm/budgets", as: tenant.owner)
                #expect((report.json["routes"] as? [String: Any]).flatMap { ($0["strict"] as? [String: Any])?["spentMicros"] as? Int } == 48)
                #expect(report.json["spentMicros"] as? Int == 72, "\(report.text)")
            }
        }
    }

    @Test func promptsAreVersionedRenderedAndCheckedInFlows() async throws {
        try await Harness.withAPI { api in
            let tenant = try await api.createTenant("prompts")
            let template: [String: any Sendable] = [
                "system": "You answer for {{shop}}.",
                "messages": [["role": "user", "content": "Where is order {{order.id}}? It is {{order.status}}."]],
                "temperature": 0.2,
            ]
            let first = try await api.call(.post, "/api/v2/prompts/order-update/versions", as: tenant.owner,
                                           json: ["message": "first", "template": template])
            #expect(first.status == 201 && first.json["version"] as? Int == 1, "\(first.text)")
            let second = try await api.call(.post, "/api/v2/prompts/order-update/versions", as: tenant.owner,
                                            json: ["message": "second", "template": ["system": "Be brief."]])
            #expect(second.json["version"] as? Int == 2)
            let broken = try await api.call(.post, "/api/v2/prompts/order-update/versions", as: tenant.owner, json: [
                "message": "broken", "template": ["messages": [["role": "user", "content": "{{#order}}"], ["role": "system", "content": "x"]]],
            ])
            #expect(broken.status == 422 && broken.pointers == ["/template/messages/0/content", "/template/messages/1/role"], "\(broken.text)")
            let listed = try await api.call(.get, "/api/v2/prompts", as: tenant.owner)
            #expect(listed.items.count == 1 && listed.items.first?["version"] as? Int == 2)
            let rendered = try await api.call(.post, "/api/v2/prompts/order-update/versions/1/render", as: tenant.owner,
                                              json: ["input": ["shop": "Acme", "order": ["id": "123456", "status": "shipped"]] as [String: any Sendable]])
            #expect(rendered.string("system") == "You answer for Acme.")
            #expect((rendered.json["messages"] as? [[String: Any]])?.first?["content"] as? String == "Where is order 123456? It is shipped.")
            #expect(try await api.call(.get, "/api/v2/prompts/order-update/versions/3", as: tenant.owner).status == 404)
            #expect(try await api.call(.get, "/api/v2/prompts/nothing/versions", as: tenant.owner).status == 404)

            // Flows now name only routes and prompt versions the tenant has.
            let flow = #"""
                {"id": "ask", "start": "answer", "states": {
                  "answer": {"type": "llm", "route": "%ROUTE%", "prompt": "%PROMPT%", "input": {"shop": "Acme"},
                             "output": "reply", "on": {"success": "done", "failure": "done"}},
                  "done": {"type": "end"}}}
                """#
            let unknown = try await api.call(.post, "/api/v2/flows", as: tenant.owner,
                                             raw: flow.replacingOccurrences(of: "%ROUTE%", with: "nope").replacingOccurrences(of: "%PROMPT%", with: "order-update@9"))
            let pointers = Set(FlowAPITests.problems(unknown).compactMap { $0["pointer"] as? String })
            #expect(pointers == ["/states/answer/route", "/states/answer/prompt"], "\(unknown.text)")
            let known = try await api.call(.post, "/api/v2/flows/ask/validate", as: tenant.owner,
                                           raw: flow.replacingOccurrences(of: "%ROUTE%", with: "default").replacingOccurrences(of: "%PROMPT%", with: "order-update@2"))
            #expect(known.json["valid"] as? Bool == true, "\(known.text)")
        }
    }

    @Test func requestAndTokenLimitsPerTenantAndProvider() async throws {
        try await ProviderSimulator.run { simulator in
            try await Harness.withAPI { api in
                let tenant = try await api.createTenant("limits")
                // The provider takes one call a minute; the route falls back to the local provider past it.
                let provider = try await api.call(.put, "/api/v2/llm/providers/sim", as: tenant.owner, json: [
                    "kind": "openai", "baseUrl": simulator.baseURL + "/v1", "apiKey": "sk-test-1234567890abcd",
                    "requestsPerMinute": 1,
                ])
                try #require(provider.status == 201, "\(provider.text)")
                let saved = try await api.call(.put, "/api/v2/llm/routes/support", as: tenant.owner, json: Self.route([
                    ["id": "sim", "provider": "sim", "model": "gpt-4o-mini"], ["id": "local", "provider": "local"],
                ]))
                try #require(saved.status == 201, "\(saved.text)")
                let key = try await api.createKey(tenant, scopes: ["models:use"])
                let first = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "support"))
                #expect(first.headers[HTTPField.Name("X-Chorus-Target")!] == "sim", "\(first.text)")
                let second = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "support"))
                #expect(second.status == 200 && second.headers[HTTPField.Name("X-Chorus-Target")!] == "local", "\(second.text)")

                // The tenant's own limits: three calls a minute, and 20 tokens a minute.
                let settings = try await api.call(.put, "/api/v2/llm/settings", as: tenant.owner, json: [
                    "requestsPerMinute": 3, "tokensPerMinute": 20, "fallbackText": "We are busy.\nTry later.",
                ])
                #expect(settings.status == 200 && settings.string("fallbackText") == "We are busy.\nTry later.")
                let local = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "default"))
                #expect((local.json["choices"] as? [[String: Any]])?.first.flatMap { ($0["message"] as? [String: Any])?["content"] as? String }
                        == "We are busy.\nTry later.", "\(local.text)")
                var refused: APIResponse?
                for _ in 0..<4 {
                    let answer = try await api.call(.post, "/api/v2/llm/chat/completions", as: .bearer(key.key), json: Self.chat(model: "default"))
                    if answer.status == 429 { refused = answer; break }
                }
                let limited = try #require(refused)
                #expect(limited.problemCode == "model-limit-reached" && limited.headers[.retryAfter] != nil, "\(limited.text)")
                #expect(limited.string("detail")?.contains("a minute is reached") == true)
            }
        }
    }
}
