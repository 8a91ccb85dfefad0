/// The most recent latencies of a target, for the `lowestLatency` policy.
public struct LatencyStats: Sendable, Equatable {
    /// How many recent calls the median is taken over.
    public static let capacity = 64

    private var samples: [Double] = []
    private var next = 0

    public init() {}

    /// Adds a latency in seconds.
    public mutating func record(_ seconds: Double) {
        if samples.count < Self.capacity {
            samples.append(seconds)
        } else {
            samples[next] = seconds
            next = (next + 1) % Self.capacity
        }
    }

    /// The median of the recent calls, or `nil` before the first.
    public var median: Double? {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        return sorted[sorted.count / 2]
    }
}
