import ChorusCore
import Foundation
import ModelOrchestrator
import SecurityHub
import Storage

/// A tenant's model set-up as read at one moment: providers with their keys opened, routes with prices, budgets,
/// limits and this month's spending.
struct ModelSnapshot: Sendable {
    struct Provider: Sendable {
        var record: LLMProviderRecord
        /// Where calls go, with the opened key.
        var endpoint: ProviderEndpoint
    }

    var providers: [String: Provider]
    var routes: [String: ModelRoute]
    var settings: LLMSettingsRecord
    /// By scope: `*` for the tenant, else a route name.
    var budgets: [String: Budget]
    /// This month's spending per route, in micro-dollars.
    var spend: [String: Int64]
    /// When it was read, in monotonic seconds.
    var loadedAt: Double

    /// Reads the set-up in the tenant's transaction. A route whose stored document no longer reads (a provider was
    /// removed behind its back) is left out and logged by the caller's next failure, not fatal.
    static func load(_ tx: TenantTransaction, vault: SecretVault, loadedAt: Double) async throws -> ModelSnapshot {
        var providers: [String: Provider] = [:]
        for record in try await tx.llmProviders() {
            var key: String?
            if let sealed = record.sealedKey {
                key = try await vault.open(sealed, context: Self.keyContext(tenant: tx.tenantID, provider: record.name), in: tx)
            }
            providers[record.name] = Provider(
                record: record,
                endpoint: ProviderEndpoint(baseURL: record.baseURL, apiKey: key, model: "", apiVersion: record.apiVersion)
            )
        }
        let kinds = providers.mapValues(\.record.kind)
        var overrides: [String: ModelPrice] = [:]
        for price in try await tx.llmPrices() {
            overrides[PriceTable.key(provider: price.provider, model: price.model)] =
                ModelPrice(input: price.input, output: price.output, cachedInput: price.cachedInput)
        }
        let prices = PriceTable.builtIn.overridden(by: overrides)
        let settings = try await tx.llmSettings()
        var routes: [String: ModelRoute] = [:]
        for record in try await tx.llmRoutes() {
            guard let reader = try? BodyReader(data: Data(record.definition.utf8)),
                var route = RouteDocument.read(reader, name: record.name, providers: kinds)
            else { continue }
            route.applyPrices(prices)
            if route.lastResort == nil { route.lastResort = settings.fallbackText }
            routes[record.name] = route
        }
        if routes[defaultRouteName] == nil {
            routes[defaultRouteName] = ModelRoute(
                name: defaultRouteName, targets: [RouteTarget(id: LocalModel.name, provider: LocalModel.name, model: LocalModel.name)],
                lastResort: settings.fallbackText
            )
        }
        var budgets: [String: Budget] = [:]
        for budget in try await tx.llmBudgets() {
            budgets[budget.scope] = Budget(
                soft: budget.softLimit, hard: budget.hardLimit,
                hardAction: Budget.HardAction(rawValue: budget.hardAction) ?? .reject
            )
        }
        return ModelSnapshot(
            providers: providers, routes: routes, settings: settings, budgets: budgets,
            spend: try await tx.llmSpend(month: Date()), loadedAt: loadedAt
        )
    }

    /// The route every tenant has: until the tenant saves a route of this name, it answers with the built-in
    /// `local` provider, so flows work before any provider key is configured.
    static let defaultRouteName = "default"

    /// Where a provider's key is sealed: the vault binds the ciphertext to this tenant, table, column and row.
    static func keyContext(tenant: UUID, provider: String) -> SecretContext {
        SecretContext(tenantID: tenant, table: "llm_providers", column: "sealed_key", row: provider)
    }

    /// What the tenant's and the route's budgets say about a call, given this month's spending plus what this
    /// replica added since reading it.
    /// - Returns: the stricter of the two decisions (`BudgetDecision.combined`), or the error of the first budget
    ///   that refuses the call.
    func budgetDecision(route: String, added: [String: Int64]) -> Result<BudgetDecision, ModelError> {
        let routeSpent = (spend[route] ?? 0) + (added[route] ?? 0)
        let tenantSpent = spend.values.reduce(0, +) + added.values.reduce(0, +)
        var decision = BudgetDecision.allow
        for (scope, spent) in [("*", tenantSpent), (route, routeSpent)] {
            guard let budget = budgets[scope] else { continue }
            let own = budget.decision(spent: spent)
            if own == .reject {
                return .failure(BudgetDecision.rejection(
                    budget: scope == "*" ? "tenant's" : "route \(route)'s", spent: spent, hard: budget.hard ?? 0
                ))
            }
            decision = decision.combined(with: own)
        }
        return .success(decision)
    }
}

extension ModelRoute {
    /// Fills in each target's price from `table` (by provider kind and model), where the target has none.
    mutating func applyPrices(_ table: PriceTable) {
        func priced(_ targets: [RouteTarget]) -> [RouteTarget] {
            targets.map { target in
                var target = target
                if target.price == nil { target.price = table.price(provider: target.provider, model: target.model) }
                return target
            }
        }
        targets = priced(targets)
        contextWindowChain = priced(contextWindowChain)
        contentPolicyChain = priced(contentPolicyChain)
        downgradeChain = priced(downgradeChain)
    }
}
