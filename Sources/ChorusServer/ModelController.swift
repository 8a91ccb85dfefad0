import ChorusCore
import FlowEngine
import Foundation
import HTTPTypes
import Hummingbird
import ModelOrchestrator
import SecurityHub
import Storage

/// A tenant's model set-up: provider accounts (keys write-only), routes (saved, validated, tried with a real
/// call), prices, budgets, limits and fallback text, and what the calls cost.
struct ModelController {
    struct ProviderDTO: Codable, Sendable {
        var name: String
        var kind: String
        var baseUrl: String
        var apiVersion: String?
        /// Whether a key is set; the key itself is never returned.
        var hasKey: Bool
        var keyLast4: String?
        var requestsPerMinute: Int?
        var tokensPerMinute: Int?
        var updatedAt: Date
        var updatedBy: String
        var createdAt: Date

        init(_ record: LLMProviderRecord) {
            name = record.name
            kind = record.kind
            baseUrl = record.baseURL
            apiVersion = record.apiVersion
            hasKey = record.sealedKey != nil
            keyLast4 = record.keyLast4
            requestsPerMinute = record.requestsPerMinute
            tokensPerMinute = record.tokensPerMinute
            updatedAt = record.updatedAt
            updatedBy = record.updatedBy
            createdAt = record.createdAt
        }
    }

    struct RouteDTO: Codable, Sendable {
        var name: String
        var revision: Int
        var updatedAt: Date
        var updatedBy: String
        var createdAt: Date

        init(_ record: LLMRouteRecord) {
            name = record.name
            revision = record.revision
            updatedAt = record.updatedAt
            updatedBy = record.updatedBy
            createdAt = record.createdAt
        }
    }

    struct ValidationDTO: Codable, Sendable {
        var valid: Bool
        var problems: [Problem.FieldError]
    }

    struct PriceDTO: Codable, Sendable {
        var provider: String
        var model: String
        /// Micro-dollars per million tokens.
        var inputMicros: Int64
        var outputMicros: Int64
        var cachedInputMicros: Int64?
        /// `built-in` or `tenant`.
        var source: String
    }

    struct BudgetDTO: Codable, Sendable {
        var softLimitMicros: Int64?
        var hardLimitMicros: Int64?
        var hardAction: String
        /// This month's spending so far.
        var spentMicros: Int64
    }

    struct BudgetsDTO: Codable, Sendable {
        struct Event: Codable, Sendable {
            var scope: String
            var kind: String
            var spentMicros: Int64
            var limitMicros: Int64
            var at: Date
        }

        /// The month (UTC) the spending counts, as `2026-11`.
        var month: String
        var tenant: BudgetDTO?
        var routes: [String: BudgetDTO]
        var spentMicros: Int64
        var spentByRouteMicros: [String: Int64]
        var events: [Event]
    }

    struct SettingsDTO: Codable, Sendable {
        var fallbackText: String?
        var requestsPerMinute: Int?
        var tokensPerMinute: Int?
    }

    struct UsageDTO: Codable, Sendable {
        struct Group: Codable, Sendable {
            var key: String
            var calls: Int
            var failures: Int
            var cacheHits: Int
            var inputTokens: Int
            var outputTokens: Int
            var cachedTokens: Int
            var reasoningTokens: Int
            var costMicros: Int64
            var medianLatencyMs: Double?
            var p95LatencyMs: Double?
        }

        var from: Date
        var to: Date
        var groupBy: String?
        var groups: [Group]
    }

    struct TestCallDTO: Codable, Sendable {
        struct Attempt: Codable, Sendable {
            var target: String
            var outcome: String
            var error: String?
        }

        var answer: String
        var toolCalls: [ModelToolCall]
        var finishReason: String
        var target: String?
        var provider: String?
        var model: String?
        var lastResort: Bool
        var cacheHit: Bool
        var attempts: [Attempt]
        var usage: ModelUsage
        var costMicros: Int64
        var latencyMs: Double
    }

