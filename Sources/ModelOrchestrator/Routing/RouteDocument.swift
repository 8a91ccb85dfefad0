public import ChorusCore

/// Reads a route from its JSON document, as tenants write it through the admin API (see docs/models.md):
///
/// ```json
/// {"policy": "priority",
///  "targets": [{"id": "mini", "provider": "openai-main", "model": "gpt-4o-mini",
///               "timeouts": {"connectSeconds": 2, "firstTokenSeconds": 10, "totalSeconds": 60}},
///              {"id": "haiku", "provider": "anthropic-main", "model": "claude-3-5-haiku-latest"}],
///  "contextWindowFallbacks": [{"id": "flash", "provider": "gemini-main", "model": "gemini-2.5-flash"}],
///  "retry": {"attemptsPerTarget": 2}, "cache": {"ttlSeconds": 300}, "lastResort": "Sorry, try again later."}
/// ```
///
/// Targets name one of the tenant's provider accounts, or `local`. Every problem is recorded on the reader with its
/// JSON pointer.
public enum RouteDocument {
    /// The policies by the names documents use.
    public static let policies = ["priority", "weighted", "lowest-cost", "lowest-latency", "preference"]

    /// The route `name` as `reader` holds it, or `nil` when it has errors (recorded on `reader`).
    /// - Parameter providers: the tenant's provider accounts, name to kind (`openai`, `anthropic`, …).
    public static func read(_ reader: BodyReader, name: String, providers: [String: String]) -> ModelRoute? {
        var valid = true
        _ = reader.text("description", required: false, maxLength: 1000)
        let policyName = reader.string("policy", required: false, maxLength: 32) ?? "priority"
        let exploration = reader.number("exploration", required: false, range: 0...1)
        let preference = reader.stringArray("preference", required: false, maxCount: 50)
        var seen: [String: RouteTarget] = [:]
        func targets(_ key: String, required: Bool) -> [RouteTarget] {
            let read = reader.objects(key, required: required, maxCount: 20) { index, item in
                Self.target(item, at: [key, String(index)], reader: reader, providers: providers, seen: &seen)
            }
            guard let read else { return [] }
            if read.contains(where: { $0 == nil }) { valid = false }
            return read.compactMap { $0 }
        }
        let general = targets("targets", required: true)
        let contextWindow = targets("contextWindowFallbacks", required: false)
        let contentPolicy = targets("contentPolicyFallbacks", required: false)
        let downgrade = targets("downgradeTargets", required: false)
        if general.isEmpty, valid, reader.json("targets", required: false) != nil {
            reader.fail("targets", "targets needs at least one target.", code: "too_short")
            valid = false
        }
        let retry = reader.object("retry", required: false) { item -> RouteRetry? in
            let defaults = RouteRetry()
            return RouteRetry(
                attemptsPerTarget: item.integer("attemptsPerTarget", required: false, range: 1...10) ?? defaults.attemptsPerTarget,
                baseDelay: item.number("baseDelaySeconds", required: false, range: 0...60) ?? defaults.baseDelay,
                maxDelay: item.number("maxDelaySeconds", required: false, range: 0...300) ?? defaults.maxDelay
            )
        } ?? RouteRetry()
        let quality = reader.object("quality", required: false) { item -> QualityChecks? in
            let defaults = QualityChecks()
            let action = item.string("onFailure", required: false, maxLength: 32)
            if let action, action != "retry", action != "next-target" {
                item.fail("onFailure", "onFailure is retry or next-target.", code: "enum")
            }
            return QualityChecks(
                rejectEmpty: item.boolean("rejectEmpty", required: false) ?? defaults.rejectEmpty,
                rejectRefusal: item.boolean("rejectRefusal", required: false) ?? defaults.rejectRefusal,
                maxLength: item.integer("maxLength", required: false, range: 1...1_000_000),
                validateSchema: item.boolean("validateSchema", required: false) ?? defaults.validateSchema,
                action: action == "retry" ? .retry : .nextTarget
            )
        } ?? QualityChecks()
        let cache = reader.object("cache", required: false) { item -> CacheSettings? in
            CacheSettings(
                ttl: item.integer("ttlSeconds", required: true, range: 1...604_800) ?? 0,
                includeNonZeroTemperature: item.boolean("includeNonZeroTemperature", required: false) ?? false
            )
        }
        let lastResort = reader.text("lastResort", required: false, maxLength: 4000)

        let policy: SelectionPolicy
        switch policyName {
        case "priority": policy = .priority
        case "weighted": policy = .weighted
        case "lowest-cost": policy = .lowestCost
        case "lowest-latency": policy = .lowestLatency(exploration: exploration ?? 0.05)
        case "preference":
            guard let preference, !preference.isEmpty else {
                reader.fail("preference", "The preference policy needs preference: the target ids in the order wanted.", code: "required")
                return nil
            }
            for (index, id) in preference.enumerated() where seen[id] == nil {
                reader.fail(at: ["preference", String(index)], "No target of this route has the id \(id).", code: "reference")
                valid = false
            }
            policy = .preference(preference)
        default:
            reader.fail("policy", "policy is one of \(policies.joined(separator: ", ")).", code: "enum")
            return nil
        }
        guard valid, !general.isEmpty else { return nil }
        var route = ModelRoute(
            name: name, targets: general, policy: policy, contextWindowChain: contextWindow,
            contentPolicyChain: contentPolicy, retry: retry, quality: quality, cache: cache, lastResort: lastResort
        )
        route.downgradeChain = downgrade
        return route
    }

