import Foundation
import Logging
import PostgresNIO
import Storage
import Testing

/// Addresses of the servers `make test` starts. A test that needs one fails with a clear message when it is
/// missing, rather than being skipped: PostgreSQL and Redis are not optional.
enum TestEnvironment {
    static func value(_ name: String) throws -> String {
        try #require(
            ProcessInfo.processInfo.environment[name],
            "\(name) is not set: run the suite with `make test`, which starts PostgreSQL and Redis"
        )
    }

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `body` with a running pool as the application role.
    static func withDatabase<R: Sendable>(_ body: @Sendable (Database) async throws -> R) async throws -> R {
        let database = Database(url: try DatabaseURL(try value("CHORUS_TEST_DATABASE_URL")), maximumConnections: 4,
                                logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.client.run() }
            defer { group.cancelAll() }
            return try await body(database)
        }
    }

    /// A plain connection, for tests that must run SQL outside the scoped API.
    static func withConnection<R: Sendable>(
        _ urlVariable: String,
        _ body: @Sendable (PostgresConnection) async throws -> R
    ) async throws -> R {
        let url = try DatabaseURL(try value(urlVariable))
        var configuration = url.connectionConfiguration
        configuration.options.additionalStartupParameters = [("search_path", "chorus")]
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

extension PostgresConnection {
    /// Runs trusted test SQL and returns the first column of every row as text.
    @discardableResult
    func texts(_ sql: String) async throws -> [String?] {
        var values: [String?] = []
        for try await row in try await query(PostgresQuery(unsafeSQL: sql), logger: TestEnvironment.logger) {
            values.append(try row.first?.decode(String?.self))
        }
        return values
    }

    func count(_ sql: String) async throws -> Int {
        let rows = try await query(PostgresQuery(unsafeSQL: sql), logger: TestEnvironment.logger)
        for try await value in rows.decode(Int.self) { return value }
        return -1
    }

    /// The SQLSTATE a statement fails with, or nil when it succeeds.
    func sqlState(_ sql: String) async -> String? {
        do {
            _ = try await query(PostgresQuery(unsafeSQL: sql), logger: TestEnvironment.logger).collect()
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.sqlState] ?? "client:\(error.code)"
        } catch {
            return "other:\(error)"
        }
    }
}