    func register(on api: APIRoutes) {
        api.add(.get, "/api/v2/llm/providers", .modelsRead, providers)
        api.add(.get, "/api/v2/llm/providers/{provider}", .modelsRead, provider)
        api.add(.put, "/api/v2/llm/providers/{provider}", .modelsWrite, putProvider)
        api.add(.delete, "/api/v2/llm/providers/{provider}", .modelsWrite, deleteProvider)
        api.add(.get, "/api/v2/llm/routes", .modelsRead, routes)
        api.add(.post, "/api/v2/llm/routes/validate", .modelsRead, validateRoute)
        api.add(.get, "/api/v2/llm/routes/{route}", .modelsRead, route)
        api.add(.put, "/api/v2/llm/routes/{route}", .modelsWrite, putRoute)
        api.add(.delete, "/api/v2/llm/routes/{route}", .modelsWrite, deleteRoute)
        api.call(.post, "/api/v2/llm/routes/{route}/test", .modelsUse, testRoute)
        api.add(.get, "/api/v2/llm/prices", .modelsRead, prices)
        api.add(.put, "/api/v2/llm/prices", .modelsWrite, putPrices)
        api.add(.get, "/api/v2/llm/budgets", .modelsRead, budgets)
        api.add(.put, "/api/v2/llm/budgets", .modelsWrite, putBudgets)
        api.add(.get, "/api/v2/llm/settings", .modelsRead, settings)
        api.add(.put, "/api/v2/llm/settings", .modelsWrite, putSettings)
        api.add(.get, "/api/v2/llm/usage", .modelsRead, usage)
    }

    static let noProvider = Problem.notFound("The tenant has no provider with this name.")
    static let noRoute = Problem.notFound("The tenant has no route with this name.")
    static let kinds = ["openai", "azure-openai", "openai-compatible", "mistral", "anthropic", "gemini", "ollama"]

    // MARK: Providers

    @Sendable func providers(_ scope: TenantScope) async throws -> Reply {
        try .json(ListDTO(items: try await scope.tx.llmProviders().map(ProviderDTO.init), nextCursor: nil))
    }

    @Sendable func provider(_ scope: TenantScope) async throws -> Reply {
        guard let record = try await scope.tx.llmProvider(name: try Self.name(scope, "provider")) else { throw Self.noProvider }
        return try .json(ProviderDTO(record))
    }

    /// Creates or replaces a provider account. `apiKey` is write-only: absent keeps the stored key, `null` removes
    /// it, a string replaces it.
    @Sendable func putProvider(_ scope: TenantScope) async throws -> Reply {
        let name = try Self.name(scope, "provider", forWriting: true)
        let body = try scope.reader()
        let kind = body.string("kind", maxLength: 32)
        if let kind, !Self.kinds.contains(kind) {
            body.fail("kind", "kind is one of \(Self.kinds.joined(separator: ", ")).", code: "enum")
        }
        let baseURL = body.string("baseUrl", required: false, maxLength: 2048)
        if let baseURL, !Self.isHTTPURL(baseURL) {
            body.fail("baseUrl", "baseUrl must be an http or https URL.", code: "format")
        }
        let apiVersion = body.string("apiVersion", required: false, maxLength: 64)
        let keyPresent = Self.hasMember(scope.scope.body, "apiKey")
        let apiKey = body.secret("apiKey", required: false, maxLength: 4096)
        let rpm = body.integer("requestsPerMinute", required: false, range: 1...10_000_000)
        let tpm = body.integer("tokensPerMinute", required: false, range: 1...2_000_000_000)
        if kind == "azure-openai", apiVersion == nil {
            body.fail("apiVersion", "Azure OpenAI needs apiVersion, such as 2024-10-21.", code: "required")
        }
        if let kind, baseURL == nil, Self.defaultBaseURL(kind) == nil {
            body.fail("baseUrl", "baseUrl is required for \(kind).", code: "required")
        }
        try body.finish()
        guard let kind, let url = baseURL ?? Self.defaultBaseURL(kind) else { throw Problem.internal() }
        var record = LLMProviderRecord(name: name, kind: kind, baseURL: url, apiVersion: apiVersion,
                                       requestsPerMinute: rpm, tokensPerMinute: tpm)
        if let apiKey {
            let context = ModelSnapshot.keyContext(tenant: scope.tx.tenantID, provider: name)
            record.sealedKey = try await scope.services.vault.seal(apiKey, context: context, in: scope.tx)
            record.keyLast4 = SecretEnvelope.hint(apiKey)
        }
        let (stored, created) = try await scope.tx.putLLMProvider(record, keepKey: !keyPresent, by: FlowController.author(scope.principal))
        try await scope.audit(created ? "llm.provider.created" : "llm.provider.updated", "llm_provider", name, [
            "kind": kind, "baseUrl": url, "key": keyPresent ? (apiKey == nil ? "removed" : "replaced") : "kept",
        ])
        scope.services.models.invalidate(scope.tx.tenantID)
        scope.services.models.enableTargets(of: scope.tx.tenantID)
        return try .json(ProviderDTO(stored), status: created ? .created : .ok)
    }

