import Crypto
import Foundation
import PostgresNIO
import SecurityHub
import Storage
import Testing

/// Tenant isolation at the database layer, discovered from the catalog: a table added later without RLS, or with
/// an index that tenant_id does not lead, fails here.
@Suite struct RowLevelSecurityTests {
    struct Table: Sendable {
        var name: String
        var columns: [String]
    }

    static let fixtureVault = SecretVault(ring: try! MasterKeyRing(keys: [1: SecretVaultTests.masterV1]))

    /// Two tenants with a row in every tenant table, written through the storage API.
    static func seedTwoTenants(_ database: Database) async throws -> (UUID, UUID) {
        var ids: [UUID] = []
        for _ in 0..<2 {
            let id = UUID()
            let slug = "rls-" + UUID().uuidString.prefix(8).lowercased()
            try await database.withNewTenant(NewTenant(id: id, slug: slug, name: "RLS \(slug)", plan: "standard")) { tx in
                let member = try await tx.insertMember(
                    NewMember(id: UUID(), email: "owner@\(slug).example", displayName: "Owner", role: "owner",
                              passwordHash: "x", inviteTokenHash: nil, inviteExpiresAt: nil, invitedBy: nil)
                )
                _ = try await tx.insertAPIKey(id: UUID(), prefix: "chk_" + UUID().uuidString.prefix(12).lowercased(),
                                              hash: "h", name: "k", scopes: ["tenant:read"], createdBy: member.id,
                                              expiresAt: nil)
                try await tx.insertRefreshToken(id: UUID(), familyID: UUID(), memberID: member.id,
                                                hash: UUID().uuidString, expiresAt: Date().addingTimeInterval(60))
                try await tx.appendAudit { seq in
                    AuditRecord(seq: seq, tenantID: id, occurredAtMicros: 0, actorType: "operator", actorID: nil,
                                action: "tenant.created", resourceType: "tenant", resourceID: nil, requestID: nil,
                                clientAddress: nil, summary: "{}")
                }
                try await tx.putSecret(name: "fixture", plaintext: "fixture-secret-value", vault: fixtureVault)
                _ = try await tx.insertPIIRecognizer(id: UUID(), name: "fixture", definition: #"{"entity":"fixture"}"#)
                try await tx.setPIIPolicy(#"{"maskBeforeModels":true}"#)
                _ = try await tx.insertFlow(id: "welcome", name: "Welcome", draft: #"{"id":"welcome"}"#, by: "member:fixture")
                for version in 1...2 {
                    _ = try await tx.publishFlowVersion(flowID: "welcome", definition: #"{"id":"welcome"}"#,
                                                        message: "v\(version)", by: "member:fixture", makeLive: true)
                }
                _ = try await tx.startFlowExperiment(id: UUID(), flowID: "welcome", name: "fixture",
                                                     arms: #"[{"version":1,"weight":1},{"version":2,"weight":1}]"#,
                                                     by: "member:fixture")
                _ = try await tx.setFlowBinding(channel: "web", entryFlow: "welcome", triggers: "[]", by: "member:fixture")
                _ = try await tx.putLLMProvider(
                    LLMProviderRecord(name: "fixture", kind: "openai", baseURL: "https://example.com/v1", sealedKey: "sealed", keyLast4: "1234"),
                    keepKey: false, by: "member:fixture"
                )
                _ = try await tx.putLLMRoute(name: "fixture", definition: #"{"targets":[]}"#, revision: nil, by: "member:fixture")
                try await tx.replaceLLMPrices([LLMPriceRecord(provider: "openai", model: "fixture", input: 1, output: 2, cachedInput: nil)])
                try await tx.replaceLLMBudgets([LLMBudgetRecord(scope: "*", softLimit: 1, hardLimit: 2, hardAction: "reject")])
                try await tx.putLLMSettings(LLMSettingsRecord(fallbackText: "fixture", requestsPerMinute: 1, tokensPerMinute: 1))
                _ = try await tx.appendLLMUsage([LLMUsageRow(
                    at: Date(), route: "fixture", target: "t", provider: "openai", model: "fixture", inputTokens: 1,
                    outputTokens: 1, cachedTokens: 0, reasoningTokens: 0, costMicros: 5, latencyMs: 1, outcome: "success", cacheHit: false
                )])
                _ = try await tx.insertLLMBudgetEvent(month: Date(), scope: "*", kind: "soft_limit_reached", spent: 5, limit: 1)
                _ = try await tx.insertPromptVersion(name: "fixture", template: #"{"system":"x"}"#, message: "v1", by: "member:fixture")
            }
            ids.append(id)
        }
        return (ids[0], ids[1])
    }

    /// Every table of the schema with a tenant_id column, and whether the application role may use it.
    static func discover(_ connection: PostgresConnection) async throws -> (tenant: [Table], directory: [String]) {
        let rows = try await connection.query(
            """
            SELECT c.relname::text, has_table_privilege('chorus_app', c.oid, 'SELECT,INSERT,UPDATE,DELETE'),
                   array_agg(a2.attname::text ORDER BY a2.attnum)
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'chorus'
              JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
              JOIN pg_attribute a2 ON a2.attrelid = c.oid AND a2.attnum > 0 AND NOT a2.attisdropped
             WHERE c.relkind IN ('r', 'p')
             GROUP BY c.relname, c.oid
             ORDER BY c.relname
            """,
            logger: TestEnvironment.logger
        )
        var tenant: [Table] = []
        var directory: [String] = []
        for try await (name, usable, columns) in rows.decode((String, Bool, [String]).self) {
            if usable { tenant.append(Table(name: name, columns: columns)) } else { directory.append(name) }
        }
        return (tenant, directory)
    }

    @Test func tenantTablesAreDeclaredForRowLevelSecurity() async throws {
        try await TestEnvironment.withConnection("CHORUS_TEST_OPERATOR_DATABASE_URL") { connection async throws in
            let (tables, directories) = try await Self.discover(connection)
            #expect(tables.count >= 4, "expected tenants, members, api_keys and refresh_tokens at least")
            for table in tables.map(\.name) + directories {
                let flags = try await connection.texts(
                    "SELECT relrowsecurity::text || ',' || relforcerowsecurity::text FROM pg_class WHERE oid = 'chorus.\(table)'::regclass"
                )
                #expect(flags == ["true,true"], "\(table): RLS must be ENABLEd and FORCEd")
            }
            for table in tables.map(\.name) {
                let policies = try await connection.texts(
                    "SELECT qual || ' / ' || coalesce(with_check, '') FROM pg_policies WHERE schemaname = 'chorus' AND tablename = '\(table)' AND 'chorus_owner' <> ALL(roles)"
                )
                #expect(policies.count == 1, "\(table): one tenant policy expected, found \(policies)")
                #expect(policies.allSatisfy { ($0 ?? "").components(separatedBy: "current_tenant()").count == 3 },
                        "\(table): the policy must check current_tenant() for reads and writes: \(policies)")
                let badIndexes = try await connection.texts(
                    """
                    SELECT i.indexrelid::regclass::text FROM pg_index i
                     WHERE i.indrelid = 'chorus.\(table)'::regclass
                       AND i.indkey[0] <> (SELECT attnum FROM pg_attribute WHERE attrelid = i.indrelid AND attname = 'tenant_id')
                    """
                )
                #expect(badIndexes.isEmpty, "\(table): tenant_id must lead every index, not \(badIndexes)")
                let primaryKey = try await connection.count(
                    "SELECT count(*) FROM pg_index WHERE indrelid = 'chorus.\(table)'::regclass AND indisprimary"
                )
                #expect(primaryKey == 1, "\(table) needs a primary key led by tenant_id")
            }
            // Directories are reached only through SECURITY DEFINER functions: the application role has no
            // privilege on them at all.
            for table in directories {
                let any = try await connection.texts(
                    "SELECT has_table_privilege('chorus_app', 'chorus.\(table)', 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')::text"
                )
                #expect(any == ["false"], "\(table): the application role must not reach a directory table")
            }
            let views = try await connection.texts(
                """
                SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'chorus' AND c.relkind = 'v'
                   AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false)
                """
            )
            #expect(views.isEmpty, "views must be security_invoker: \(views)")
            let role = try await connection.texts(
                "SELECT rolsuper::text || rolbypassrls::text || rolcanlogin::text FROM pg_roles WHERE rolname = 'chorus_app'"
            )
            #expect(role == ["falsefalsetrue"], "chorus_app must be LOGIN NOSUPERUSER NOBYPASSRLS")
            let owned = try await connection.count(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'chorus' AND pg_get_userbyid(c.relowner) <> 'chorus_owner'"
            )
            #expect(owned == 0, "every object of the schema is owned by chorus_owner")
            let definers = try await connection.texts(
                """
                SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                 WHERE n.nspname = 'chorus' AND p.prosecdef
                   AND (pg_get_userbyid(p.proowner) <> 'chorus_owner' OR NOT coalesce(p.proconfig::text LIKE '%search_path=%', false))
                """
            )
            #expect(definers.isEmpty, "SECURITY DEFINER functions must be owned by chorus_owner and pin search_path: \(definers)")
        }
    }

    @Test func applicationRoleSeesNothingWithoutATenant() async throws {
        _ = try await TestEnvironment.withDatabase { try await Self.seedTwoTenants($0) }
        try await TestEnvironment.withConnection("CHORUS_TEST_DATABASE_URL") { connection async throws in
            let (tables, directories) = try await Self.discover(connection)
            #expect(!tables.isEmpty)
            for table in tables {
                #expect(try await connection.count("SELECT count(*) FROM \(table.name)") == 0, "\(table.name) leaks rows with no tenant set")
            }
            try await connection.texts("SELECT set_config('app.tenant_id', '', false)")
            for table in tables {
                #expect(try await connection.count("SELECT count(*) FROM \(table.name)") == 0, "\(table.name) leaks rows with an empty tenant")
            }
            for table in directories {
                #expect(await connection.sqlState("SELECT count(*) FROM \(table)") == "42501", "\(table) is readable")
            }
        }
    }

    @Test func aTenantCannotReadChangeDeleteOrCreateAnotherTenantsRows() async throws {
        let (a, b) = try await TestEnvironment.withDatabase { try await Self.seedTwoTenants($0) }
        try await TestEnvironment.withConnection("CHORUS_TEST_DATABASE_URL") { connection async throws in
            let (tables, _) = try await Self.discover(connection)
            for table in tables {
                let t = table.name
                try await connection.texts("BEGIN")
                try await connection.texts("SELECT set_config('app.tenant_id', '\(a)', true)")
                #expect(try await connection.count("SELECT count(*) FROM \(t)") > 0,
                        "\(t) has no fixture row for tenant A: extend seedTwoTenants when adding a tenant table")
                #expect(try await connection.count("SELECT count(*) FROM \(t) WHERE tenant_id <> '\(a)'") == 0, "\(t): B is readable")
                #expect(try await connection.count("SELECT count(*) FROM \(t) WHERE tenant_id = '\(b)'") == 0, "\(t): B is readable")
                // Append-only tables (the audit log) grant no UPDATE or DELETE at all: refused outright.
                for (verb, statement) in [
                    ("UPDATE", "WITH u AS (UPDATE \(t) SET tenant_id = tenant_id WHERE tenant_id = '\(b)' RETURNING 1) SELECT count(*) FROM u"),
                    ("DELETE", "WITH d AS (DELETE FROM \(t) WHERE tenant_id = '\(b)' RETURNING 1) SELECT count(*) FROM d"),
                ] {
                    let granted = try await connection.texts("SELECT has_table_privilege('chorus_app', 'chorus.\(t)', '\(verb)')::text")
                    if granted == ["true"] {
                        #expect(try await connection.count(statement) == 0, "\(t): B's rows are affected by \(verb)")
                    } else {
                        try await connection.texts("SAVEPOINT refused")
                        #expect(await connection.sqlState(statement) == "42501", "\(t): \(verb) is neither granted nor refused")
                        try await connection.texts("ROLLBACK TO SAVEPOINT refused")
                    }
                }
                let columns = table.columns.joined(separator: ", ")
                let copied = table.columns.map { $0 == "tenant_id" ? "'\(b)'::uuid" : $0 }.joined(separator: ", ")
                try await connection.texts("SAVEPOINT probe")
                #expect(await connection.sqlState("INSERT INTO \(t) (\(columns)) SELECT \(copied) FROM \(t) LIMIT 1") == "42501",
                        "\(t): inserting a row for B must be refused by RLS")
                try await connection.texts("ROLLBACK TO SAVEPOINT probe")
                try await connection.texts("SAVEPOINT move")
                #expect(await connection.sqlState("UPDATE \(t) SET tenant_id = '\(b)'") == "42501",
                        "\(t): moving A's rows to B must be refused by RLS")
                try await connection.texts("ROLLBACK TO SAVEPOINT move")
                try await connection.texts("ROLLBACK")
            }
            // With B set, B's rows are there: the emptiness above was isolation, not missing data.
            try await connection.texts("BEGIN")
            try await connection.texts("SELECT set_config('app.tenant_id', '\(b)', true)")
            for table in tables {
                #expect(try await connection.count("SELECT count(*) FROM \(table.name) WHERE tenant_id = '\(b)'") > 0)
            }
            try await connection.texts("ROLLBACK")
        }
    }

    @Test func theTenantSettingEndsWithItsTransaction() async throws {
        let (a, _) = try await TestEnvironment.withDatabase { try await Self.seedTwoTenants($0) }
        try await TestEnvironment.withDatabase { database async throws in
            let seen = try await database.withTenant(a) { tx in try await tx.tenant().id }
            #expect(seen == a)
            // The pool hands the same connections out again: nothing of A may remain on them.
            for _ in 0..<8 {
                let leaked = try await database.client.withConnection { connection async throws in
                    try await connection.count("SELECT count(*) FROM chorus.members")
                }
                #expect(leaked == 0)
            }
        }
    }

    @Test func unknownTenantIsAnError() async throws {
        _ = try await TestEnvironment.withDatabase { database async throws in
            await #expect(throws: StorageError.self) {
                try await database.withTenant(UUID()) { _ in }
            }
        }
    }
}

