import ArgumentParser
import NIOCore
import NIOPosix

/// An open-loop load generator for OpenAI-compatible chat-completion endpoints.
///
/// Sends a fixed request at a fixed rate over a pool of keep-alive connections and reports latency percentiles,
/// measured both from each request's scheduled send time and from its actual send. Several targets take turns in
/// short rounds of the same run, so the machine's noise falls on all of them alike.
@main
struct LLMLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-load",
        abstract: "Open-loop latency of chat-completion endpoints, several targets interleaved in one run.",
        discussion: """
            Prints, for each target, one line of JSON and one line of text. Latency counts from the time the \
            timetable said to send (queueing included) and, separately, from the actual send.

            Example: llm-load --target direct=http://127.0.0.1:8300/v1/chat/completions \
            --target gateway=http://127.0.0.1:4000/v1/chat/completions --model direct=bench-primary \
            --model gateway=bench-route --api-key gateway=sk-bench --rate 1000 --duration 20
            """
    )

    @Option(
        name: .customLong("target"),
        help: "NAME=URL of a chat-completions endpoint (repeatable); a bare URL is named 'target'."
    )
    var targetSpecs: [String] = []

    @Option(
        name: .customLong("model"),
        help: "NAME=MODEL: the model a target's requests ask for (repeatable); a bare value applies to all."
    )
    var modelSpecs: [String] = []

    @Option(
        name: .customLong("api-key"),
        help: "NAME=KEY: sent as 'Authorization: Bearer KEY' (repeatable); a bare value applies to all."
    )
    var keySpecs: [String] = []

    @Option(help: "Requests per second, on a fixed timetable.")
    var rate = 1000.0

    @Option(help: "Measured seconds per target.")
    var duration = 20.0

    @Option(help: "Seconds of unmeasured warm-up per target at the start.")
    var warmup = 3.0

    @Option(help: "Measured seconds per turn when targets take turns.")
    var round = 5.0

    @Option(help: "Seconds of unmeasured load before each turn, with several targets.")
    var rewarm = 1.0

    @Option(help: "Keep-alive connections per target.")
    var connections = 64

    @Option(help: "Seconds after which a request, waiting or in flight, counts as an error.")
    var timeout = 10.0

    @Flag(help: "Ask for a streamed answer with usage (stream_options.include_usage).")
    var stream = false

    @Option(help: "The request body, with {{model}} where the model goes; replaces the built-in chat request.")
    var body: String?

    mutating func validate() throws {
        guard !targetSpecs.isEmpty else { throw ValidationError("Give at least one --target NAME=URL.") }
        guard rate > 0, duration > 0, warmup >= 0, round >= 0, rewarm >= 0, timeout > 0 else {
            throw ValidationError("--rate, --duration and --timeout must be positive; the others not negative.")
        }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1.") }
    }

    func run() throws {
        let targets = try makeTargets()
        let phases = Phase.plan(
            targets: targets.count,
            warmup: warmup,
            duration: duration,
            round: round,
            rewarm: rewarm
        )
        // One thread: the generator shares two cores with the servers it measures, and one loop keeps its own cost
        // small and the same for every target.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let rate = self.rate
        let connections = self.connections
        let timeout = self.timeout
        let reports = try loop.flatSubmit {
            LoadRun(
                loop: loop,
                targets: targets,
                phases: phases,
                rate: rate,
                connections: connections,
                timeout: timeout
            ).start()
        }.wait()
        var output = ""
        for report in reports { output += report.json + "\n" }
        for report in reports { output += report.text + "\n" }
        print(output, terminator: "")
    }

    private func makeTargets() throws -> [Target] {
        var named: [(name: String, url: String)] = []
        for spec in targetSpecs {
            if spec.hasPrefix("http://") || spec.hasPrefix("https://") {
                named.append(("target", spec))
            } else if let equals = spec.firstIndex(of: "=") {
                named.append((String(spec[..<equals]), String(spec[spec.index(after: equals)...])))
            } else {
                throw LoadError("--target \(spec): expected NAME=URL")
            }
        }
        let names = Set(named.map(\.name))
        guard names.count == named.count else { throw LoadError("Target names must differ.") }
        let models = Self.perTarget(modelSpecs, names: names)
        let keys = Self.perTarget(keySpecs, names: names)
        return try named.map { name, url in
            let model = models[name] ?? models[""] ?? "bench-route"
            let key = keys[name] ?? keys[""]
            return try Target(name: name, url: url, body: requestBody(model: model), apiKey: key)
        }
    }

    /// `NAME=VALUE` pairs by target name; a value whose prefix is no target's name applies to all, under "".
    private static func perTarget(_ specs: [String], names: Set<String>) -> [String: String] {
        var values: [String: String] = [:]
        for spec in specs {
            if let equals = spec.firstIndex(of: "="), names.contains(String(spec[..<equals])) {
                values[String(spec[..<equals])] = String(spec[spec.index(after: equals)...])
            } else {
                values[""] = spec
            }
        }
        return values
    }

    private func requestBody(model: String) -> String {
        let quotedModel = LegReport.quoted(model)
        if let body {
            return body.replacing("\"{{model}}\"", with: quotedModel)
                .replacing("{{model}}", with: String(quotedModel.dropFirst().dropLast()))
        }
        var json = #"{"model":"# + quotedModel
        json += #","messages":[{"role":"system","content":"You are the support assistant of an online shop. "#
        json += #"Answer in one sentence."},{"role":"user","content":"Where is my order 4711?"}],"#
        json += #""max_tokens":64,"temperature":0"#
        if stream { json += #","stream":true,"stream_options":{"include_usage":true}"# }
        return json + "}"
    }
}
