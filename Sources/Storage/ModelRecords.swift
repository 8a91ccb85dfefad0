public import Foundation
import PostgresNIO

/// A provider account of a tenant: where its API is and the sealed key that calls it.
public struct LLMProviderRecord: Sendable, Equatable {
    /// Unique within the tenant; route targets name it.
    public var name: String
    /// The wire format: `openai`, `azure-openai`, `openai-compatible`, `mistral`, `anthropic`, `gemini`, `ollama`.
    public var kind: String
    public var baseURL: String
    /// Azure OpenAI's `api-version`.
    public var apiVersion: String?
    /// The key as sealed by the secret vault; never leaves the server.
    public var sealedKey: String?
    /// The key's last four characters, for recognizing it.
    public var keyLast4: String?
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?
    public var updatedAt: Date
    public var updatedBy: String
    public var createdAt: Date

    public init(name: String, kind: String, baseURL: String, apiVersion: String? = nil, sealedKey: String? = nil, keyLast4: String? = nil, requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, updatedAt: Date = Date(), updatedBy: String = "", createdAt: Date = Date()) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.apiVersion = apiVersion
        self.sealedKey = sealedKey
        self.keyLast4 = keyLast4
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
        self.createdAt = createdAt
    }
}

/// A stored route: its validated document and how often it was saved.
public struct LLMRouteRecord: Sendable, Equatable {
    public var name: String
    /// The route document as JSON text.
    public var definition: String
    public var revision: Int
    public var updatedAt: Date
    public var updatedBy: String
    public var createdAt: Date
}

/// A tenant's price for one model, in micro-dollars per million tokens.
public struct LLMPriceRecord: Sendable, Equatable {
    public var provider: String
    public var model: String
    public var input: Int64
    public var output: Int64
    public var cachedInput: Int64?

    public init(provider: String, model: String, input: Int64, output: Int64, cachedInput: Int64?) {
        self.provider = provider
        self.model = model
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
    }
}

/// A monthly budget: scope `*` for the tenant, else a route's name.
public struct LLMBudgetRecord: Sendable, Equatable {
    public var scope: String
    public var softLimit: Int64?
    public var hardLimit: Int64?
    /// `reject` or `downgrade`.
    public var hardAction: String

    public init(scope: String, softLimit: Int64?, hardLimit: Int64?, hardAction: String) {
        self.scope = scope
        self.softLimit = softLimit
        self.hardLimit = hardLimit
        self.hardAction = hardAction
    }
}

/// A tenant's model-wide settings.
public struct LLMSettingsRecord: Sendable, Equatable {
    /// What the built-in `local` provider answers.
    public var fallbackText: String?
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?

    public init(fallbackText: String? = nil, requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
        self.fallbackText = fallbackText
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }
}

/// One version of a prompt template.
public struct PromptRecord: Sendable, Equatable {
    public var name: String
    public var version: Int
    /// The template document as JSON text; `nil` when a listing left it out.
    public var template: String?
    public var message: String
    public var author: String
    public var createdAt: Date
}

/// One model call, as stored.
public struct LLMUsageRow: Sendable, Equatable {
    public var at: Date
    public var route: String
    public var target: String?
    public var provider: String?
    public var model: String?
    public var inputTokens: Int
    public var outputTokens: Int
    public var cachedTokens: Int
    public var reasoningTokens: Int
    public var costMicros: Int64
    public var latencyMs: Double
    public var outcome: String
    public var cacheHit: Bool

    public init(at: Date, route: String, target: String?, provider: String?, model: String?, inputTokens: Int, outputTokens: Int, cachedTokens: Int, reasoningTokens: Int, costMicros: Int64, latencyMs: Double, outcome: String, cacheHit: Bool) {
        self.at = at
        self.route = route
        self.target = target
        self.provider = provider
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedTokens = cachedTokens
        self.reasoningTokens = reasoningTokens
        self.costMicros = costMicros
        self.latencyMs = latencyMs
        self.outcome = outcome
        self.cacheHit = cacheHit
    }
}

