import LLMLatencyShared
/// What one target did over its measured phases.
struct LegReport: Sendable {
    /// The p50 and p99 of one measured slice, from the scheduled send time.
    struct Round: Sendable {
        var index: Int
        var count: Int
        var p50: UInt64
        var p99: UInt64
    }

    var name: String
    var url: String
    /// Requests per second asked for.
    var rate: Double
    /// Seconds of measured phases, each from its first scheduled send until its last response.
    var measuredSeconds: Double
    /// Requests scheduled in measured phases.
    var scheduled: Int
    /// Requests written to a connection in every phase, warm-ups included: what the server had to answer.
    var sent: Int
    /// Requests that ended in measured phases: answered, failed or timed out.
    var completed: Int
    /// Of those, the ones that did not end with a 2xx answer.
    var errors: Int
    /// Status and body (or the failure) of the first error.
    var firstError: String?
    /// Warm-up requests and how many of them failed.
    var warmupCompleted: Int
    var warmupErrors: Int
    /// Connections that could not be opened.
    var connectErrors: Int
    /// Latency from the time the timetable said to send, so queueing in front of a busy target counts.
    var fromScheduled: LatencySummary?
    /// Latency from the moment the request was written to its connection.
    var fromSend: LatencySummary?
    var rounds: [Round]

    /// 2xx answers per second of measured time.
    var achievedRate: Double {
        measuredSeconds > 0 ? Double(completed - errors) / measuredSeconds : 0
    }

    /// The report as one line of JSON.
    var json: String {
        var fields: [String] = []
        fields.append("\"target\":\(Self.quoted(name))")
        fields.append("\"url\":\(Self.quoted(url))")
        fields.append("\"rate\":\(Self.decimal(rate, places: 1))")
        fields.append("\"measured_s\":\(Self.decimal(measuredSeconds, places: 3))")
        fields.append("\"scheduled\":\(scheduled)")
        fields.append("\"sent\":\(sent)")
        fields.append("\"count\":\(completed)")
        fields.append("\"errors\":\(errors)")
        fields.append("\"first_error\":\(firstError.map(Self.quoted) ?? "null")")
        fields.append("\"achieved_rate\":\(Self.decimal(achievedRate, places: 1))")
        fields.append("\"latency_ms\":\(fromScheduled?.json ?? "null")")
        fields.append("\"latency_from_send_ms\":\(fromSend?.json ?? "null")")
        let rounds = self.rounds.map {
            "{\"round\":\($0.index),\"count\":\($0.count),\"p50\":\(LatencySummary.milliseconds($0.p50)),"
                + "\"p99\":\(LatencySummary.milliseconds($0.p99))}"
        }
        fields.append("\"rounds\":[\(rounds.joined(separator: ","))]")
        fields.append("\"warmup\":{\"count\":\(warmupCompleted),\"errors\":\(warmupErrors)}")
        fields.append("\"connect_errors\":\(connectErrors)")
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// The report as one line for a person.
    var text: String {
        var line = "\(name): \(Self.decimal(rate, places: 0))/s asked, \(completed) done, \(errors) errors, "
        line += "\(Self.decimal(achievedRate, places: 1))/s achieved"
        if let fromScheduled { line += " | ms from schedule: \(fromScheduled.text)" }
        if let fromSend { line += " | ms from send: \(fromSend.text)" }
        if let firstError { line += " | first error: \(firstError)" }
        return line
    }

    static func quoted(_ text: String) -> String {
        JSONString.quoted(text)
    }

    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        guard places > 0 else { return String(scaled) }
        let sign = scaled < 0 ? "-" : ""
        let magnitude = scaled.magnitude
        let whole = magnitude / UInt64(scale)
        let fraction = String(magnitude % UInt64(scale))
        return sign + "\(whole)." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}