    @Sendable func deleteProvider(_ scope: TenantScope) async throws -> Reply {
        let name = try Self.name(scope, "provider")
        let users = try await scope.tx.llmRoutes().filter { route in
            RouteDocument.accounts(in: (try? JSONValue.parse(Data(route.definition.utf8))) ?? .null).contains(name)
        }.map(\.name)
        guard users.isEmpty else {
            throw Problem.conflict("Routes \(users.joined(separator: ", ")) use this provider; change them first.")
        }
        guard try await scope.tx.deleteLLMProvider(name: name) else { throw Self.noProvider }
        try await scope.audit("llm.provider.deleted", "llm_provider", name, [:])
        scope.services.models.invalidate(scope.tx.tenantID)
        return .noContent
    }

    // MARK: Routes

    @Sendable func routes(_ scope: TenantScope) async throws -> Reply {
        try .json(ListDTO(items: try await scope.tx.llmRoutes().map(RouteDTO.init), nextCursor: nil))
    }

    @Sendable func route(_ scope: TenantScope) async throws -> Reply {
        guard let record = try await scope.tx.llmRoute(name: try Self.name(scope, "route")) else { throw Self.noRoute }
        var reply = try Reply.json(RouteDTO(record), embedding: ["definition": record.definition])
        reply.headers[.eTag] = Self.eTag(record.revision)
        return reply
    }

    /// Checks a route document without saving it.
    @Sendable func validateRoute(_ scope: TenantScope) async throws -> Reply {
        let providers = try await Self.providerKinds(scope.tx)
        do {
            let reader = try scope.reader()
            _ = RouteDocument.read(reader, name: "validate", providers: providers)
            try reader.finish()
            return try .json(ValidationDTO(valid: true, problems: []))
        } catch let problem as Problem where problem.errors != nil {
            return try .json(ValidationDTO(valid: false, problems: problem.errors ?? []))
        }
    }

    @Sendable func putRoute(_ scope: TenantScope) async throws -> Reply {
        let name = try Self.name(scope, "route", forWriting: true)
        let reader = try scope.reader()
        _ = RouteDocument.read(reader, name: name, providers: try await Self.providerKinds(scope.tx))
        try reader.finish()
        let document = String(decoding: try Reply.encoder.encode(try JSONValue.parse(scope.scope.body)), as: UTF8.self)
        var revision: Int?
        if let match = scope.scope.request.headers[.ifMatch], match != "*" {
            guard let number = Self.revision(fromETag: match) else {
                throw Problem.preconditionFailed("If-Match must be an ETag this API returned for the route.")
            }
            revision = number
        }
        guard let (stored, created) = try await scope.tx.putLLMRoute(
            name: name, definition: document, revision: revision, by: FlowController.author(scope.principal)
        ) else {
            throw Problem.preconditionFailed("The route changed since it was read; read it again and reapply your changes.")
        }
        try await scope.audit(created ? "llm.route.created" : "llm.route.updated", "llm_route", name, [
            "revision": String(stored.revision),
        ])
        scope.services.models.invalidate(scope.tx.tenantID)
        // A corrected model name or provider brings the targets taken out of rotation back.
        scope.services.models.enableTargets(of: scope.tx.tenantID)
        var reply = try Reply.json(RouteDTO(stored), embedding: ["definition": stored.definition], status: created ? .created : .ok)
        reply.headers[.eTag] = Self.eTag(stored.revision)
        return reply
    }

