public import Foundation
import PostgresNIO

/// A tenant row.
public struct TenantRecord: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// Its login name.
    public var slug: String
    /// Its display name.
    public var name: String
    /// Its plan.
    public var plan: String
    /// `active` or `suspended`.
    public var status: String
    /// When it was created.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date

    typealias Columns = (UUID, String, String, String, String, Date, Date)

    init(_ row: Columns) {
        (id, slug, name, plan, status, createdAt, updatedAt) = row
    }
}

extension TenantTransaction {
    /// The tenant of this transaction.
    public func tenant() async throws -> TenantRecord {
        let rows = try await query("SELECT \(unescaped: Reads.tenantColumns) FROM tenants")
        for try await row in rows.decode(TenantRecord.Columns.self) { return TenantRecord(row) }
        throw StorageError(.tenantNotFound, "tenant \(tenantID) does not exist")
    }

    /// Changes the tenant's name, plan or status; nil leaves a field as it is.
    public func updateTenant(name: String?, plan: String?, status: String?) async throws -> TenantRecord {
        let rows = try await query(
            """
            UPDATE tenants SET name = coalesce(\(name), name), plan = coalesce(\(plan), plan),
                   status = coalesce(\(status), status), updated_at = now()
            RETURNING \(unescaped: Reads.tenantColumns)
            """
        )
        for try await row in rows.decode(TenantRecord.Columns.self) { return TenantRecord(row) }
        throw StorageError(.tenantNotFound, "tenant \(tenantID) does not exist")
    }

    /// Deletes the tenant and, by cascade, everything it owns.
    public func deleteTenant() async throws {
        _ = try await query("DELETE FROM tenants WHERE tenant_id = \(tenantID)").collect()
    }
}
