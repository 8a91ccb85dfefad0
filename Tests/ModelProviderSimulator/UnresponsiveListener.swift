import NIOCore
import NIOPosix

/// A TCP listener on loopback that never accepts and whose backlog is full, so that connecting to it hangs: what a
/// provider behind a firewall that drops packets looks like, without sending anything off the machine.
public enum UnresponsiveListener {
    /// Runs `body` with the port of such a listener.
    /// - Throws: What `body` throws, or ``SimulatorError`` when the backlog cannot be filled.
    public static func run<Result: Sendable>(_ body: @Sendable (_ port: Int) async throws -> Result) async throws
        -> Result
    {
        let group = MultiThreadedEventLoopGroup.singleton
        // Not reading is not accepting: the kernel queues connections up to the backlog, then drops further SYNs.
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1)
            .serverChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0)
            .get()
        var fillers: [any Channel] = []
        func close() async {
            for channel in fillers { try? await channel.close() }
            try? await listener.close()
        }
        guard let port = listener.localAddress?.port else {
            await close()
            throw SimulatorError(message: "The unresponsive listener has no port.")
        }
        var full = false
        for _ in 0..<16 {
            do {
                fillers.append(
                    try await ClientBootstrap(group: group)
                        .connectTimeout(.milliseconds(200))
                        .connect(host: "127.0.0.1", port: port)
                        .get()
                )
            } catch {
                full = true
                break
            }
        }
        guard full else {
            await close()
            throw SimulatorError(message: "The unresponsive listener's backlog did not fill up.")
        }
        do {
            let result = try await body(port)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}