/// Usage summed over a group of calls.
public struct LLMUsageTotals: Sendable, Equatable {
    /// The group's key: a route, target, model or day (`2026-11-21`), or `*` for everything.
    public var key: String
    public var calls: Int
    public var failures: Int
    public var cacheHits: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var cachedTokens: Int
    public var reasoningTokens: Int
    public var costMicros: Int64
    public var medianLatencyMs: Double?
    public var p95LatencyMs: Double?
}

/// A budget limit crossed.
public struct LLMBudgetEventRecord: Sendable, Equatable {
    public var month: Date
    public var scope: String
    public var kind: String
    public var spent: Int64
    public var limit: Int64
    public var at: Date
}

extension TenantTransaction {
    // MARK: Providers

    private static let providerColumns = """
        name, kind, base_url, api_version, sealed_key, key_last4, requests_per_minute, tokens_per_minute, updated_at,
        updated_by, created_at
        """

    /// The tenant's provider accounts by name.
    public func llmProviders() async throws -> [LLMProviderRecord] {
        try await providers("SELECT \(unescaped: Self.providerColumns) FROM llm_providers ORDER BY name")
    }

    /// One provider account.
    public func llmProvider(name: String) async throws -> LLMProviderRecord? {
        try await providers("SELECT \(unescaped: Self.providerColumns) FROM llm_providers WHERE name = \(name)").first
    }

    private func providers(_ statement: PostgresQuery) async throws -> [LLMProviderRecord] {
        var result: [LLMProviderRecord] = []
        for try await (name, kind, url, version, sealed, last4, rpm, tpm, updatedAt, updatedBy, createdAt) in try await query(statement)
            .decode((String, String, String, String?, String?, String?, Int32?, Int32?, Date, String, Date).self)
        {
            result.append(LLMProviderRecord(
                name: name, kind: kind, baseURL: url, apiVersion: version, sealedKey: sealed, keyLast4: last4,
                requestsPerMinute: rpm.map(Int.init), tokensPerMinute: tpm.map(Int.init), updatedAt: updatedAt,
                updatedBy: updatedBy, createdAt: createdAt
            ))
        }
        return result
    }

    /// Creates or replaces a provider account. The key (already sealed) is replaced only when `sealedKey` is given;
    /// `removeKey` clears it.
    /// - Returns: the stored account and whether it was created.
    public func putLLMProvider(_ record: LLMProviderRecord, keepKey: Bool, by author: String) async throws -> (LLMProviderRecord, created: Bool) {
        let rows = try await query(
            """
            INSERT INTO llm_providers (tenant_id, name, kind, base_url, api_version, sealed_key, key_last4,
                                       requests_per_minute, tokens_per_minute, updated_by)
            VALUES (\(tenantID), \(record.name), \(record.kind), \(record.baseURL), \(record.apiVersion),
                    \(record.sealedKey), \(record.keyLast4), \(record.requestsPerMinute.map { Int32(clamping: $0) }),
                    \(record.tokensPerMinute.map { Int32(clamping: $0) }), \(author))
            ON CONFLICT (tenant_id, name) DO UPDATE SET
                kind = excluded.kind, base_url = excluded.base_url, api_version = excluded.api_version,
                sealed_key = CASE WHEN \(keepKey) THEN llm_providers.sealed_key ELSE excluded.sealed_key END,
                key_last4 = CASE WHEN \(keepKey) THEN llm_providers.key_last4 ELSE excluded.key_last4 END,
                requests_per_minute = excluded.requests_per_minute, tokens_per_minute = excluded.tokens_per_minute,
                updated_at = now(), updated_by = excluded.updated_by
            RETURNING (xmax = 0)
            """
        ).decode(Bool.self)
        var created = false
        for try await inserted in rows { created = inserted }
        guard let stored = try await llmProvider(name: record.name) else { throw StorageError(.unavailable, "a row written in this transaction is missing") }
        return (stored, created)
    }

    /// Deletes a provider account; `false` when there was none.
    public func deleteLLMProvider(name: String) async throws -> Bool {
        try await !query("DELETE FROM llm_providers WHERE name = \(name) RETURNING name").collect().isEmpty
    }

    // MARK: Routes

