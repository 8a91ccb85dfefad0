/// Percentiles of a set of latencies, in nanoseconds.
///
/// Computed from every sample, sorted, by nearest rank: a run holds tens of thousands of samples, so keeping them
/// all costs less than a histogram's bucketing error at p99.9.
struct LatencySummary: Sendable {
    var count: Int
    var min: UInt64
    var p50: UInt64
    var p90: UInt64
    var p99: UInt64
    var p999: UInt64
    var max: UInt64

    /// - Parameter samples: latencies in nanoseconds, any order.
    /// - Returns: `nil` when there are none.
    init?(_ samples: some Collection<UInt64>) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        func rank(_ quantile: Double) -> UInt64 {
            let index = Int((quantile * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        count = sorted.count
        min = sorted[0]
        p50 = rank(0.5)
        p90 = rank(0.9)
        p99 = rank(0.99)
        p999 = rank(0.999)
        max = sorted[sorted.count - 1]
    }

    /// `{"min":0.123,"p50":…}` in milliseconds with three decimals.
    var json: String {
        let fields = [("min", min), ("p50", p50), ("p90", p90), ("p99", p99), ("p99.9", p999), ("max", max)]
        return "{" + fields.map { "\"\($0.0)\":\(Self.milliseconds($0.1))" }.joined(separator: ",") + "}"
    }

    /// `min 0.123 p50 … max …` in milliseconds.
    var text: String {
        let fields = [("min", min), ("p50", p50), ("p90", p90), ("p99", p99), ("p99.9", p999), ("max", max)]
        return fields.map { "\($0.0) \(Self.milliseconds($0.1))" }.joined(separator: " ")
    }

    /// Nanoseconds as milliseconds with exactly three decimals.
    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let microseconds = (nanoseconds + 500) / 1000
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
