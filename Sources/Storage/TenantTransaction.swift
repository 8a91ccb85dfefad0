public import Foundation
import Logging
public import PostgresNIO

/// An open transaction confined to one tenant by row-level security. Only `Database.withTenant` makes one.
public struct TenantTransaction: Sendable {
    let connection: PostgresConnection
    /// The tenant every statement is confined to.
    public let tenantID: UUID
    /// What the caller's credential granted on entry.
    public let entry: TenantEntry
    let logger: Logger

    /// Runs a statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await connection.query(query, logger: logger)
    }

    /// Runs a statement, mapping a unique violation to `StorageError.uniqueViolation`.
    public func execute(_ query: PostgresQuery, conflict: String) async throws {
        do {
            _ = try await connection.query(query, logger: logger).collect()
        } catch let error as PSQLError where error.isUniqueViolation {
            throw StorageError(.uniqueViolation, conflict)
        }
    }
}
