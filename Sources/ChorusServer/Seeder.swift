import ChorusCore
public import Foundation
public import Logging
import Hiredis
import PostgresNIO
import Storage

/// Loads sample tenants from JSON files (see `tenants-sample/`). Tenants whose slug exists are left alone, so
/// seeding twice is harmless.
public enum Seeder {
    /// What seeding did with one file.
    public struct Outcome: Sendable {
        /// The tenant's slug.
        public var slug: String
        /// The owner's email.
        public var ownerEmail: String
        /// Whether the tenant was created now (false: it already existed).
        public var created: Bool
    }

    struct SampleTenant: Decodable {
        struct Owner: Decodable {
            var email: String
            var displayName: String?
            var password: String
        }

        var slug: String
        var name: String
        var plan: String?
        var owner: Owner
    }

    /// Seeds every `*.json` in `folder`.
    /// - Throws: when a file is not a valid sample tenant, or the database cannot be reached.
    public static func seed(configuration: ServerConfiguration, folder: URL, logger: Logger) async throws -> [Outcome] {
        let services = try await AppServices(configuration: configuration, logger: logger)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await services.database.client.run() }
            defer { group.cancelAll() }
            var outcomes: [Outcome] = []
            for name in names {
                let data = try Data(contentsOf: folder.appendingPathComponent(name))
                let sample = try JSONDecoder().decode(SampleTenant.self, from: data)
                guard let plan = Plan(rawValue: sample.plan ?? "standard") else {
                    throw ConfigurationError(description: "\(name): unknown plan \(sample.plan ?? "")")
                }
                if try await services.database.directory.tenant(slug: sample.slug) != nil {
                    outcomes.append(Outcome(slug: sample.slug, ownerEmail: sample.owner.email, created: false))
                    continue
                }
                _ = try await services.provisionTenant(
                    slug: sample.slug,
                    name: sample.name,
                    plan: plan,
                    ownerEmail: sample.owner.email.lowercased(),
                    ownerDisplayName: sample.owner.displayName ?? "",
                    ownerPassword: sample.owner.password,
                    actor: .seed
                )
                outcomes.append(Outcome(slug: sample.slug, ownerEmail: sample.owner.email, created: true))
            }
            try await services.redis.shutdown()
            return outcomes
        }
    }
}
