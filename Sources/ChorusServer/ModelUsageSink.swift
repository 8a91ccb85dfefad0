import Foundation
import Logging
import ModelOrchestrator
import Storage

/// Writes usage records to PostgreSQL, one transaction per tenant of a batch, adds their cost to the month's
/// spending, and records a budget event the first time a month's spending crosses a soft or hard limit.
struct PostgresUsageSink: UsageSink {
    let database: Database
    let logger: Logger

    func write(_ records: [UsageRecord]) async throws {
        var byTenant: [UUID: [UsageRecord]] = [:]
        for record in records {
            // Records name their tenant by id; one that does not parse cannot be stored anywhere and is dropped.
            guard let tenant = UUID(uuidString: record.tenant) else { continue }
            byTenant[tenant, default: []].append(record)
        }
        for (tenant, records) in byTenant {
            do {
                try await database.withTenant(tenant) { tx in
                    let changes = try await tx.appendLLMUsage(records.map(Self.row))
                    try await Self.recordBudgetEvents(changes, in: tx, logger: logger)
                }
            } catch {
                logger.error("model usage could not be written; it is kept for the next try", metadata: [
                    "tenant": "\(tenant.uuidString.lowercased())", "records": "\(records.count)", "error": "\(error)",
                ])
                throw error
            }
        }
    }

    static func row(_ record: UsageRecord) -> LLMUsageRow {
        LLMUsageRow(
            at: record.at, route: record.route, target: record.target, provider: record.provider, model: record.model,
            inputTokens: record.usage.inputTokens, outputTokens: record.usage.outputTokens,
            cachedTokens: record.usage.cachedInputTokens, reasoningTokens: record.usage.reasoningTokens,
            costMicros: record.cost, latencyMs: record.latency * 1000, outcome: record.outcome, cacheHit: record.cacheHit
        )
    }

    /// Budget limits that the spending changes crossed, for the routes and for the tenant as a whole.
    static func recordBudgetEvents(
        _ changes: [Date: [String: (before: Int64, after: Int64)]],
        in tx: TenantTransaction,
        logger: Logger
    ) async throws {
        let budgets = try await tx.llmBudgets()
        guard !budgets.isEmpty else { return }
        for (month, routes) in changes {
            var crossings: [(scope: String, before: Int64, after: Int64)] = routes.map { ($0.key, $0.value.before, $0.value.after) }
            let tenantAfter = try await tx.llmSpend(month: month).values.reduce(0, +)
            let added = routes.values.reduce(0) { $0 + $1.after - $1.before }
            crossings.append(("*", tenantAfter - added, tenantAfter))
            for (scope, before, after) in crossings {
                guard let record = budgets.first(where: { $0.scope == scope }) else { continue }
                let budget = Budget(soft: record.softLimit, hard: record.hardLimit)
                let cost = after - before
                for (kind, limit, crossed) in [
                    ("soft_limit_reached", budget.soft, budget.crossesSoftLimit(spentBefore: before, cost: cost)),
                    ("hard_limit_reached", budget.hard, budget.crossesHardLimit(spentBefore: before, cost: cost)),
                ] {
                    guard crossed, let limit else { continue }
                    if try await tx.insertLLMBudgetEvent(month: month, scope: scope, kind: kind, spent: after, limit: limit) {
                        logger.notice("model budget limit reached", metadata: [
                            "tenant": "\(tx.tenantID.uuidString.lowercased())", "scope": "\(scope)", "kind": "\(kind)",
                            "spent_micros": "\(after)", "limit_micros": "\(limit)",
                        ])
                    }
                }
            }
        }
    }
}