    private static func target(
        _ item: BodyReader,
        at path: [String],
        reader: BodyReader,
        providers: [String: String],
        seen: inout [String: RouteTarget]
    ) -> RouteTarget? {
        let id = item.string("id", maxLength: 64)
        let account = item.string("provider", maxLength: 64)
        let model = item.string("model", required: account != LocalModel.name, maxLength: 256)
        let weight = item.integer("weight", required: false, range: 1...10_000) ?? 1
        let temperature = item.number("temperature", required: false, range: 0...2)
        let maxTokens = item.integer("maxTokens", required: false, range: 1...1_000_000)
        let timeouts = item.object("timeouts", required: false) { timeouts -> ModelTimeouts? in
            let defaults = ModelTimeouts()
            func seconds(_ key: String, _ fallback: Duration, max: Double) -> Duration {
                timeouts.number(key, required: false, range: 0.001...max).map { .milliseconds(Int64(($0 * 1000).rounded())) } ?? fallback
            }
            return ModelTimeouts(
                connect: seconds("connectSeconds", defaults.connect, max: 10),
                firstToken: seconds("firstTokenSeconds", defaults.firstToken, max: 600),
                total: seconds("totalSeconds", defaults.total, max: 3600)
            )
        } ?? ModelTimeouts()
        guard let id, let account else { return nil }
        if !RouteDocument.isValidName(id) {
            item.fail("id", "A target id is 1 to 64 lower-case letters, digits, dots, dashes and underscores.", code: "format")
            return nil
        }
        let kind: String
        if account == LocalModel.name {
            kind = LocalModel.name
        } else if let known = providers[account] {
            kind = known
        } else {
            let names = providers.keys.sorted()
            item.fail("provider", names.isEmpty
                ? "The tenant has no provider of this name; add it under /api/v2/llm/providers, or use local."
                : "The tenant has no provider of this name; it has \(names.joined(separator: ", ")) and local.",
                code: "reference")
            return nil
        }
        let target = RouteTarget(
            id: id, provider: kind, model: model ?? LocalModel.name, weight: weight, timeouts: timeouts,
            account: account == LocalModel.name ? nil : account, temperature: temperature, maxTokens: maxTokens
        )
        if let earlier = seen[id], earlier != target {
            item.fail("id", "Another target of this route has the id \(id) with different settings; ids name one target.", code: "duplicate")
            return nil
        }
        seen[id] = target
        return target
    }

    /// Whether `name` can name a route, target or prompt: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): continue
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-") where index > 0: continue
            default: return false
            }
        }
        return true
    }

    /// The provider account names a route document uses, read leniently (for checking before deleting an account).
    public static func accounts(in document: JSONValue) -> Set<String> {
        guard case .object(let members) = document else { return [] }
        var result: Set<String> = []
        for key in ["targets", "contextWindowFallbacks", "contentPolicyFallbacks", "downgradeTargets"] {
            guard case .array(let items)? = members[key] else { continue }
            for case .object(let target) in items {
                if case .string(let account)? = target["provider"] { result.insert(account) }
            }
        }
        return result
    }
}

extension ModelRoute {
    /// The route a budget's `downgrade` switches to: its downgrade targets, cheapest first, then the last resort.
    public func downgraded() -> ModelRoute {
        var route = self
        route.targets = downgradeChain
        route.policy = .lowestCost
        route.contextWindowChain = []
        route.contentPolicyChain = []
        return route
    }

    /// Every target of every chain, each once.
    public var allTargets: [RouteTarget] {
        var seen: Set<String> = []
        return (targets + contextWindowChain + contentPolicyChain + downgradeChain).filter { seen.insert($0.id).inserted }
    }
}