    @Sendable func deleteRoute(_ scope: TenantScope) async throws -> Reply {
        let name = try Self.name(scope, "route")
        guard try await scope.tx.deleteLLMRoute(name: name) else { throw Self.noRoute }
        try await scope.audit("llm.route.deleted", "llm_route", name, [:])
        scope.services.models.invalidate(scope.tx.tenantID)
        return .noContent
    }

    /// Sends a real call through a saved route and reports what happened: which targets were tried and why they
    /// failed, who answered, the tokens and the cost. The call counts towards usage and budgets like any other.
    @Sendable func testRoute(_ scope: Scope, _ principal: Principal) async throws -> Reply {
        let name = try scope.slug("route", notFound: Self.noRoute)
        let body = try scope.reader()
        let message = body.text("message", maxLength: 32_000)
        let system = body.text("system", required: false, maxLength: 32_000)
        let temperature = body.number("temperature", required: false, range: 0...2)
        let maxTokens = body.integer("maxTokens", required: false, range: 1...100_000)
        try body.finish()
        guard let message else { throw Problem.internal() }
        let request = ModelRequest(system: system, messages: [.user(message)], temperature: temperature, maxTokens: maxTokens)
        let started = ContinuousClock.now
        switch await scope.services.models.complete(request, route: name, tenant: principal.tenantID) {
        case .failure(let error):
            throw Self.problem(for: error)
        case .success(let outcome):
            let attempts = outcome.attempts.map { attempt in
                TestCallDTO.Attempt(
                    target: attempt.target,
                    outcome: attempt.skipped.map { "skipped: \($0)" } ?? (attempt.error.map { $0.kind.rawValue } ?? "success"),
                    // The gateway's wording: a provider refusing a key may quote part of it.
                    error: attempt.error.map { GatewayError($0).message }
                )
            }
            return try .json(TestCallDTO(
                answer: outcome.response.text, toolCalls: outcome.response.toolCalls,
                finishReason: outcome.response.finishReason.rawValue, target: outcome.target?.id,
                provider: outcome.target?.provider, model: outcome.target?.model, lastResort: outcome.target == nil,
                cacheHit: outcome.cacheHit, attempts: attempts, usage: outcome.response.usage,
                costMicros: outcome.cacheHit ? 0 : (outcome.target?.price?.cost(of: outcome.response.usage) ?? 0),
                latencyMs: (ContinuousClock.now - started).seconds * 1000
            ))
        }
    }

    // MARK: Prices, budgets, settings

    @Sendable func prices(_ scope: TenantScope) async throws -> Reply {
        let own = try await scope.tx.llmPrices()
        var items: [String: PriceDTO] = [:]
        for (key, price) in PriceTable.builtIn.prices {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            items[key] = PriceDTO(provider: parts[0], model: parts[1], inputMicros: price.input, outputMicros: price.output,
                                  cachedInputMicros: price.cachedInput, source: "built-in")
        }
        for price in own {
            items[PriceTable.key(provider: price.provider, model: price.model)] = PriceDTO(
                provider: price.provider, model: price.model, inputMicros: price.input, outputMicros: price.output,
                cachedInputMicros: price.cachedInput, source: "tenant"
            )
        }
        return try .json(ListDTO(items: items.keys.sorted().compactMap { items[$0] }, nextCursor: nil))
    }

