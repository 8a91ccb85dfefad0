public import Foundation
import Synchronization

/// One model call, as usage reports and budgets count it.
public struct UsageRecord: Sendable, Equatable, Codable {
    public var tenant: String
    public var route: String
    /// The target that answered; `nil` for the last resort and for cache hits.
    public var target: String?
    public var provider: String?
    public var model: String?
    public var usage: ModelUsage
    /// Micro-dollars.
    public var cost: Int64
    /// Seconds from the call to its answer.
    public var latency: Double
    /// `success`, `last_resort`, or the failing error's kind.
    public var outcome: String
    public var cacheHit: Bool
    public var at: Date

    public init(tenant: String, route: String, target: String?, provider: String?, model: String?, usage: ModelUsage, cost: Int64, latency: Double, outcome: String, cacheHit: Bool, at: Date) {
        self.tenant = tenant
        self.route = route
        self.target = target
        self.provider = provider
        self.model = model
        self.usage = usage
        self.cost = cost
        self.latency = latency
        self.outcome = outcome
        self.cacheHit = cacheHit
        self.at = at
    }
}

/// Where usage records go: PostgreSQL in production.
public protocol UsageSink: Sendable {
    /// Writes a batch, all or nothing.
    func write(_ records: [UsageRecord]) async throws
}

/// Collects usage records off the request path and writes them in batches.
///
/// `record` only appends to a buffer under a lock; ``run()`` writes whatever has gathered every `interval`, or
/// within 50 ms once a batch is full. A failed write keeps the records for the next try; past `capacity` the oldest are
/// dropped and counted, so that a sink that stays down cannot exhaust memory.
public final class UsageRecorder: Sendable {
    private struct Buffer {
        var records: [UsageRecord] = []
        var dropped = 0
    }

    private let sink: any UsageSink
    private let batchSize: Int
    private let capacity: Int
    private let interval: Duration
    private let buffer = Mutex(Buffer())

    /// Creates a recorder.
    public init(sink: any UsageSink, batchSize: Int = 500, capacity: Int = 100_000, interval: Duration = .seconds(1)) {
        self.sink = sink
        self.batchSize = max(1, batchSize)
        self.capacity = max(batchSize, capacity)
        self.interval = interval
    }

    /// Adds a record; never waits for the sink.
    public func record(_ record: UsageRecord) {
        buffer.withLock { buffer in
            buffer.records.append(record)
            if buffer.records.count > capacity {
                let excess = buffer.records.count - capacity
                buffer.records.removeFirst(excess)
                buffer.dropped += excess
            }
        }
    }

    /// Records dropped because the buffer was full.
    public var dropped: Int { buffer.withLock { $0.dropped } }
    /// Records waiting to be written.
    public var pending: Int { buffer.withLock { $0.records.count } }

    /// Writes batches until the task is cancelled, then writes what is left once. It looks every 50 ms (or every
    /// `interval`, if shorter) and writes when a batch is full or `interval` has passed since the last write.
    public func run() async {
        let clock = ContinuousClock()
        let tick = min(interval, .milliseconds(50))
        var lastWrite = clock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: tick)
            if pending >= batchSize || clock.now - lastWrite >= interval {
                await flush()
                lastWrite = clock.now
            }
        }
        await flush()
    }

    /// Writes what had gathered when it was called, a batch at a time; stops at the first failed write, keeping its
    /// records. Records that arrive meanwhile wait for the next flush, so that under steady load a flush ends, and
    /// batches stay full instead of shrinking to what arrived during the previous write.
    public func flush() async {
        var remaining = pending
        while remaining > 0 {
            let batch = buffer.withLock { Array($0.records.prefix(min(batchSize, remaining))) }
            guard !batch.isEmpty else { return }
            remaining -= batch.count
            do {
                try await sink.write(batch)
            } catch {
                return
            }
            buffer.withLock { buffer in
                // Records may have been dropped meanwhile; remove only what is still at the front.
                let written = zip(buffer.records, batch).prefix { $0 == $1 }.count
                buffer.records.removeFirst(written)
            }
        }
    }
}
