/// A stretch of the timetable during which one target gets the whole rate.
struct Phase: Sendable {
    /// Index of the target.
    var target: Int
    /// Nanoseconds of scheduled sends.
    var duration: UInt64
    /// The measured round this phase belongs to, or `nil` for a warm-up whose results are thrown away.
    var round: Int?

    /// The order of a run: a warm-up of each target, then rounds in which every target has one measured slice.
    ///
    /// The machine's noise comes and goes over seconds, so targets take turns in short rounds instead of running
    /// one after the other; the order rotates every round so none always follows the same neighbour. With more than
    /// one target, each slice starts with a short unmeasured re-warm, which reopens connections the server closed
    /// while idle and lets the process wake up.
    ///
    /// - Parameters:
    ///   - targets: how many targets.
    ///   - warmup: seconds of warm-up per target at the start.
    ///   - duration: measured seconds per target.
    ///   - round: measured seconds per slice.
    ///   - rewarm: seconds of unmeasured load before each slice when there are several targets.
    static func plan(targets: Int, warmup: Double, duration: Double, round: Double, rewarm: Double) -> [Phase] {
        func nanoseconds(_ seconds: Double) -> UInt64 { UInt64((seconds * 1e9).rounded()) }
        var phases: [Phase] = []
        if warmup > 0 {
            for target in 0..<targets {
                phases.append(Phase(target: target, duration: nanoseconds(warmup), round: nil))
            }
        }
        let slice = round > 0 ? min(round, duration) : duration
        let rounds = Int((duration / slice).rounded(.up))
        for index in 0..<rounds {
            let length = min(slice, duration - Double(index) * slice)
            for offset in 0..<targets {
                let target = (index + offset) % targets
                if targets > 1, rewarm > 0 {
                    phases.append(Phase(target: target, duration: nanoseconds(rewarm), round: nil))
                }
                phases.append(Phase(target: target, duration: nanoseconds(length), round: index))
            }
        }
        return phases
    }
}
