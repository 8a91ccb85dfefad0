/// A request on the timetable: when it was due, and whether its phase is measured.
struct ScheduledRequest {
    /// Monotonic nanoseconds at which the timetable said to send it.
    var due: UInt64
    /// The measured round, or `nil` in a warm-up.
    var round: Int?
}
