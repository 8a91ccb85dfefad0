import ArgumentParser
import FlowEngine
import Foundation

/// `chorus flow`: work with flow documents offline, as a CI step in a tenant's own repository would.
struct Flow: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check flow documents.",
        subcommands: [Validate.self]
    )

    /// `chorus flow validate FILE...`: every problem of every file, with its JSON pointer; exits 1 on errors.
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate flow documents and print every problem with its JSON pointer.",
            discussion: "Tenant references (routes, prompts, integrations, subflows) are checked by the server's validate route, not here."
        )

        @Argument(help: "Flow documents (JSON).")
        var files: [String]

        @Flag(help: "Treat warnings as errors.")
        var strict = false

        @Flag(help: "Print problems as JSON lines.")
        var json = false

        struct Line: Encodable {
            var file, severity, pointer, code, message: String
        }

        func run() throws {
            var failed = false
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("\(file): cannot read")
                    failed = true
                    continue
                }
                let validation = FlowDefinition.validate(data)
                for problem in validation.problems {
                    if json {
                        let line = Line(file: file, severity: problem.severity.rawValue, pointer: problem.pointer, code: problem.code, message: problem.message)
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                        print(String(decoding: try encoder.encode(line), as: UTF8.self))
                    } else {
                        print("\(file): \(problem)")
                    }
                }
                if !validation.isValid || (strict && !validation.problems.isEmpty) { failed = true }
                if !json && validation.problems.isEmpty { print("\(file): valid") }
            }
            if failed { throw ExitCode(1) }
        }
    }
}
