import ArgumentParser
import Crypto
import Foundation
import SecurityHub

/// `chorus secrets init`: creates the secrets a private installation needs, leaving existing ones alone.
struct Secrets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage local secrets.",
        subcommands: [Init.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create operator-token, api-key-pepper, audit-signing-key, master-keys/v1.key and jwt/<kid>.pem if missing."
        )

        @Option(help: "The secrets folder (CHORUS_SECRETS_DIR).")
        var dir: String

        func run() throws {
            let folder = URL(fileURLWithPath: dir)
            let jwt = folder.appendingPathComponent("jwt")
            try FileManager.default.createDirectory(at: jwt, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try write(Base64URL.random(bytes: 32), to: folder.appendingPathComponent("operator-token"))
            try write(Base64URL.random(bytes: 32), to: folder.appendingPathComponent("api-key-pepper"))
            try write(
                Base64URL.encode(Curve25519.Signing.PrivateKey().rawRepresentation),
                to: folder.appendingPathComponent("audit-signing-key")
            )
            let master = folder.appendingPathComponent("master-keys")
            try FileManager.default.createDirectory(at: master, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            if ((try? FileManager.default.contentsOfDirectory(atPath: master.path)) ?? []).isEmpty {
                try write(Base64URL.random(bytes: 32), to: master.appendingPathComponent("v1.key"))
            }
            let existing = (try? FileManager.default.contentsOfDirectory(atPath: jwt.path)) ?? []
            if !existing.contains(where: { $0.hasSuffix(".pem") }) {
                let stamp = Date().formatted(.iso8601.year().month().day()).replacingOccurrences(of: "-", with: "")
                let generated = SigningKey.generate(id: "k\(stamp)")
                try write(generated.pem, to: jwt.appendingPathComponent("\(generated.key.id).pem"))
            }
        }

        private func write(_ text: String, to url: URL) throws {
            guard !FileManager.default.fileExists(atPath: url.path) else { return }
            guard
                FileManager.default.createFile(atPath: url.path, contents: Data((text + "\n").utf8),
                                               attributes: [.posixPermissions: 0o600])
            else { throw ValidationError("cannot write \(url.path)") }
        }
    }
}
