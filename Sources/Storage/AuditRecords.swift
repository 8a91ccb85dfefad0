public import Foundation
import PostgresNIO
public import SecurityHub

extension TenantTransaction {
    private static let auditColumns = """
        seq, occurred_at_micros, actor_type, actor_id, action, resource_type, resource_id, request_id, \
        client_address, summary, previous_hash, hash
        """

    /// Appends an entry to the tenant's chain. Appends of one tenant are serialised by a transaction-level
    /// advisory lock, so the chain never forks; other tenants are not held up.
    /// - Parameter make: builds the entry for the sequence number it will get.
    /// - Returns: the stored link.
    @discardableResult
    public func appendAudit(_ make: (Int64) -> AuditRecord) async throws -> AuditChain.Link {
        _ = try await query("SELECT pg_advisory_xact_lock(hashtextextended('chorus.audit:' || \(tenantID)::text, 0))")
            .collect()
        var last: (Int64, String)?
        let rows = try await query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        for try await row in rows.decode((Int64, String).self) { last = row }
        var record = make((last?.0 ?? 0) + 1)
        record.tenantID = tenantID
        let previous = last?.1 ?? AuditChain.genesis
        let hash = AuditChain.hash(previous: previous, record: record)
        _ = try await query(
            """
            INSERT INTO audit_log (tenant_id, seq, occurred_at_micros, actor_type, actor_id, action, resource_type,
                                   resource_id, request_id, client_address, summary, previous_hash, hash)
            VALUES (\(tenantID), \(record.seq), \(record.occurredAtMicros), \(record.actorType), \(record.actorID),
                    \(record.action), \(record.resourceType), \(record.resourceID), \(record.requestID),
                    \(record.clientAddress), \(record.summary), \(previous), \(hash))
            """
        ).collect()
        return AuditChain.Link(record: record, previous: previous, hash: hash)
    }

    /// Entries after `afterSeq`, oldest first, optionally filtered.
    public func auditEntries(
        afterSeq: Int64,
        limit: Int,
        action: String? = nil,
        actorID: String? = nil,
        resourceType: String? = nil
    ) async throws -> [AuditChain.Link] {
        try await links(
            """
            SELECT \(unescaped: Self.auditColumns) FROM audit_log
             WHERE seq > \(afterSeq)
               AND (\(action)::text IS NULL OR action = \(action))
               AND (\(actorID)::text IS NULL OR actor_id = \(actorID))
               AND (\(resourceType)::text IS NULL OR resource_type = \(resourceType))
             ORDER BY seq LIMIT \(Int64(limit))
            """
        )
    }

    /// The whole chain, oldest first, for verification.
    public func auditChain() async throws -> [AuditChain.Link] {
        try await links("SELECT \(unescaped: Self.auditColumns) FROM audit_log ORDER BY seq")
    }

    /// The newest entry.
    public func auditHead() async throws -> AuditChain.Link? {
        try await links("SELECT \(unescaped: Self.auditColumns) FROM audit_log ORDER BY seq DESC LIMIT 1").first
    }

    private func links(_ statement: PostgresQuery) async throws -> [AuditChain.Link] {
        var result: [AuditChain.Link] = []
        let columns = (Int64, Int64, String, String?, String, String, String?, String?, String?, String, String, String)
            .self
        for try await c in try await query(statement).decode(columns) {
            let record = AuditRecord(
                seq: c.0, tenantID: tenantID, occurredAtMicros: c.1, actorType: c.2, actorID: c.3, action: c.4,
                resourceType: c.5, resourceID: c.6, requestID: c.7, clientAddress: c.8, summary: c.9
            )
            result.append(AuditChain.Link(record: record, previous: c.10, hash: c.11))
        }
        return result
    }
}
