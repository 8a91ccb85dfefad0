import ArgumentParser
import ChorusServer
import Configuration
import Foundation
import Logging
import PostgresNIO
import SecurityHub
import Storage

/// `chorus audit verify`: recomputes a tenant's audit chain and names the first broken entry.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect tenant audit logs.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a tenant's audit hash chain (CHORUS_DATABASE_URL); exit 1 when it is broken."
        )

        @Option(help: "The tenant's slug or id.")
        var tenant: String

        func run() async throws {
            let reader = ConfigReader(providers: [EnvironmentVariablesProvider()])
            guard let urlText = reader.string(forKey: "chorus.database.url", isSecret: true) else {
                throw ValidationError("CHORUS_DATABASE_URL is not set")
            }
            var logger = Logger(label: "chorus.audit")
            logger.logLevel = .warning
            let database = Database(url: try DatabaseURL(urlText), maximumConnections: 2, logger: logger)
            let outcome = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await database.client.run() }
                defer { group.cancelAll() }
                let id: UUID? =
                    if let id = UUID(uuidString: tenant) { id } else { try await database.directory.tenant(slug: tenant) }
                guard let id else { throw ValidationError("no tenant \(tenant)") }
                let chain = try await database.withTenant(id) { tx in try await tx.auditChain() }
                return (chain.count, AuditChain.verify(chain), chain.last?.hash ?? AuditChain.genesis)
            }
            if let broken = outcome.1 {
                print("audit chain of \(tenant): BROKEN at entry \(broken.seq) (\(broken.reason)); \(outcome.0) entries")
                throw ExitCode(1)
            }
            print("audit chain of \(tenant): valid, \(outcome.0) entries, head \(outcome.2)")
        }
    }
}
