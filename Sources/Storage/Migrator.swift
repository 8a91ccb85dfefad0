public import Foundation
public import Logging
import Crypto
import NIOPosix
import PostgresNIO

/// Applies the SQL files of `Migrations/` in order, each once, under an advisory lock, recording each file's
/// SHA-256. A file that changed after it was applied stops the run.
///
/// It connects as the operator, creates the owner and application roles and the `chorus` schema if they are
/// missing, and runs every file as the owner role, so the owner owns every object.
public struct Migrator: Sendable {
    /// One migration file.
    public struct Migration: Sendable, Equatable {
        /// The file name, for example `0001_tenancy.sql`; it orders the files.
        public var name: String
        /// The file's SQL.
        public var sql: String
        /// Hex SHA-256 of the SQL.
        public var checksum: String

        /// Creates a migration from a file's contents.
        public init(name: String, sql: String) {
            self.name = name
            self.sql = sql
            self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
        }
    }

    /// The role that owns the schema.
    public static let ownerRole = "chorus_owner"
    /// The role the server logs in as.
    public static let applicationRole = "chorus_app"
    /// Arbitrary but fixed key of the migration advisory lock.
    static let lockKey: Int64 = 0x63_68_6f_72_75_73

    let url: DatabaseURL
    let logger: Logger

    /// Creates a migrator that connects to `url` as the operator.
    public init(url: DatabaseURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// Reads `*.sql` files from a folder, ordered by name.
    /// - Throws: when the folder cannot be read.
    public static func load(from folder: URL) throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        return try names.map { name in
            Migration(name: name, sql: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        }
    }

    /// Applies the migrations not yet applied.
    /// - Parameters:
    ///   - migrations: every migration, in order.
    ///   - applicationPassword: if given, set as the application role's password.
    /// - Returns: the names of the migrations applied by this run.
    /// - Throws: `StorageError.migration` when an applied file changed or a statement fails.
    @discardableResult
    public func migrate(_ migrations: [Migration], applicationPassword: String?) async throws -> [String] {
        let connection = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(),
            configuration: url.connectionConfiguration,
            id: 1,
            logger: logger
        )
        do {
            let applied = try await migrate(migrations, applicationPassword: applicationPassword, on: connection)
            try await connection.close()
            return applied
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func run(_ sql: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
    }

    private func migrate(
        _ migrations: [Migration],
        applicationPassword: String?,
        on connection: PostgresConnection
    ) async throws -> [String] {
        // Session-level lock: a second `chorus migrate` waits here until the first one is done.
        try await run("SELECT pg_advisory_lock(\(Self.lockKey))", on: connection)
        try await bootstrap(applicationPassword: applicationPassword, on: connection)

        var recorded: [String: String] = [:]
        let rows = try await connection.query("SELECT name, checksum FROM chorus.schema_migrations", logger: logger)
        for try await (name, checksum) in rows.decode((String, String).self) { recorded[name] = checksum }

        for migration in migrations {
            if let checksum = recorded[migration.name], checksum != migration.checksum {
                throw StorageError(
                    .migration,
                    "\(migration.name) was changed after it was applied (recorded \(checksum.prefix(12)), file \(migration.checksum.prefix(12))); add a new migration instead"
                )
            }
        }
        let known = Set(migrations.map(\.name))
        if let unknown = recorded.keys.sorted().first(where: { !known.contains($0) }) {
            logger.warning("the database has a migration this build does not know", metadata: ["migration": "\(unknown)"])
        }

        var applied: [String] = []
        for migration in migrations where recorded[migration.name] == nil {
            try await run("BEGIN", on: connection)
            do {
                try await run("SET LOCAL ROLE \(Self.ownerRole)", on: connection)
                try await run("SET LOCAL search_path = chorus, pg_temp", on: connection)
                for statement in SQLScript.statements(migration.sql) {
                    try await run(statement, on: connection)
                }
                _ = try await connection.query(
                    "INSERT INTO chorus.schema_migrations (name, checksum) VALUES (\(migration.name), \(migration.checksum))",
                    logger: logger
                ).collect()
                try await run("COMMIT", on: connection)
            } catch {
                try? await run("ROLLBACK", on: connection)
                throw StorageError(.migration, "\(migration.name) failed: \(String(reflecting: error))")
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            applied.append(migration.name)
        }
        try await run("SELECT pg_advisory_unlock(\(Self.lockKey))", on: connection)
        return applied
    }

    /// Roles, schema and the migrations table. Idempotent.
    private func bootstrap(applicationPassword: String?, on connection: PostgresConnection) async throws {
        try await run(
            """
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.ownerRole)') THEN
                    CREATE ROLE \(Self.ownerRole) NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
                END IF;
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(Self.applicationRole)') THEN
                    CREATE ROLE \(Self.applicationRole) LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
                END IF;
            END $$
            """,
            on: connection
        )
        // The application role must stay unprivileged even if someone altered it by hand: refuse to go on.
        let flags = try await connection.query(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = \(Self.applicationRole)",
            logger: logger
        )
        for try await (superuser, bypassRLS) in flags.decode((Bool, Bool).self) where superuser || bypassRLS {
            throw StorageError(.migration, "\(Self.applicationRole) must be NOSUPERUSER and NOBYPASSRLS")
        }
        if let applicationPassword {
            let quoted = "'" + applicationPassword.replacingOccurrences(of: "'", with: "''") + "'"
            try await run("ALTER ROLE \(Self.applicationRole) PASSWORD \(quoted)", on: connection)
        }
        try await run("GRANT \(Self.ownerRole) TO CURRENT_USER", on: connection)
        try await run("CREATE SCHEMA IF NOT EXISTS chorus AUTHORIZATION \(Self.ownerRole)", on: connection)
        try await run("REVOKE ALL ON SCHEMA chorus FROM PUBLIC", on: connection)
        try await run("GRANT USAGE ON SCHEMA chorus TO \(Self.applicationRole)", on: connection)
        try await run("SET ROLE \(Self.ownerRole)", on: connection)
        try await run(
            """
            CREATE TABLE IF NOT EXISTS chorus.schema_migrations (
                name       text PRIMARY KEY,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            on: connection
        )
        try await run("RESET ROLE", on: connection)
    }
}
