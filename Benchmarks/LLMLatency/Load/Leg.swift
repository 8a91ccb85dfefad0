import NIOCore
import NIOHTTP1
import NIOPosix

/// One target during a run: its pool of connections, the requests waiting for a free one, and what was measured.
///
/// Lives on the run's single event loop; nothing here is touched from anywhere else.
final class Leg {
    let target: Target
    private let loop: any EventLoop
    private let poolSize: Int
    private let timeout: UInt64

    private var live: [ObjectIdentifier: PooledConnection] = [:]
    private var connecting = 0
    /// Free connections, first in first out, so every connection of the pool takes a share of the load and none sits
    /// idle long enough for the server to close it.
    private var idle = CircularBuffer<PooledConnection>()
    /// Requests that came due while every connection was busy; they wait, and the wait counts in their latency.
    private var waiting = CircularBuffer<ScheduledRequest>()
    private var inFlight = 0
    /// Whether the timetable is sending to this target now; closed connections are reopened only then.
    private var active = false
    private var whenDrained: (() -> Void)?

    private var phaseStart: UInt64 = 0
    private var phaseRound: Int?
    private var phaseFirstSample = 0

    private var fromScheduled: [UInt64] = []
    private var fromSend: [UInt64] = []
    private var measuredNanoseconds: UInt64 = 0
    private var scheduled = 0
    private var written = 0
    private var completed = 0
    private var errors = 0
    private var firstError: String?
    private var warmupCompleted = 0
    private var warmupErrors = 0
    private var connectErrors = 0
    private var lastFailure: String?
    private var rounds: [LegReport.Round] = []
    /// The measured slice that ended last, for progress lines.
    private(set) var lastRound: LegReport.Round?

    /// - Parameters:
    ///   - target: where requests go and what they are.
    ///   - loop: the run's event loop; the leg must be made on it.
    ///   - poolSize: connections to keep open.
    ///   - timeout: nanoseconds after which a request, waiting or in flight, counts as failed.
    ///   - expectedRequests: how many measured samples to make room for.
    init(target: Target, loop: any EventLoop, poolSize: Int, timeout: UInt64, expectedRequests: Int) {
        self.target = target
        self.loop = loop
        self.poolSize = poolSize
        self.timeout = timeout
        fromScheduled.reserveCapacity(expectedRequests)
        fromSend.reserveCapacity(expectedRequests)
    }

    /// Monotonic nanoseconds, the clock of the timetable.
    static func now() -> UInt64 {
        NIODeadline.now().uptimeNanoseconds
    }

    // MARK: Phases

    /// Starts a phase: tops up the pool and starts counting.
    func begin(round: Int?, at start: UInt64) {
        active = true
        phaseStart = start
        phaseRound = round
        phaseFirstSample = fromScheduled.count
        fill()
    }

    /// The timetable of the phase is over: `then` runs once every request of it has ended.
    func endTimetable(then: @escaping () -> Void) {
        whenDrained = then
        checkDrained()
    }

    private func checkDrained() {
        guard let then = whenDrained, waiting.isEmpty, inFlight == 0 else { return }
        whenDrained = nil
        active = false
        if let round = phaseRound {
            measuredNanoseconds += Self.now() - phaseStart
            let samples = fromScheduled[phaseFirstSample...]
            if let summary = LatencySummary(samples) {
                let slice = LegReport.Round(index: round, count: summary.count, p50: summary.p50, p99: summary.p99)
                rounds.append(slice)
                lastRound = slice
            } else {
                lastRound = nil
            }
        }
        then()
    }

    // MARK: Requests

    /// A request comes due: it goes out on a free connection, or waits for one.
    func submit(_ request: ScheduledRequest) {
        if request.round != nil { scheduled += 1 }
        if let connection = nextIdle() {
            send(request, on: connection)
        } else {
            waiting.append(request)
        }
    }

    private func nextIdle() -> PooledConnection? {
        while let connection = idle.popFirst() {
            if connection.usable, connection.current == nil { return connection }
        }
        return nil
    }

