import Foundation
import Storage
import Testing

@Suite(.serialized) struct MigratorTests {
    func migrator() throws -> Migrator {
        Migrator(url: try DatabaseURL(try TestEnvironment.value("CHORUS_TEST_SCRATCH_DATABASE_URL")),
                 logger: TestEnvironment.logger)
    }

    func projectMigrations() throws -> [Migrator.Migration] {
        try Migrator.load(from: URL(fileURLWithPath: try TestEnvironment.value("CHORUS_TEST_MIGRATIONS_DIR")))
    }

    @Test func appliesEachFileOnceAndRefusesChangedFiles() async throws {
        let migrations = try projectMigrations()
        #expect(migrations.map(\.name) == migrations.map(\.name).sorted())
        // Concurrent runs serialise on the advisory lock: every file is applied exactly once in total.
        async let first = migrator().migrate(migrations, applicationPassword: nil)
        async let second = migrator().migrate(migrations, applicationPassword: nil)
        let applied = try await first + second
        let already = try await migrator().migrate(migrations, applicationPassword: nil)
        #expect(already.isEmpty)
        #expect(Set(applied).isSubset(of: Set(migrations.map(\.name))))
        #expect(applied.count == Set(applied).count, "a migration was applied twice: \(applied)")

        var changed = migrations
        changed[0] = Migrator.Migration(name: changed[0].name, sql: changed[0].sql + "\n-- edited\n")
        await #expect(throws: StorageError.self) { try await migrator().migrate(changed, applicationPassword: nil) }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        let migrations = try projectMigrations()
        let broken = Migrator.Migration(
            name: "9999_broken.sql",
            sql: "CREATE TABLE broken_probe (id int); SELECT no_such_function();"
        )
        await #expect(throws: StorageError.self) {
            try await migrator().migrate(migrations + [broken], applicationPassword: nil)
        }
        try await TestEnvironment.withConnection("CHORUS_TEST_SCRATCH_DATABASE_URL") { connection async throws in
            #expect(try await connection.count("SELECT count(*) FROM pg_tables WHERE tablename = 'broken_probe'") == 0)
            #expect(try await connection.count("SELECT count(*) FROM chorus.schema_migrations WHERE name = '9999_broken.sql'") == 0)
        }
    }

    @Test func splitsStatementsButNotQuotedSemicolons() {
        let sql = """
            -- comment; with a semicolon
            CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'a;b' $$;
            /* block; comment */ SELECT 'it''s; fine', "odd;name" FROM t;
            DO $body$ BEGIN PERFORM 1; END $body$;
            SELECT $1::int
            """
        let statements = SQLScript.statements(sql)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("$$ SELECT 'a;b' $$"))
        #expect(statements[1].contains("'it''s; fine', \"odd;name\""))
        #expect(statements[2] == "DO $body$ BEGIN PERFORM 1; END $body$")
        #expect(statements[3] == "SELECT $1::int")
    }
}