    private static let routeColumns = "name, definition::text, revision, updated_at, updated_by, created_at"

    /// The tenant's routes by name.
    public func llmRoutes() async throws -> [LLMRouteRecord] {
        try await routes("SELECT \(unescaped: Self.routeColumns) FROM llm_routes ORDER BY name")
    }

    /// One route.
    public func llmRoute(name: String) async throws -> LLMRouteRecord? {
        try await routes("SELECT \(unescaped: Self.routeColumns) FROM llm_routes WHERE name = \(name)").first
    }

    /// The names of the tenant's routes.
    public func llmRouteNames() async throws -> Set<String> {
        var names: Set<String> = []
        for try await name in try await query("SELECT name FROM llm_routes").decode(String.self) { names.insert(name) }
        return names
    }

    private func routes(_ statement: PostgresQuery) async throws -> [LLMRouteRecord] {
        var result: [LLMRouteRecord] = []
        for try await (name, definition, revision, updatedAt, updatedBy, createdAt) in try await query(statement)
            .decode((String, String, Int32, Date, String, Date).self)
        {
            result.append(LLMRouteRecord(name: name, definition: definition, revision: Int(revision), updatedAt: updatedAt,
                                         updatedBy: updatedBy, createdAt: createdAt))
        }
        return result
    }

    /// Creates or replaces a route.
    /// - Parameter revision: when given, the save happens only if the stored route has this revision (`0`: only
    ///   if there is none).
    /// - Returns: the stored route and whether it was created; `nil` when `revision` did not match.
    public func putLLMRoute(name: String, definition: String, revision: Int?, by author: String) async throws
        -> (LLMRouteRecord, created: Bool)?
    {
        let current = try await routes(
            "SELECT \(unescaped: Self.routeColumns) FROM llm_routes WHERE name = \(name) FOR UPDATE"
        ).first
        if let revision, revision != (current?.revision ?? 0) { return nil }
        if current == nil {
            _ = try await query(
                """
                INSERT INTO llm_routes (tenant_id, name, definition, updated_by)
                VALUES (\(tenantID), \(name), \(definition)::jsonb, \(author))
                """
            ).collect()
        } else {
            _ = try await query(
                """
                UPDATE llm_routes SET definition = \(definition)::jsonb, revision = revision + 1, updated_at = now(),
                       updated_by = \(author)
                 WHERE name = \(name)
                """
            ).collect()
        }
        guard let stored = try await llmRoute(name: name) else { throw StorageError(.unavailable, "a row written in this transaction is missing") }
        return (stored, current == nil)
    }

    /// Deletes a route; `false` when there was none.
    public func deleteLLMRoute(name: String) async throws -> Bool {
        try await !query("DELETE FROM llm_routes WHERE name = \(name) RETURNING name").collect().isEmpty
    }

    // MARK: Prices, budgets, settings

    /// The tenant's own prices.
    public func llmPrices() async throws -> [LLMPriceRecord] {
        var result: [LLMPriceRecord] = []
        for try await (provider, model, input, output, cached) in try await query(
            "SELECT provider, model, input, output, cached_input FROM llm_prices ORDER BY provider, model"
        ).decode((String, String, Int64, Int64, Int64?).self) {
            result.append(LLMPriceRecord(provider: provider, model: model, input: input, output: output, cachedInput: cached))
        }
        return result
    }

    /// Replaces the tenant's own prices with `prices`.
    public func replaceLLMPrices(_ prices: [LLMPriceRecord]) async throws {
        _ = try await query("DELETE FROM llm_prices").collect()
        for price in prices {
            _ = try await query(
                """
                INSERT INTO llm_prices (tenant_id, provider, model, input, output, cached_input)
                VALUES (\(tenantID), \(price.provider), \(price.model), \(price.input), \(price.output), \(price.cachedInput))
                """
            ).collect()
        }
    }

    /// The tenant's budgets.
    public func llmBudgets() async throws -> [LLMBudgetRecord] {
        var result: [LLMBudgetRecord] = []
        for try await (scope, soft, hard, action) in try await query(
            "SELECT scope, soft_limit, hard_limit, hard_action FROM llm_budgets ORDER BY scope"
        ).decode((String, Int64?, Int64?, String).self) {
            result.append(LLMBudgetRecord(scope: scope, softLimit: soft, hardLimit: hard, hardAction: action))
        }
        return result
    }

