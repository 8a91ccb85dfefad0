import NIOCore

/// How the simulator answers, the same for every connection.
struct UpstreamBehaviour: Sendable {
    /// The fixed answer.
    var answer: CompletionAnswer
    /// Time to wait before answering; zero answers at once.
    var delay: TimeAmount
    /// The share of `/v1/chat/completions` requests answered with 500, from 0 to 1.
    var failFraction: Double
}
