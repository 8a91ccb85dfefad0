import ArgumentParser

/// The Chorus command line: serve the API, migrate the database, seed sample tenants, create secrets, check flows.
@main
struct Chorus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chorus",
        abstract: "Chorus, a multi-tenant conversational AI platform.",
        subcommands: [Serve.self, Migrate.self, Seed.self, Secrets.self, Audit.self, Keys.self, Flow.self]
    )
}