    /// Replaces the tenant's budgets with `budgets`.
    public func replaceLLMBudgets(_ budgets: [LLMBudgetRecord]) async throws {
        _ = try await query("DELETE FROM llm_budgets").collect()
        for budget in budgets {
            _ = try await query(
                """
                INSERT INTO llm_budgets (tenant_id, scope, soft_limit, hard_limit, hard_action)
                VALUES (\(tenantID), \(budget.scope), \(budget.softLimit), \(budget.hardLimit), \(budget.hardAction))
                """
            ).collect()
        }
    }

    /// The tenant's model settings; defaults when never set.
    public func llmSettings() async throws -> LLMSettingsRecord {
        for try await (text, rpm, tpm) in try await query(
            "SELECT fallback_text, requests_per_minute, tokens_per_minute FROM llm_settings"
        ).decode((String?, Int32?, Int32?).self) {
            return LLMSettingsRecord(fallbackText: text, requestsPerMinute: rpm.map(Int.init), tokensPerMinute: tpm.map(Int.init))
        }
        return LLMSettingsRecord()
    }

    /// Replaces the tenant's model settings.
    public func putLLMSettings(_ settings: LLMSettingsRecord) async throws {
        _ = try await query(
            """
            INSERT INTO llm_settings (tenant_id, fallback_text, requests_per_minute, tokens_per_minute)
            VALUES (\(tenantID), \(settings.fallbackText), \(settings.requestsPerMinute.map { Int32(clamping: $0) }),
                    \(settings.tokensPerMinute.map { Int32(clamping: $0) }))
            ON CONFLICT (tenant_id) DO UPDATE SET fallback_text = excluded.fallback_text,
                requests_per_minute = excluded.requests_per_minute, tokens_per_minute = excluded.tokens_per_minute,
                updated_at = now()
            """
        ).collect()
    }

    // MARK: Prompts

    private static let promptColumns = "name, version, message, author, created_at"

    private func prompts(_ statement: PostgresQuery, withTemplate: Bool) async throws -> [PromptRecord] {
        var result: [PromptRecord] = []
        let rows = try await query(statement)
        if withTemplate {
            for try await (name, version, message, author, created, template) in rows
                .decode((String, Int32, String, String, Date, String).self)
            {
                result.append(PromptRecord(name: name, version: Int(version), template: template, message: message,
                                           author: author, createdAt: created))
            }
        } else {
            for try await (name, version, message, author, created) in rows.decode((String, Int32, String, String, Date).self) {
                result.append(PromptRecord(name: name, version: Int(version), template: nil, message: message,
                                           author: author, createdAt: created))
            }
        }
        return result
    }

    /// The latest version of every prompt, without templates.
    public func latestPrompts() async throws -> [PromptRecord] {
        try await prompts(
            """
            SELECT DISTINCT ON (name) \(unescaped: Self.promptColumns) FROM prompts ORDER BY name, version DESC
            """,
            withTemplate: false
        )
    }

    /// Every version of a prompt, newest first, without templates.
    public func promptVersions(name: String) async throws -> [PromptRecord] {
        try await prompts(
            "SELECT \(unescaped: Self.promptColumns) FROM prompts WHERE name = \(name) ORDER BY version DESC",
            withTemplate: false
        )
    }

    /// One version of a prompt with its template.
    public func prompt(name: String, version: Int) async throws -> PromptRecord? {
        try await prompts(
            """
            SELECT \(unescaped: Self.promptColumns), template::text FROM prompts
             WHERE name = \(name) AND version = \(Int32(clamping: version))
            """,
            withTemplate: true
        ).first
    }

    /// Every prompt name with its versions: what flows may reference.
    public func promptCatalog() async throws -> [String: Set<Int>] {
        var result: [String: Set<Int>] = [:]
        for try await (name, version) in try await query("SELECT name, version FROM prompts").decode((String, Int32).self) {
            result[name, default: []].insert(Int(version))
        }
        return result
    }

