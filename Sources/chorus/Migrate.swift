import ArgumentParser
import ChorusCore
import Configuration
import Foundation
import Logging
import Storage

/// `chorus migrate`: applies the SQL files of the migrations folder, each once, under an advisory lock.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply database migrations as the operator (CHORUS_MIGRATION_DATABASE_URL)."
    )

    @Option(help: "Folder of ordered *.sql migration files.")
    var migrations: String = "Migrations"

    func run() async throws {
        let reader = ConfigReader(providers: [EnvironmentVariablesProvider()])
        guard let urlText = reader.string(forKey: "chorus.migration.database.url", isSecret: true) else {
            throw ValidationError("CHORUS_MIGRATION_DATABASE_URL is not set")
        }
        let logger = Logger(label: "chorus.migrate")
        let migrator = Migrator(url: try DatabaseURL(urlText), logger: logger)
        let files = try Migrator.load(from: URL(fileURLWithPath: migrations))
        do {
            let applied = try await migrator.migrate(
                files,
                applicationPassword: reader.string(forKey: "chorus.app.database.password", isSecret: true)
            )
            print(applied.isEmpty ? "migrations: up to date (\(files.count) files)" : "migrations: applied \(applied.joined(separator: ", "))")
        } catch let error as StorageError {
            throw ValidationError(error.message)
        }
    }
}
