import Foundation
import Synchronization
import Testing

@testable import ModelOrchestrator

@Suite struct UsageRecorderTests {
    final class Sink: UsageSink {
        let batches = Mutex<[[UsageRecord]]>([])
        let failing = Mutex(false)
        func write(_ records: [UsageRecord]) async throws {
            if failing.withLock({ $0 }) { throw CancellationError() }
            batches.withLock { $0.append(records) }
        }
    }

    static func record(_ index: Int) -> UsageRecord {
        UsageRecord(tenant: "t", route: "r", target: "a", provider: "openai", model: "m", usage: ModelUsage(inputTokens: index, outputTokens: 1),
                    cost: Int64(index), latency: 0.1, outcome: "success", cacheHit: false, at: Date(timeIntervalSince1970: Double(index)))
    }

    @Test func recordsAreWrittenInBatchesInOrder() async {
        let sink = Sink()
        let recorder = UsageRecorder(sink: sink, batchSize: 3, interval: .seconds(60))
        for index in 0..<7 { recorder.record(Self.record(index)) }
        await recorder.flush()
        let sizes = sink.batches.withLock { $0.map(\.count) }
        #expect(sizes == [3, 3, 1])
        #expect(sink.batches.withLock { $0.flatMap { $0 }.map(\.cost) } == (0..<7).map(Int64.init))
        #expect(recorder.pending == 0)
    }

    /// A sink that receives a new record during every write, as a busy server does.
    final class BusySink: UsageSink {
        let batches = Mutex<[Int]>([])
        let recorder = Mutex<UsageRecorder?>(nil)
        func write(_ records: [UsageRecord]) async throws {
            batches.withLock { $0.append(records.count) }
            recorder.withLock { $0 }?.record(UsageRecorderTests.record(99))
        }
    }

    @Test func aFlushWritesWhatWasPendingAndEndsUnderSteadyArrivals() async {
        let sink = BusySink()
        let recorder = UsageRecorder(sink: sink, batchSize: 3, interval: .seconds(60))
        sink.recorder.withLock { $0 = recorder }
        for index in 0..<7 { recorder.record(Self.record(index)) }
        await recorder.flush()
        // Three batches for the seven pending records; the three that arrived during the writes wait.
        #expect(sink.batches.withLock { $0 } == [3, 3, 1])
        #expect(recorder.pending == 3)
    }

    @Test func aFullBatchWakesTheWriterWithoutWaitingForTheInterval() async throws {
        let sink = Sink()
        let recorder = UsageRecorder(sink: sink, batchSize: 2, interval: .seconds(60))
        let writer = Task { await recorder.run() }
        recorder.record(Self.record(1))
        recorder.record(Self.record(2))
        for _ in 0..<200 where sink.batches.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sink.batches.withLock { $0.map(\.count) } == [2])
        recorder.record(Self.record(3))
        writer.cancel()
        await writer.value
        #expect(sink.batches.withLock { $0.map(\.count) } == [2, 1], "what is left is written on the way out")
    }

    @Test func aPartBatchIsWrittenWhenTheIntervalPasses() async throws {
        let sink = Sink()
        let recorder = UsageRecorder(sink: sink, batchSize: 100, interval: .milliseconds(100))
        let writer = Task { await recorder.run() }
        recorder.record(Self.record(1))
        for _ in 0..<200 where sink.batches.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sink.batches.withLock { $0.map(\.count) } == [1])
        writer.cancel()
        await writer.value
    }

    @Test func aFailingSinkKeepsRecordsUpToTheCapacity() async {
        let sink = Sink()
        sink.failing.withLock { $0 = true }
        let recorder = UsageRecorder(sink: sink, batchSize: 2, capacity: 5, interval: .seconds(60))
        for index in 0..<8 { recorder.record(Self.record(index)) }
        await recorder.flush()
        #expect(recorder.pending == 5 && recorder.dropped == 3)
        sink.failing.withLock { $0 = false }
        await recorder.flush()
        #expect(sink.batches.withLock { $0.flatMap { $0 }.map(\.cost) } == [3, 4, 5, 6, 7])
    }
}