    /// Stores the next version of a prompt. Saves of the same prompt are numbered one at a time.
    public func insertPromptVersion(name: String, template: String, message: String, by author: String) async throws -> PromptRecord {
        _ = try await query(
            "SELECT pg_advisory_xact_lock(hashtextextended(\(tenantID.uuidString) || '/prompt/' || \(name), 0))"
        ).collect()
        var version: Int32 = 1
        for try await latest in try await query("SELECT max(version) FROM prompts WHERE name = \(name)").decode(Int32?.self) {
            version = (latest ?? 0) + 1
        }
        _ = try await query(
            """
            INSERT INTO prompts (tenant_id, name, version, template, message, author)
            VALUES (\(tenantID), \(name), \(version), \(template)::jsonb, \(message), \(author))
            """
        ).collect()
        guard let stored = try await prompt(name: name, version: Int(version)) else { throw StorageError(.unavailable, "a row written in this transaction is missing") }
        return stored
    }

    // MARK: Usage and spending

    /// Appends usage rows and adds their cost to the month's spending per route.
    /// - Returns: per route, the spending of each touched month before and after these rows (`[month: [route:
    ///   (before, after)]]`), for budget events.
    public func appendLLMUsage(_ rows: [LLMUsageRow]) async throws -> [Date: [String: (before: Int64, after: Int64)]] {
        guard !rows.isEmpty else { return [:] }
        // Arrays of optionals do not bind; an empty string stands for NULL (names are never empty).
        var ats: [Date] = [], routes: [String] = [], targets: [String] = [], providers: [String] = [], models: [String] = []
        var inputs: [Int32] = [], outputs: [Int32] = [], cached: [Int32] = [], reasoning: [Int32] = []
        var costs: [Int64] = [], latencies: [Double] = [], outcomes: [String] = [], hits: [Bool] = []
        for row in rows {
            ats.append(row.at); routes.append(row.route); targets.append(row.target ?? ""); providers.append(row.provider ?? "")
            models.append(row.model ?? ""); inputs.append(Int32(clamping: row.inputTokens))
            outputs.append(Int32(clamping: row.outputTokens)); cached.append(Int32(clamping: row.cachedTokens))
            reasoning.append(Int32(clamping: row.reasoningTokens)); costs.append(max(0, row.costMicros))
            latencies.append(max(0, row.latencyMs)); outcomes.append(row.outcome); hits.append(row.cacheHit)
        }
        _ = try await query(
            """
            INSERT INTO llm_usage (tenant_id, at, route, target, provider, model, input_tokens, output_tokens,
                                   cached_tokens, reasoning_tokens, cost_micros, latency_ms, outcome, cache_hit)
            SELECT \(tenantID), a, r, nullif(t, ''), nullif(p, ''), nullif(m, ''), i, o, c, rs, co, l, oc, h
              FROM unnest(\(ats)::timestamptz[], \(routes)::text[], \(targets)::text[],
                   \(providers)::text[], \(models)::text[], \(inputs)::integer[], \(outputs)::integer[],
                   \(cached)::integer[], \(reasoning)::integer[], \(costs)::bigint[], \(latencies)::float8[],
                   \(outcomes)::text[], \(hits)::boolean[]) AS u(a, r, t, p, m, i, o, c, rs, co, l, oc, h)
            """
        ).collect()
        // Sum per month and route, then add each sum once.
        var sums: [Date: [String: (Int64, Int64)]] = [:]
        for row in rows {
            let month = Self.monthStart(of: row.at)
            let current = sums[month, default: [:]][row.route] ?? (0, 0)
            sums[month, default: [:]][row.route] = (current.0 + max(0, row.costMicros), current.1 + 1)
        }
        var result: [Date: [String: (before: Int64, after: Int64)]] = [:]
        for (month, byRoute) in sums {
            for (route, (cost, calls)) in byRoute.sorted(by: { $0.key < $1.key }) {
                for try await after in try await query(
                    """
                    INSERT INTO llm_spend AS s (tenant_id, month, route, cost_micros, calls)
                    VALUES (\(tenantID), \(Self.monthText(month))::date, \(route), \(cost), \(calls))
                    ON CONFLICT (tenant_id, month, route) DO UPDATE
                       SET cost_micros = s.cost_micros + excluded.cost_micros, calls = s.calls + excluded.calls
                    RETURNING cost_micros
                    """
                ).decode(Int64.self) {
                    result[month, default: [:]][route] = (after - cost, after)
                }
            }
        }
        return result
    }

