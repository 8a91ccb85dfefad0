import ChorusCore
import Foundation
public import Hummingbird
import Hiredis
import ModelOrchestrator
public import Logging
public import Prometheus
import SecurityHub
import ServiceLifecycle
import Storage

/// Builds the Chorus HTTP application: routes, middleware and the services it runs (the PostgreSQL pool, the
/// Redis client). Run it with `runService()`, which stops gracefully on SIGTERM and SIGINT.
/// - Parameters:
///   - configuration: where everything is and the secrets.
///   - registry: where metrics are collected; `/metrics` serves it.
///   - logger: the application logger.
/// - Throws: when the signing keys are not usable.
public func buildApplication(
    configuration: ServerConfiguration,
    registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    logger: Logger
) async throws -> some ApplicationProtocol {
    let services = try await AppServices(configuration: configuration, logger: logger)
    let (router, _) = buildRouter(services: services, registry: registry)
    return Application(
        router: router,
        server: .loopBoundHTTP1(),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "chorus"),
        services: [services.database.client, RedisLifecycle(redis: services.redis), ModelLifecycle(models: services.models)],
        logger: logger
    )
}

extension AppServices {
    init(configuration: ServerConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.database = Database(
            url: configuration.database,
            maximumConnections: configuration.databaseMaxConnections,
            logger: logger
        )
        self.redis = RedisClient(configuration: configuration.redis)
        self.tokens = try await TokenService(
            keys: configuration.signingKeys,
            signingKeyID: configuration.signingKeyID,
            issuer: configuration.issuer,
            audience: configuration.audience,
            lifetime: configuration.accessTokenLifetime
        )
        self.passwords = PasswordHasher(cost: configuration.bcryptCost)
        self.auditSigner = AuditSigner(key: configuration.auditSigningKey)
        self.vault = SecretVault(ring: configuration.masterKeys)
        self.admission = Admission(
            limiter: RateLimiter(redis: redis, keyPrefix: configuration.rateLimits.keyPrefix, logger: logger),
            settings: configuration.rateLimits
        )
        self.models = ModelService(
            database: database, vault: vault, redis: redis, keyPrefix: configuration.rateLimits.keyPrefix, logger: logger
        )
    }
}

/// Every route, with the middleware in front of them.
/// - Returns: the router and the catalog of routes with their access.
func buildRouter(
    services: AppServices,
    registry: PrometheusCollectorRegistry
) -> (Router<ChorusRequestContext>, [RouteEntry]) {
    let router = Router(context: ChorusRequestContext.self)
    router.add(middleware: ProblemMiddleware(
        maxBodyBytes: services.configuration.maxBodyBytes,
        trustedProxies: services.configuration.trustedProxies
    ))
    router.add(middleware: RequestMetricsMiddleware())
    let api = APIRoutes(router: router, services: services)
    HealthController(registry: registry).register(on: api)
    AuthController().register(on: api)
    OperatorController().register(on: api)
    TenantController().register(on: api)
    MemberController().register(on: api)
    APIKeyController().register(on: api)
    AuditController().register(on: api)
    PIIController().register(on: api)
    FlowController().register(on: api)
    ModelController().register(on: api)
    PromptController().register(on: api)
    ChatCompletionsController().register(on: api)
    return (router, api.catalog)
}

/// Writes model usage in batches while the application runs, and what is left when it stops.
struct ModelLifecycle: Service {
    let models: ModelService

    func run() async throws {
        let writer = Task { await models.recorder.run() }
        try? await gracefulShutdown()
        writer.cancel()
        await writer.value
        // The writer's own last flush ran cancelled; this one runs in the lifecycle's task, which is not.
        await models.flushUsage()
        await models.shutdownTransport()
    }
}

/// Closes Redis connections when the application shuts down.
struct RedisLifecycle: Service {
    let redis: RedisClient

    func run() async throws {
        try? await gracefulShutdown()
        try await redis.shutdown()
    }
}
