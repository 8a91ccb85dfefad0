import ArgumentParser
import NIOCore
import NIOPosix

/// The Chorus command line: serve the API, migrate the database, seed sample tenants, create secrets, check flows.
@main
struct Chorus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chorus",
        abstract: "Chorus, a multi-tenant conversational AI platform.",
        subcommands: [Serve.self, Migrate.self, Seed.self, Secrets.self, Audit.self, Keys.self, Flow.self]
    )

    /// Runs the command with SwiftNIO's event loops as Swift Concurrency's executor, installed first thing on the main
    /// thread: a request's tasks then run on the event loops that do its I/O, instead of hopping between them and a
    /// second thread pool on every `await` (a model call through the gateway makes a dozen such hops).
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
