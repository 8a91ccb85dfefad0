import ArgumentParser
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A language-model provider on loopback for latency measurements: OpenAI's Chat Completions, answered at once
/// with a fixed short answer and its usage.
///
/// It is the far end of every leg of the gateway benchmark (direct, through Chorus, through another gateway), so its
/// own cost is common to all of them; it is kept to a few tens of microseconds a request on one thread.
@main
struct LLMUpstream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-upstream",
        abstract: "Serves OpenAI Chat Completions on loopback with a fixed answer, for latency benchmarks.",
        discussion: """
            POST /v1/chat/completions answers (streams with "stream": true, with a usage chunk when \
            stream_options.include_usage is true). POST /fail/v1/chat/completions always answers 500, for a \
            deployment that must fall back. GET /health answers 200.
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one and prints it).")
    var port = 8300

    @Option(help: "Event-loop threads.")
    var threads = 1

    @Option(name: .customLong("delay-ms"), help: "Milliseconds to wait before each answer.")
    var delayMilliseconds = 0.0

    @Option(help: "Share of /v1/chat/completions requests answered with 500 (0 to 1).")
    var failFraction = 0.0

    @Option(help: "The assistant's answer.")
    var answer = "Your order 4711 left our warehouse this morning and will arrive tomorrow."

    mutating func validate() throws {
        guard (0...1).contains(failFraction) else { throw ValidationError("--fail-fraction must be from 0 to 1.") }
        guard delayMilliseconds >= 0 else { throw ValidationError("--delay-ms must not be negative.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    func run() throws {
        let behaviour = UpstreamBehaviour(
            answer: CompletionAnswer(text: answer),
            delay: .nanoseconds(Int64(delayMilliseconds * 1_000_000)),
            failFraction: failFraction
        )
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ChatCompletionHandler(behaviour: behaviour))
                }
            }
            .bind(host: host, port: port)
            .wait()
        let bound = channel.localAddress?.port ?? port
        report("llm-upstream listening on http://\(host):\(bound) (\(threads) thread(s))\n")
        try channel.closeFuture.wait()
        try group.syncShutdownGracefully()
    }

    /// Writes straight to standard error, unbuffered, so a script reading it sees the line at once.
    private func report(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            _ = write(2, bytes.baseAddress, bytes.count)
        }
    }
}
