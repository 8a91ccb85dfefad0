import Foundation
import PostgresNIO
import SecurityHub
import Storage
import Testing

@Suite struct FlowRecordTests {
    /// The SQLSTATE a statement run as the schema owner, with the tenant set, fails with.
    static func ownerState(_ tenant: UUID, _ sql: String) async throws -> String? {
        try await TestEnvironment.withConnection("CHORUS_TEST_OPERATOR_DATABASE_URL") { connection async throws in
            try await connection.texts("BEGIN")
            try await connection.texts("SET LOCAL ROLE chorus_owner")
            try await connection.texts("SELECT set_config('app.tenant_id', '\(tenant)', true)")
            #expect(try await connection.count("SELECT count(*) FROM flow_versions") > 0, "the tenant has versions")
            let state = await connection.sqlState(sql)
            try await connection.texts("ROLLBACK")
            return state
        }
    }

    @Test func publishedVersionsCannotBeChangedOrDeletedByAnyRole() async throws {
        let (tenant, _) = try await TestEnvironment.withDatabase { try await RowLevelSecurityTests.seedTwoTenants($0) }
        for sql in ["UPDATE flow_versions SET definition = '{}'", "DELETE FROM flow_versions WHERE version = 1"] {
            try await TestEnvironment.withConnection("CHORUS_TEST_DATABASE_URL") { connection async throws in
                try await connection.texts("BEGIN")
                try await connection.texts("SELECT set_config('app.tenant_id', '\(tenant)', true)")
                #expect(await connection.sqlState(sql) == "42501", "the application role: \(sql)")
                try await connection.texts("ROLLBACK")
            }
            // The owner has the privilege; the trigger refuses it.
            let state = try await Self.ownerState(tenant, sql)
            #expect(state == "23001", "the owner role: \(sql)")
        }
        let definitions = try await TestEnvironment.withDatabase { database in
            try await database.withTenant(tenant) { tx in
                try await tx.flowVersion(flowID: "welcome", version: 1)?.definition
            }
        }
        #expect(definitions == #"{"id":"welcome"}"#)
    }

    @Test func concurrentPublishesTakeConsecutiveNumbers() async throws {
        try await TestEnvironment.withDatabase { database async throws in
            let (tenant, _) = try await RowLevelSecurityTests.seedTwoTenants(database)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask { () async throws -> Void in
                        try await database.withTenant(tenant) { tx in
                            // As the publish route does: lock the flow, then number the version.
                            _ = try #require(try await tx.flow(id: "welcome", lock: true))
                            _ = try await tx.publishFlowVersion(flowID: "welcome", definition: #"{"id":"welcome"}"#,
                                                                message: "race \(index)", by: "member:test", makeLive: true)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let versions = try await database.withTenant(tenant) { tx in try await tx.flowVersions(flowID: "welcome") }
            // seedTwoTenants publishes 1 and 2.
            #expect(versions.map(\.version) == Array((1...14).reversed()))
            let flow = try await database.withTenant(tenant) { tx in try await tx.flow(id: "welcome") }
            #expect(flow?.latestVersion == 14 && flow?.liveVersion == 14)
        }
    }

    @Test func deletingATenantRemovesItsFlowsAndVersions() async throws {
        let tenant = try await TestEnvironment.withDatabase { database async throws in
            let (tenant, other) = try await RowLevelSecurityTests.seedTwoTenants(database)
            // The cascade passes the trigger that keeps versions from being deleted.
            try await database.withTenant(tenant) { tx in try await tx.deleteTenant() }
            await #expect(throws: StorageError.self) { try await database.withTenant(tenant) { _ in } }
            let remaining = try await database.withTenant(other) { tx in try await tx.flowVersions(flowID: "welcome") }
            #expect(remaining.count == 2)
            return tenant
        }
        try await TestEnvironment.withConnection("CHORUS_TEST_OPERATOR_DATABASE_URL") { connection async throws in
            try await connection.texts("BEGIN")
            try await connection.texts("SET LOCAL ROLE chorus_owner")
            try await connection.texts("SELECT set_config('app.tenant_id', '\(tenant)', true)")
            for table in ["flows", "flow_versions", "flow_experiments", "flow_bindings"] {
                #expect(try await connection.count("SELECT count(*) FROM \(table)") == 0, "\(table) keeps the deleted tenant's rows")
            }
            try await connection.texts("ROLLBACK")
        }
    }
}