    private func send(_ request: ScheduledRequest, on connection: PooledConnection) {
        inFlight += 1
        written += 1
        connection.send(request, head: target.head, body: target.body)
    }

    private func free(_ connection: PooledConnection) {
        guard connection.usable else { return }
        if let request = waiting.popFirst() {
            send(request, on: connection)
        } else {
            idle.append(connection)
        }
    }

    /// A response ended.
    func answered(
        _ connection: PooledConnection,
        inFlight request: PooledConnection.InFlight,
        status: UInt,
        errorBody: ByteBuffer?,
        at ended: UInt64
    ) {
        inFlight -= 1
        if (200..<300).contains(status) {
            record(request.request, sent: request.sent, ended: ended)
        } else {
            let body = errorBody.map { String(buffer: $0) } ?? ""
            recordFailure(request.request, "HTTP \(status): \(body)")
        }
        free(connection)
        checkDrained()
    }

    private func record(_ request: ScheduledRequest, sent: UInt64, ended: UInt64) {
        guard request.round != nil else {
            warmupCompleted += 1
            return
        }
        completed += 1
        fromScheduled.append(ended &- request.due)
        fromSend.append(ended &- sent)
    }

    private func recordFailure(_ request: ScheduledRequest, _ description: String) {
        guard request.round != nil else {
            warmupCompleted += 1
            warmupErrors += 1
            return
        }
        completed += 1
        errors += 1
        if firstError == nil { firstError = description }
    }

    /// Fails requests that waited, or have been in flight, longer than the timeout; called every few milliseconds.
    func expire(now: UInt64) {
        while let first = waiting.first, now &- first.due > timeout {
            _ = waiting.popFirst()
            recordFailure(first, "no free connection within the timeout (\(lastFailure ?? "all busy"))")
        }
        for connection in live.values {
            if let current = connection.current, now &- current.sent > timeout, let lost = connection.abandon() {
                inFlight -= 1
                recordFailure(lost.request, "no answer within the timeout")
            }
        }
        checkDrained()
    }

    // MARK: Connections

    /// Opens connections until the pool is full.
    func fill() {
        while live.count + connecting < poolSize {
            connect()
        }
    }

    private func connect() {
        connecting += 1
        let leg = NIOLoopBound(self, eventLoop: loop)
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(PooledConnection(leg: leg.value))
                }
            }
            .connect(to: target.address)
            .assumeIsolated()
            .whenFailure { error in
                self.connecting -= 1
                self.connectErrors += 1
                self.noteFailure(error)
                guard self.active else { return }
                self.loop.assumeIsolated().scheduleTask(in: .milliseconds(100)) {
                    if self.active { self.fill() }
                }
            }
    }

    func opened(_ connection: PooledConnection) {
        connecting -= 1
        live[ObjectIdentifier(connection)] = connection
        free(connection)
    }

    func closed(_ connection: PooledConnection, lost: PooledConnection.InFlight?) {
        live[ObjectIdentifier(connection)] = nil
        if let lost {
            inFlight -= 1
            recordFailure(lost.request, "connection closed before the answer")
        }
        if active { fill() }
        checkDrained()
    }

    func noteFailure(_ error: any Error) {
        lastFailure = "\(error)"
    }

    /// Closes every connection, at the end of the run.
    func closeAll() {
        active = false
        for connection in live.values { _ = connection.abandon() }
    }

    // MARK: Report

    func report(rate: Double) -> LegReport {
        LegReport(
            name: target.name,
            url: target.url,
            rate: rate,
            measuredSeconds: Double(measuredNanoseconds) / 1e9,
            scheduled: scheduled,
            sent: written,
            completed: completed,
            errors: errors,
            firstError: firstError,
            warmupCompleted: warmupCompleted,
            warmupErrors: warmupErrors,
            connectErrors: connectErrors,
            fromScheduled: LatencySummary(fromScheduled),
            fromSend: LatencySummary(fromSend),
            rounds: rounds
        )
    }
}