    /// The first instant of the UTC month of `date`.
    public static func monthStart(of date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        return calendar.date(from: parts)!
    }

    /// `2026-11-01` for any instant of November 2026 (UTC).
    public static func monthText(_ date: Date) -> String {
        let start = monthStart(of: date)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: start)
        return String(format: "%04d-%02d-01", parts.year!, parts.month!)
    }

    /// The month's spending per route, in micro-dollars.
    public func llmSpend(month: Date) async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for try await (route, cost) in try await query(
            "SELECT route, cost_micros FROM llm_spend WHERE month = \(Self.monthText(month))::date"
        ).decode((String, Int64).self) {
            result[route] = cost
        }
        return result
    }

    /// Records that a budget limit was crossed; `false` when it was already recorded this month.
    public func insertLLMBudgetEvent(month: Date, scope: String, kind: String, spent: Int64, limit: Int64) async throws -> Bool {
        try await !query(
            """
            INSERT INTO llm_budget_events (tenant_id, month, scope, kind, spent, limit_micros)
            VALUES (\(tenantID), \(Self.monthText(month))::date, \(scope), \(kind), \(spent), \(limit))
            ON CONFLICT DO NOTHING RETURNING kind
            """
        ).collect().isEmpty
    }

    /// The budget events of a month, oldest first.
    public func llmBudgetEvents(month: Date) async throws -> [LLMBudgetEventRecord] {
        var result: [LLMBudgetEventRecord] = []
        for try await (month, scope, kind, spent, limit, at) in try await query(
            """
            SELECT month::timestamp AT TIME ZONE 'UTC', scope, kind, spent, limit_micros, at FROM llm_budget_events
             WHERE month = \(Self.monthText(month))::date ORDER BY at, scope, kind
            """
        ).decode((Date, String, String, Int64, Int64, Date).self) {
            result.append(LLMBudgetEventRecord(month: month, scope: scope, kind: kind, spent: spent, limit: limit, at: at))
        }
        return result
    }

    /// Usage between `from` (inclusive) and `to` (exclusive), summed per `groupBy`: `route`, `target`, `model`,
    /// `day`, or `nil` for one total.
    public func llmUsageTotals(from: Date, to: Date, groupBy: String?) async throws -> [LLMUsageTotals] {
        let key: String
        switch groupBy {
        case "route": key = "route"
        case "target": key = "coalesce(target, '(last resort)')"
        case "model": key = "coalesce(provider || '/' || model, '(last resort)')"
        case "day": key = "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
        default: key = "'*'"
        }
        var result: [LLMUsageTotals] = []
        for try await (group, calls, failures, hits, input, output, cached, reasoning, cost, p50, p95) in try await query(
            """
            SELECT \(unescaped: key) AS k, count(*), count(*) FILTER (WHERE outcome NOT IN ('success', 'cache_hit')),
                   count(*) FILTER (WHERE cache_hit), coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0),
                   coalesce(sum(cached_tokens), 0), coalesce(sum(reasoning_tokens), 0), coalesce(sum(cost_micros), 0)::bigint,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
              FROM llm_usage WHERE at >= \(from) AND at < \(to)
             GROUP BY 1 ORDER BY 1
            """
        ).decode((String, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Double?, Double?).self) {
            result.append(LLMUsageTotals(
                key: group, calls: Int(calls), failures: Int(failures), cacheHits: Int(hits), inputTokens: Int(input),
                outputTokens: Int(output), cachedTokens: Int(cached), reasoningTokens: Int(reasoning), costMicros: cost,
                medianLatencyMs: p50, p95LatencyMs: p95
            ))
        }
        return result
    }
}
