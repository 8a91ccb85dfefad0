/// Orders a route's general chain for one call, by its selection policy. Pure: statistics and randomness come in.
public enum TargetSelector {
    /// The targets in the order to try them.
    /// - Parameters:
    ///   - latencies: recent medians by target id (seconds), for `lowestLatency`.
    ///   - estimatedInputTokens: the call's size, for `lowestCost`.
    public static func order(
        _ route: ModelRoute,
        latencies: [String: Double],
        estimatedInputTokens: Int,
        random: inout some RandomNumberGenerator
    ) -> [RouteTarget] {
        let targets = route.targets
        guard targets.count > 1 else { return targets }
        switch route.policy {
        case .priority:
            return targets
        case .weighted:
            let total = targets.reduce(0) { $0 + max(0, $1.weight) }
            guard total > 0 else { return targets }
            var point = Int.random(in: 0..<total, using: &random)
            for (index, target) in targets.enumerated() where target.weight > 0 {
                if point < target.weight { return [target] + targets.enumerated().filter { $0.offset != index }.map(\.element) }
                point -= target.weight
            }
            return targets
        case .lowestCost:
            let output = max(256, estimatedInputTokens / 4)
            return targets.enumerated().sorted { left, right in
                let a = left.element.price?.estimate(inputTokens: estimatedInputTokens, outputTokens: output) ?? .max
                let b = right.element.price?.estimate(inputTokens: estimatedInputTokens, outputTokens: output) ?? .max
                return a != b ? a < b : left.offset < right.offset
            }.map(\.element)
        case .lowestLatency(let exploration):
            let ranked = targets.enumerated().sorted { left, right in
                let a = latencies[left.element.id] ?? -1
                let b = latencies[right.element.id] ?? -1
                return a != b ? a < b : left.offset < right.offset
            }.map(\.element)
            if exploration > 0, Double.random(in: 0..<1, using: &random) < exploration {
                let pick = Int.random(in: 1..<ranked.count, using: &random)
                return [ranked[pick]] + ranked.enumerated().filter { $0.offset != pick }.map(\.element)
            }
            return ranked
        case .preference(let ids):
            let named = ids.compactMap { id in targets.first { $0.id == id } }
            return named + targets.filter { target in !ids.contains(target.id) }
        }
    }
}
