import Crypto
import Foundation
import SecurityHub
import Storage
import Testing

@Suite struct SecretVaultTests {
    static let masterV1 = SymmetricKey(size: .bits256)

    @Test func secretsRoundTripAndStayInTheirTenant() async throws {
        let vault = SecretVault(ring: try MasterKeyRing(keys: [1: Self.masterV1]))
        try await TestEnvironment.withDatabase { database async throws in
            let (a, b) = try await RowLevelSecurityTests.seedTwoTenants(database)
            let secret = "xoxb-" + UUID().uuidString
            try await database.withTenant(a) { tx in try await tx.putSecret(name: "slack.bot-token", plaintext: secret, vault: vault) }
            let revealed = try await database.withTenant(a) { tx in try await tx.revealSecret(name: "slack.bot-token", vault: vault) }
            #expect(revealed == secret)

            // The sealed text copied into tenant B's row does not open there.
            let sealed = try await database.withTenant(a) { tx in
                try await vault.seal(secret, context: SecretContext(tenantID: a, table: "t", column: "c", row: "r"), in: tx)
            }
            await #expect(throws: SecretError.self) {
                try await database.withTenant(b) { tx in
                    try await vault.open(sealed, context: SecretContext(tenantID: b, table: "t", column: "c", row: "r"), in: tx)
                }
            }
            // Opened in A but for another row: refused too.
            await #expect(throws: SecretError.self) {
                try await database.withTenant(a) { tx in
                    try await vault.open(sealed, context: SecretContext(tenantID: a, table: "t", column: "c", row: "other"), in: tx)
                }
            }
        }
    }

    @Test func rotationKeepsEverySecretReadable() async throws {
        let v1 = try MasterKeyRing(keys: [1: Self.masterV1])
        let v2Key = SymmetricKey(size: .bits256)
        let both = try MasterKeyRing(keys: [1: Self.masterV1, 2: v2Key])
        let onlyV2 = try MasterKeyRing(keys: [2: v2Key])
        try await TestEnvironment.withDatabase { database async throws in
            let (a, _) = try await RowLevelSecurityTests.seedTwoTenants(database)
            let secret = "sk-" + UUID().uuidString
            try await database.withTenant(a) { tx in try await tx.putSecret(name: "openai", plaintext: secret, vault: SecretVault(ring: v1)) }
            // Without v1 nothing opens yet.
            await #expect(throws: SecretError.self) {
                try await database.withTenant(a) { tx in try await tx.revealSecret(name: "openai", vault: SecretVault(ring: onlyV2)) }
            }
            let count = try await database.withTenant(a) { tx in try await SecretVault(ring: both).rewrap(in: tx) }
            #expect(count == 1)
            let masters = try await database.withTenant(a) { tx in try await tx.dataKeys().map(\.masterVersion) }
            #expect(masters == [2])
            // After re-wrapping, v1 is no longer needed.
            let revealed = try await database.withTenant(a) { tx in
                try await tx.revealSecret(name: "openai", vault: SecretVault(ring: onlyV2))
            }
            #expect(revealed == secret)
            #expect(try await database.withTenant(a) { tx in try await SecretVault(ring: both).rewrap(in: tx) } == 0)
        }
    }

    @Test func aDatabaseDumpHoldsNoSecret() async throws {
        let vault = SecretVault(ring: try MasterKeyRing(keys: [1: Self.masterV1]))
        let secrets = (0..<3).map { "dump-probe-\($0)-" + UUID().uuidString }
        try await TestEnvironment.withDatabase { database async throws in
            let (a, b) = try await RowLevelSecurityTests.seedTwoTenants(database)
            for (index, secret) in secrets.enumerated() {
                try await database.withTenant(index == 0 ? a : b) { tx in
                    try await tx.putSecret(name: "probe-\(index)", plaintext: secret, vault: vault)
                }
            }
        }
        let dump = try Self.pgDump()
        #expect(dump.contains("tenant_secrets"), "the dump does not include the secrets table")
        #expect(dump.contains("cs1."), "the dump should hold the sealed values")
        for secret in secrets {
            #expect(!dump.contains(secret))
            #expect(!dump.contains(String(secret.prefix(20))))
        }
    }

    /// A full `pg_dump` as the superuser, which bypasses row-level security.
    static func pgDump() throws -> String {
        let socket = try TestEnvironment.value("CHORUS_PG_SOCKET_DIR")
        let port = try TestEnvironment.value("CHORUS_PG_PORT")
        let binaries = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let version = try #require(binaries.sorted { $0.compare($1, options: .numeric) == .orderedAscending }.last)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", "postgres", "--", "/usr/lib/postgresql/\(version)/bin/pg_dump",
                             "-h", socket, "-p", port, "-U", "postgres", "-d", "chorus", "--data-only"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "pg_dump failed")
        return String(decoding: data, as: UTF8.self)
    }
}
