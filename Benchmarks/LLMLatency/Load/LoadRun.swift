import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open-loop run: requests go out on a fixed timetable, whatever the targets' answers, phase after phase.
///
/// Request `k` of a phase is due at `start + k / rate`. It is sent then if a connection is free, and otherwise waits
/// for one; its latency is counted from when it was due, so a slow target cannot slow the load down and hide its
/// own queueing (coordinated omission). A phase ends when its last request has ended, and the next one starts.
final class LoadRun {
    private let loop: any EventLoop
    private let legs: [Leg]
    private let phases: [Phase]
    private let rate: Double
    private let interval: Double
    private let promise: EventLoopPromise<[LegReport]>
    private let rounds: Int

    private var phaseIndex = -1
    private var phaseStart: UInt64 = 0
    private var phaseEnd: UInt64 = 0
    private var sequence = 0
    private var done = false

    /// - Parameters:
    ///   - loop: the event loop everything runs on; the run must be made on it.
    ///   - targets: the endpoints, in the order phases name them.
    ///   - phases: the timetable's phases, in order.
    ///   - rate: requests per second.
    ///   - connections: connections per target.
    ///   - timeout: seconds after which a request counts as failed.
    init(
        loop: any EventLoop,
        targets: [Target],
        phases: [Phase],
        rate: Double,
        connections: Int,
        timeout: Double
    ) {
        self.loop = loop
        self.phases = phases
        self.rate = rate
        self.interval = 1e9 / rate
        self.promise = loop.makePromise()
        self.rounds = (phases.compactMap(\.round).max() ?? -1) + 1
        let timeoutNanoseconds = UInt64(timeout * 1e9)
        legs = targets.enumerated().map { index, target in
            let measured = phases.filter { $0.target == index && $0.round != nil }.reduce(0) { $0 + $1.duration }
            return Leg(
                target: target,
                loop: loop,
                poolSize: connections,
                timeout: timeoutNanoseconds,
                expectedRequests: Int(Double(measured) / 1e9 * rate) + 16
            )
        }
    }

    /// Opens every pool and runs the phases.
    ///
    /// - Returns: one report per target, when the last phase has ended.
    func start() -> EventLoopFuture<[LegReport]> {
        for leg in legs { leg.fill() }
        watch()
        // Connections open while the first warm-up's first requests wait; that is what warm-ups are for.
        nextPhase()
        return promise.futureResult
    }

    private func nextPhase() {
        phaseIndex += 1
        guard phaseIndex < phases.count else {
            finish()
            return
        }
        let phase = phases[phaseIndex]
        phaseStart = Leg.now()
        phaseEnd = phaseStart + phase.duration
        sequence = 0
        legs[phase.target].begin(round: phase.round, at: phaseStart)
        tick()
    }

    /// Sends every request that has come due, then sleeps until the next one.
    private func tick() {
        let phase = phases[phaseIndex]
        let leg = legs[phase.target]
        let now = Leg.now()
        while true {
            let due = phaseStart + UInt64((Double(sequence) * interval).rounded())
            if due >= phaseEnd {
                leg.endTimetable { [self] in
                    if let round = phase.round {
                        let summary = leg.lastRound.map {
                            "p50 \(LatencySummary.milliseconds($0.p50)) ms, "
                                + "p99 \(LatencySummary.milliseconds($0.p99)) ms"
                        }
                        say("\(leg.target.name): round \(round + 1) of \(rounds): \(summary ?? "no answers")\n")
                    }
                    nextPhase()
                }
                return
            }
            if due > now {
                loop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(due)) { self.tick() }
                return
            }
            leg.submit(ScheduledRequest(due: due, round: phase.round))
            sequence += 1
        }
    }

    /// Expires requests past the timeout, every 20 ms until the run is over.
    private func watch() {
        guard !done else { return }
        let now = Leg.now()
        for leg in legs { leg.expire(now: now) }
        loop.assumeIsolated().scheduleTask(in: .milliseconds(20)) { self.watch() }
    }

    private func finish() {
        done = true
        let reports = legs.map { $0.report(rate: rate) }
        for leg in legs { leg.closeAll() }
        promise.succeed(reports)
    }

    /// Progress, straight to standard error.
    private func say(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            _ = write(2, bytes.baseAddress, bytes.count)
        }
    }
}
