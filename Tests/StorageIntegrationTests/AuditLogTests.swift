import Foundation
import PostgresNIO
import SecurityHub
import Storage
import Testing

@Suite struct AuditLogTests {
    /// A tenant with `count` audit entries.
    static func tenantWithLog(_ database: Database, count: Int) async throws -> UUID {
        let (a, _) = try await RowLevelSecurityTests.seedTwoTenants(database)
        try await database.withTenant(a) { tx in
            for index in 0..<count {
                try await tx.appendAudit { seq in
                    AuditRecord(seq: seq, tenantID: a, occurredAtMicros: 1_700_000_000_000_000 + Int64(index),
                                actorType: "member", actorID: "m", action: "test.\(index)", resourceType: "test",
                                resourceID: nil, requestID: nil, clientAddress: nil, summary: "{}")
                }
            }
        }
        return a
    }

    static func verify(_ database: Database, _ tenant: UUID) async throws -> AuditChain.Break? {
        AuditChain.verify(try await database.withTenant(tenant) { tx in try await tx.auditChain() })
    }

    /// Runs SQL as the schema owner with the tenant set, as someone with the owner's password could.
    static func asOwner(_ tenant: UUID, _ sql: String) async throws {
        try await TestEnvironment.withConnection("CHORUS_TEST_OPERATOR_DATABASE_URL") { connection async throws in
            try await connection.texts("BEGIN")
            try await connection.texts("SET LOCAL ROLE chorus_owner")
            try await connection.texts("SELECT set_config('app.tenant_id', '\(tenant)', true)")
            try await connection.texts(sql)
            try await connection.texts("COMMIT")
        }
    }

    @Test func appendsFormAChainThatVerifies() async throws {
        try await TestEnvironment.withDatabase { database async throws in
            let tenant = try await Self.tenantWithLog(database, count: 4)
            let chain = try await database.withTenant(tenant) { tx in try await tx.auditChain() }
            // seedTwoTenants writes one entry first.
            #expect(chain.map(\.record.seq) == [1, 2, 3, 4, 5])
            #expect(AuditChain.verify(chain) == nil)
        }
    }

    @Test func concurrentAppendsNeverFork() async throws {
        try await TestEnvironment.withDatabase { database async throws in
            let tenant = try await Self.tenantWithLog(database, count: 0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask { () async throws -> Void in
                        try await database.withTenant(tenant) { tx in
                            _ = try await tx.appendAudit { seq in
                                AuditRecord(seq: seq, tenantID: tenant, occurredAtMicros: Int64(index), actorType: "member",
                                            actorID: nil, action: "race", resourceType: "test", resourceID: nil,
                                            requestID: nil, clientAddress: nil, summary: "{}")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let chain = try await database.withTenant(tenant) { tx in try await tx.auditChain() }
            #expect(chain.count == 21)
            #expect(AuditChain.verify(chain) == nil)
        }
    }

    @Test func theApplicationRoleCannotChangeOrDeleteEntries() async throws {
        let tenant = try await TestEnvironment.withDatabase { try await Self.tenantWithLog($0, count: 2) }
        try await TestEnvironment.withConnection("CHORUS_TEST_DATABASE_URL") { connection async throws in
            try await connection.texts("BEGIN")
            try await connection.texts("SELECT set_config('app.tenant_id', '\(tenant)', true)")
            #expect(await connection.sqlState("UPDATE audit_log SET summary = '{}' WHERE seq = 1") == "42501")
            try await connection.texts("ROLLBACK")
            try await connection.texts("BEGIN")
            try await connection.texts("SELECT set_config('app.tenant_id', '\(tenant)', true)")
            #expect(await connection.sqlState("DELETE FROM audit_log WHERE seq = 1") == "42501")
            try await connection.texts("ROLLBACK")
        }
    }

    @Test func anOwnerEditIsFoundAtTheEditedEntry() async throws {
        try await TestEnvironment.withDatabase { database async throws in
            let tenant = try await Self.tenantWithLog(database, count: 4)
            try await Self.asOwner(tenant, #"UPDATE chorus.audit_log SET summary = '{"forged":"yes"}' WHERE seq = 3"#)
            #expect(try await Self.verify(database, tenant) == AuditChain.Break(seq: 3, reason: "hash-mismatch"))
        }
    }

    @Test func anOwnerDeletionIsFoundWhereTheGapIs() async throws {
        try await TestEnvironment.withDatabase { database async throws in
            let tenant = try await Self.tenantWithLog(database, count: 4)
            try await Self.asOwner(tenant, "DELETE FROM chorus.audit_log WHERE seq = 2")
            #expect(try await Self.verify(database, tenant) == AuditChain.Break(seq: 2, reason: "missing"))
            let truncated = try await Self.tenantWithLog(database, count: 4)
            // Dropping the newest entries leaves a valid but shorter chain: only a checkpoint proves it.
            try await Self.asOwner(truncated, "DELETE FROM chorus.audit_log WHERE seq > 3")
            #expect(try await Self.verify(database, truncated) == nil)
        }
    }
}