    /// Replaces the tenant's own prices; built-in prices apply to every model not listed.
    @Sendable func putPrices(_ scope: TenantScope) async throws -> Reply {
        let body = try scope.reader()
        var seen: Set<String> = []
        let items = body.objects("items", maxCount: 1000) { index, item -> LLMPriceRecord? in
            let provider = item.string("provider", maxLength: 64)
            let model = item.string("model", maxLength: 256)
            let input = item.integer("inputMicros", range: 0...1_000_000_000_000)
            let output = item.integer("outputMicros", range: 0...1_000_000_000_000)
            let cached = item.integer("cachedInputMicros", required: false, range: 0...1_000_000_000_000)
            // GET's items may be sent back as they are: their source is decided here.
            _ = item.string("source", required: false, maxLength: 16)
            if let provider, !Self.kinds.contains(provider) {
                item.fail("provider", "provider is one of \(Self.kinds.joined(separator: ", ")).", code: "enum")
                return nil
            }
            guard let provider, let model, let input, let output else { return nil }
            guard seen.insert(PriceTable.key(provider: provider, model: model)).inserted else {
                item.fail("model", "\(provider)/\(model) is listed twice.", code: "duplicate")
                return nil
            }
            return LLMPriceRecord(provider: provider, model: model, input: Int64(input), output: Int64(output),
                                  cachedInput: cached.map(Int64.init))
        }
        try body.finish()
        let records = (items ?? []).compactMap { $0 }
        try await scope.tx.replaceLLMPrices(records)
        try await scope.audit("llm.prices.replaced", "llm_prices", nil, ["count": String(records.count)])
        scope.services.models.invalidate(scope.tx.tenantID)
        return try await prices(scope)
    }

    @Sendable func budgets(_ scope: TenantScope) async throws -> Reply {
        try .json(try await Self.budgetsDTO(scope.tx))
    }

    static func budgetsDTO(_ tx: TenantTransaction) async throws -> BudgetsDTO {
        let now = Date()
        let spend = try await tx.llmSpend(month: now)
        var tenant: BudgetDTO?
        var routes: [String: BudgetDTO] = [:]
        let total = spend.values.reduce(0, +)
        for budget in try await tx.llmBudgets() {
            if budget.scope == "*" {
                tenant = BudgetDTO(softLimitMicros: budget.softLimit, hardLimitMicros: budget.hardLimit,
                                   hardAction: budget.hardAction, spentMicros: total)
            } else {
                routes[budget.scope] = BudgetDTO(softLimitMicros: budget.softLimit, hardLimitMicros: budget.hardLimit,
                                                 hardAction: budget.hardAction, spentMicros: spend[budget.scope] ?? 0)
            }
        }
        let events = try await tx.llmBudgetEvents(month: now).map {
            BudgetsDTO.Event(scope: $0.scope == "*" ? "tenant" : $0.scope, kind: $0.kind, spentMicros: $0.spent, limitMicros: $0.limit, at: $0.at)
        }
        let month = String(TenantTransaction.monthText(now).prefix(7))
        return BudgetsDTO(month: month, tenant: tenant, routes: routes, spentMicros: total, spentByRouteMicros: spend, events: events)
    }

