public import Foundation
import Logging
import PostgresNIO

/// Lookups that must happen before the tenant is known. Each is a narrow SECURITY DEFINER function owned by the
/// schema owner; the application role has no privilege on the tables behind them.
public struct Directory: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// The tenant a login slug names.
    public func tenant(slug: String) async throws -> UUID? {
        let rows = try await client.query("SELECT tenant_id FROM tenant_by_slug(\(slug))", logger: logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }

    /// The tenant and key an API key's visible prefix names.
    public func apiKey(prefix: String) async throws -> (tenantID: UUID, keyID: UUID)? {
        let rows = try await client.query("SELECT tenant_id, key_id FROM api_key_by_prefix(\(prefix))", logger: logger)
        for try await (tenant, key) in rows.decode((UUID, UUID).self) { return (tenant, key) }
        return nil
    }

    /// Every tenant, in id order, for the operator.
    public func tenants(after: UUID?, limit: Int) async throws -> [TenantRecord] {
        let rows = try await client.query(
            "SELECT \(unescaped: Reads.tenantColumns) FROM operator_list_tenants(\(after), \(Int32(clamping: limit)))",
            logger: logger
        )
        var result: [TenantRecord] = []
        for try await row in rows.decode(TenantRecord.Columns.self) { result.append(TenantRecord(row)) }
        return result
    }
}
