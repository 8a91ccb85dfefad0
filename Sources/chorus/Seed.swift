import ArgumentParser
import ChorusServer
import Configuration
import Foundation
import Logging

/// `chorus seed`: creates the sample tenants of a folder, skipping those that exist.
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed the sample tenants (tenants-sample/*.json).")

    @Option(help: "Folder of sample tenant files.")
    var folder: String = "tenants-sample"

    func run() async throws {
        let configuration = try ServerConfiguration(reader: ConfigReader(providers: [EnvironmentVariablesProvider()]))
        var logger = Logger(label: "chorus.seed")
        logger.logLevel = .warning
        let outcomes = try await Seeder.seed(
            configuration: configuration,
            folder: URL(fileURLWithPath: folder),
            logger: logger
        )
        for outcome in outcomes {
            print("tenant \(outcome.slug): \(outcome.created ? "created" : "already present"), owner \(outcome.ownerEmail)")
        }
    }
}
