import ArgumentParser
import ChorusServer
import Configuration
import Foundation
import Logging
import PostgresNIO
import SecurityHub
import Storage

/// `chorus keys`: master key versions for secret encryption.
///
/// Rotation without downtime: `chorus keys add` writes a new version; roll the servers so every replica knows it
/// (they wrap new data keys with the newest version and still unwrap the old ones); then `chorus keys rotate`
/// re-wraps every tenant's data keys under the newest version. Secrets themselves are not re-encrypted, so they
/// stay readable throughout. Once `rotate` reports nothing left under an old version, its file can be removed.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the master keys that wrap tenant data keys.",
        subcommands: [Add.self, Rotate.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new master key version v<N+1>.key.")

        @Option(help: "The master keys folder (CHORUS_MASTER_KEYS_DIR, or master-keys in CHORUS_SECRETS_DIR).")
        var dir: String

        func run() throws {
            let folder = URL(fileURLWithPath: dir)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let next = (try ServerConfiguration.readMasterKeys(folder).keys.max() ?? 0) + 1
            let path = folder.appendingPathComponent("v\(next).key").path
            guard FileManager.default.createFile(atPath: path, contents: Data((Base64URL.random(bytes: 32) + "\n").utf8),
                                                 attributes: [.posixPermissions: 0o600])
            else { throw ValidationError("cannot write \(path)") }
            print("master key v\(next) written to \(path); roll the servers, then run `chorus keys rotate`")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every tenant's data keys under the newest master key version."
        )

        func run() async throws {
            let configuration = try ServerConfiguration(reader: ConfigReader(providers: [EnvironmentVariablesProvider()]))
            var logger = Logger(label: "chorus.keys")
            logger.logLevel = .warning
            let database = Database(url: configuration.database, maximumConnections: 2, logger: logger)
            let vault = SecretVault(ring: configuration.masterKeys)
            let (tenants, rewrapped, failed) = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await database.client.run() }
                defer { group.cancelAll() }
                var after: UUID?
                var tenants = 0
                var rewrapped = 0
                var failed: [String] = []
                while true {
                    let page = try await database.directory.tenants(after: after, limit: 500)
                    for tenant in page {
                        // One tenant whose keys do not unwrap (a master version missing from the ring) must not stop
                        // the others; it is reported and the run fails at the end.
                        do {
                            rewrapped += try await database.withTenant(tenant.id) { tx in try await vault.rewrap(in: tx) }
                        } catch let error as SecretError {
                            failed.append("\(tenant.slug): \(error.reason)")
                        }
                        tenants += 1
                    }
                    guard page.count == 500, let last = page.last else { break }
                    after = last.id
                }
                return (tenants, rewrapped, failed)
            }
            print("keys: \(rewrapped) data keys of \(tenants) tenants re-wrapped under master key v\(configuration.masterKeys.activeVersion)")
            if !failed.isEmpty {
                print("keys: \(failed.count) tenants could not be re-wrapped:")
                failed.forEach { print("  \($0)") }
                throw ExitCode(1)
            }
        }
    }
}
