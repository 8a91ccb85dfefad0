public import Foundation
public import Logging
public import PostgresNIO

/// The system of record: a pool of connections as the application role.
///
/// Tenant tables are reachable only through `withTenant`, which opens a transaction and sets the tenant for it.
/// The few lookups that happen before a tenant is known go through the narrow SECURITY DEFINER functions
/// exposed by `Directory`.
public struct Database: Sendable {
    /// The pool. Run it as a service (`client.run()`) for the lifetime of the process.
    public let client: PostgresClient
    let logger: Logger

    /// Creates a pool for `url`, logging in as the application role.
    public init(url: DatabaseURL, maximumConnections: Int = 20, logger: Logger) {
        var configuration =
            if let socket = url.socketPath {
                PostgresClient.Configuration(
                    unixSocketPath: socket,
                    username: url.username,
                    password: url.password,
                    database: url.database
                )
            } else {
                PostgresClient.Configuration(
                    host: url.host,
                    port: url.port,
                    username: url.username,
                    password: url.password,
                    database: url.database,
                    tls: .disable
                )
            }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = min(2, maximumConnections)
        configuration.options.additionalStartupParameters = [("search_path", "chorus"), ("application_name", "chorus")]
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs `body` in one transaction with the tenant set (`set_config('app.tenant_id', …, true)`), after
    /// reading what `principal` is still allowed now. Commits when `body` returns, rolls back when it throws.
    ///
    /// - Parameters:
    ///   - tenantID: the tenant every statement of the transaction is confined to by row-level security.
    ///   - principal: the member and API key whose current state is read on entry, if any.
    ///   - body: the work; it receives the transaction and must not keep it.
    /// - Throws: `StorageError.tenantNotFound` when the tenant does not exist; whatever `body` throws.
    public func withTenant<Result>(
        _ tenantID: UUID,
        principal: TenantEntry.Principal = .none,
        _ body: (TenantTransaction) async throws -> sending Result
    ) async throws -> sending Result {
        try await transaction { connection in
            let entry = try await TenantEntry.enter(tenantID, principal: principal, on: connection, logger: logger)
            return try await body(TenantTransaction(connection: connection, tenantID: tenantID, entry: entry, logger: logger))
        }
    }

    /// Creates a tenant row and runs `body` in the same transaction with the new tenant set, so the tenant and its
    /// first owner appear together or not at all.
    /// - Throws: `StorageError.uniqueViolation` when the id or slug is taken.
    public func withNewTenant<Result>(
        _ tenant: NewTenant,
        _ body: (TenantTransaction) async throws -> sending Result
    ) async throws -> sending Result {
        try await transaction { connection in
            _ = try await connection.query(
                "SELECT set_config('app.tenant_id', \(tenant.id.uuidString), true)",
                logger: logger
            ).collect()
            do {
                _ = try await connection.query(
                    """
                    INSERT INTO tenants (tenant_id, slug, name, plan)
                    VALUES (\(tenant.id), \(tenant.slug), \(tenant.name), \(tenant.plan))
                    """,
                    logger: logger
                ).collect()
            } catch let error as PSQLError where error.isUniqueViolation {
                throw StorageError(.uniqueViolation, "tenant slug \(tenant.slug) is taken")
            }
            let entry = TenantEntry(tenantStatus: "active")
            return try await body(TenantTransaction(connection: connection, tenantID: tenant.id, entry: entry, logger: logger))
        }
    }

    /// BEGIN, `body`, COMMIT; ROLLBACK and rethrow `body`'s own error when it throws.
    private func transaction<Result>(
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        try await client.withConnection { connection in
            _ = try await connection.execute(Statements.Begin(), logger: logger)
            let result: Result
            do {
                result = try await body(connection)
            } catch {
                // A failed rollback means a broken connection, which the pool discards; the caller still gets the
                // error that caused it.
                _ = try? await connection.query("ROLLBACK", logger: logger).collect()
                throw error
            }
            _ = try await connection.execute(Statements.Commit(), logger: logger)
            return result
        }
    }

    /// Lookups that happen before the tenant is known.
    public var directory: Directory { Directory(client: client, logger: logger) }

    /// Whether the database answers, for readiness checks.
    public func ping() async -> Bool {
        do {
            _ = try await client.query("SELECT 1", logger: logger).collect()
            return true
        } catch {
            return false
        }
    }
}

/// A tenant to create.
public struct NewTenant: Sendable {
    /// Its id.
    public var id: UUID
    /// Its unique, URL-safe name used at login.
    public var slug: String
    /// Its display name.
    public var name: String
    /// Its plan.
    public var plan: String

    /// Creates a description of a tenant to create.
    public init(id: UUID, slug: String, name: String, plan: String) {
        self.id = id
        self.slug = slug
        self.name = name
        self.plan = plan
    }
}

extension PSQLError {
    /// Whether a unique constraint rejected the statement (SQLSTATE 23505).
    public var isUniqueViolation: Bool { serverInfo?[.sqlState] == "23505" }
}