@Suite struct TenantReadTests {
    @Test func aReadInTheEnteringStatementSeesOnlyItsTenant() async throws {
        _ = try await TestEnvironment.withDatabase { database async throws in
            let (a, b) = try await RowLevelSecurityTests.seedTwoTenants(database)
            let (entry, members) = try await database.read(a, principal: .none, Reads.Members())
            #expect(entry.tenantStatus == "active")
            #expect(members.count == 1)
            let (_, tenants) = try await database.read(a, principal: .none, Reads.Tenant())
            #expect(tenants.map(\.id) == [a])
            // B's member, read while entering A: not there.
            let bMember = try await database.withTenant(b) { tx in try await tx.tenantMembers() }
            let (_, crossed) = try await database.read(a, principal: .none, Reads.Member(id: try #require(bMember.first)))
            #expect(crossed.isEmpty)
            await #expect(throws: StorageError.self) { try await database.read(UUID(), principal: .none, Reads.Tenant()) }
            // Nothing of A stays on the pooled connections after the statement.
            for _ in 0..<8 {
                let leaked = try await database.client.withConnection { connection in
                    try await connection.count("SELECT count(*) FROM chorus.members")
                }
                #expect(leaked == 0)
            }
        }
    }
}

extension TenantTransaction {
    /// The ids of the tenant's members.
    func tenantMembers() async throws -> [UUID] {
        var ids: [UUID] = []
        for try await id in try await query("SELECT member_id FROM members").decode(UUID.self) { ids.append(id) }
        return ids
    }
}