    /// Replaces the tenant's budgets: `tenant` for the whole tenant, `routes` by route name.
    @Sendable func putBudgets(_ scope: TenantScope) async throws -> Reply {
        let body = try scope.reader()
        func budget(_ item: BodyReader, scope: String) -> LLMBudgetRecord? {
            let soft = item.integer("softLimitMicros", required: false, range: 0...Int(Int64.max / 2))
            let hard = item.integer("hardLimitMicros", required: false, range: 0...Int(Int64.max / 2))
            let action = item.string("hardAction", required: false, maxLength: 16) ?? "reject"
            _ = item.integer("spentMicros", required: false, range: 0...Int(Int64.max))
            if action != "reject", action != "downgrade" {
                item.fail("hardAction", "hardAction is reject or downgrade.", code: "enum")
                return nil
            }
            if soft == nil, hard == nil {
                item.fail("softLimitMicros", "A budget needs softLimitMicros, hardLimitMicros or both.", code: "required")
                return nil
            }
            if let soft, let hard, soft > hard {
                item.fail("softLimitMicros", "softLimitMicros must not exceed hardLimitMicros.", code: "range")
                return nil
            }
            return LLMBudgetRecord(scope: scope, softLimit: soft.map(Int64.init), hardLimit: hard.map(Int64.init), hardAction: action)
        }
        let tenant = body.object("tenant", required: false) { budget($0, scope: "*") }
        let routes = body.map("routes", required: false, maxCount: 500) { name, item -> LLMBudgetRecord? in
            guard FlowDefinition.isValidID(name) else {
                body.fail(at: ["routes", name], "A route name is 1 to 64 lower-case letters, digits, dashes and underscores.", code: "format")
                return nil
            }
            return budget(item, scope: name)
        } ?? [:]
        // What GET answers may be sent back as it is.
        for key in ["month", "spentMicros", "spentByRouteMicros", "events"] { _ = body.json(key, required: false) }
        try body.finish()
        let records = (tenant.map { [$0] } ?? []) + routes.keys.sorted().compactMap { routes[$0] }
        try await scope.tx.replaceLLMBudgets(records)
        try await scope.audit("llm.budgets.replaced", "llm_budgets", nil, ["count": String(records.count)])
        scope.services.models.invalidate(scope.tx.tenantID)
        return try .json(try await Self.budgetsDTO(scope.tx))
    }

    @Sendable func settings(_ scope: TenantScope) async throws -> Reply {
        let settings = try await scope.tx.llmSettings()
        return try .json(SettingsDTO(fallbackText: settings.fallbackText, requestsPerMinute: settings.requestsPerMinute,
                                     tokensPerMinute: settings.tokensPerMinute))
    }

    @Sendable func putSettings(_ scope: TenantScope) async throws -> Reply {
        let body = try scope.reader()
        let text = body.text("fallbackText", required: false, maxLength: 4000)
        let rpm = body.integer("requestsPerMinute", required: false, range: 1...10_000_000)
        let tpm = body.integer("tokensPerMinute", required: false, range: 1...2_000_000_000)
        try body.finish()
        let settings = LLMSettingsRecord(fallbackText: text, requestsPerMinute: rpm, tokensPerMinute: tpm)
        try await scope.tx.putLLMSettings(settings)
        try await scope.audit("llm.settings.updated", "llm_settings", nil, [
            "requestsPerMinute": rpm.map(String.init) ?? "none", "tokensPerMinute": tpm.map(String.init) ?? "none",
        ])
        scope.services.models.invalidate(scope.tx.tenantID)
        return try .json(SettingsDTO(fallbackText: text, requestsPerMinute: rpm, tokensPerMinute: tpm))
    }

