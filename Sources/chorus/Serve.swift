import ArgumentParser
import ChorusCore
import ChorusServer
import Configuration
import Crypto
import Hummingbird
import Logging
import Metrics
import Prometheus
import SecurityHub
import ServiceLifecycle
import UnixSignals

/// `chorus serve`: runs the HTTP API until SIGTERM or SIGINT, then drains and stops.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the HTTP API (configured by CHORUS_* variables).")

    @Option(help: "Log format: json or text.")
    var logFormat: String = "json"

    func run() async throws {
        let reader = ConfigReader(providers: [EnvironmentVariablesProvider()])
        let configuration = try ServerConfiguration(reader: reader)
        let json = logFormat == "json"
        // Logs are platform-wide, not a tenant's: personal data in them is redacted, never hashed or encrypted.
        let masker = PIIMasker(tenantKey: SymmetricKey(size: .bits256))
        LoggingSystem.bootstrap { label -> any LogHandler in
            if json { return JSONLogHandler(label: label, level: configuration.logLevel, scrub: { masker.mask($0) }) }
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "chorus")
        let app = try await buildApplication(configuration: configuration, registry: registry, logger: logger)
        // SIGTERM or SIGINT starts a graceful shutdown: the server stops accepting, finishes in-flight requests,
        // then the database pool and the Redis client close.
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }
}