    /// Usage between `from` and `to` (RFC 3339; by default this month so far), summed per `groupBy`: `route`,
    /// `target`, `model` or `day`, or in one total.
    @Sendable func usage(_ scope: TenantScope) async throws -> Reply {
        var errors: [Problem.FieldError] = []
        func date(_ name: String, _ fallback: Date) -> Date {
            guard let text = scope.scope.query(name) else { return fallback }
            guard let date = Timestamp.parse(text) else {
                errors.append(.init(pointer: "/\(name)", detail: "\(name) must be an RFC 3339 timestamp.", code: "format"))
                return fallback
            }
            return date
        }
        let now = Date()
        let from = date("from", TenantTransaction.monthStart(of: now))
        let to = date("to", now.addingTimeInterval(1))
        let groupBy = scope.scope.query("groupBy")
        if let groupBy, !["route", "target", "model", "day"].contains(groupBy) {
            errors.append(.init(pointer: "/groupBy", detail: "groupBy is route, target, model or day.", code: "enum"))
        }
        if errors.isEmpty, to <= from {
            errors.append(.init(pointer: "/to", detail: "to must be after from.", code: "range"))
        }
        if errors.isEmpty, to.timeIntervalSince(from) > 400 * 86_400 {
            errors.append(.init(pointer: "/to", detail: "A usage report covers at most 400 days.", code: "range"))
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        let groups = try await scope.tx.llmUsageTotals(from: from, to: to, groupBy: groupBy).map {
            UsageDTO.Group(key: $0.key, calls: $0.calls, failures: $0.failures, cacheHits: $0.cacheHits,
                           inputTokens: $0.inputTokens, outputTokens: $0.outputTokens, cachedTokens: $0.cachedTokens,
                           reasoningTokens: $0.reasoningTokens, costMicros: $0.costMicros,
                           medianLatencyMs: $0.medianLatencyMs, p95LatencyMs: $0.p95LatencyMs)
        }
        return try .json(UsageDTO(from: from, to: to, groupBy: groupBy, groups: groups))
    }

    // MARK: Helpers

    /// A name from the path; a malformed one is a 404 when reading and a 422 when writing.
    static func name(_ scope: TenantScope, _ parameter: String, forWriting: Bool = false) throws -> String {
        let name = try scope.scope.slug(parameter, notFound: parameter == "route" ? noRoute : noProvider, forWriting: forWriting)
        if forWriting, parameter == "provider", name == LocalModel.name {
            throw Problem.validation([.init(pointer: "/provider", detail: "local is the built-in provider's name.", code: "reserved")])
        }
        return name
    }

    static func providerKinds(_ tx: TenantTransaction) async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await tx.llmProviders().map { ($0.name, $0.kind) })
    }

    static func defaultBaseURL(_ kind: String) -> String? {
        switch kind {
        case "openai": "https://api.openai.com/v1"
        case "anthropic": "https://api.anthropic.com"
        case "gemini": "https://generativelanguage.googleapis.com"
        case "mistral": "https://api.mistral.ai/v1"
        case "ollama": "http://127.0.0.1:11434"
        default: nil
        }
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else { return false }
        return scheme == "http" || scheme == "https"
    }

    /// Whether the top-level JSON object `body` has `member` at all (even `null`).
    static func hasMember(_ body: Data, _ member: String) -> Bool {
        guard case .object(let members)? = try? JSONValue.parse(body) else { return false }
        return members[member] != nil
    }

    static func eTag(_ revision: Int) -> String { "\"r\(revision)\"" }

    static func revision(fromETag text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "")
        guard trimmed.hasPrefix("\"r"), trimmed.hasSuffix("\""), trimmed.count > 3 else { return nil }
        return Int(trimmed.dropFirst(2).dropLast())
    }

    /// The problem a refused model call answers with.
    static func problem(for error: ModelError) -> Problem {
        let message = GatewayError(error).message
        switch error.kind {
        case .unknownModel:
            return Problem.notFound(message)
        case .quotaExhausted:
            var problem = Problem(code: "model-limit-reached", title: "A model budget or limit is reached", status: 429, detail: message)
            problem.retryAfter = error.retryAfter.map { Int($0.rounded(.up)) }
            return problem
        case .contextWindowExceeded, .contentPolicy, .invalidRequest:
            return Problem(code: "model-request-refused", title: "The model refused the request", status: 400, detail: message)
        case .retryable:
            var problem = Problem(code: "model-unavailable", title: "No model could answer", status: 502, detail: message)
            problem.retryAfter = error.retryAfter.map { Int($0.rounded(.up)) }
            return problem
        case .badCredentials, .malformedResponse:
            return Problem(code: "model-unavailable", title: "No model could answer", status: 502, detail: message)
        }
    }
}
