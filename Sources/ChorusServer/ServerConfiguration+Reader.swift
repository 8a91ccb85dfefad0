public import Configuration
import Crypto
public import Foundation
import Hiredis
import Logging
public import SecurityHub
import Storage

/// A configuration value that is missing or malformed, named by its environment variable.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// What is wrong.
    public var description: String
}

extension ServerConfiguration {
    /// Reads the configuration. Keys are `chorus.*`; from the environment they are `CHORUS_*` (for example
    /// `chorus.database.url` is `CHORUS_DATABASE_URL`). Secrets come from the environment or from files in the
    /// secrets folder (`CHORUS_SECRETS_DIR`): `operator-token`, `api-key-pepper`, `audit-signing-key` and `jwt/<kid>.pem`.
    /// `CHORUS_RATE_LIMITS` overrides rate limits with JSON (see `RateLimitSettings.overridden(by:)`).
    /// - Throws: `ConfigurationError` naming the first missing or malformed value.
    public init(reader: ConfigReader) throws {
        let config = reader.scoped(to: "chorus")
        let secrets = config.string(forKey: "secrets.dir").map { URL(fileURLWithPath: $0) }

        func secret(_ key: ConfigKey, file: String) throws -> String {
            if let value = config.string(forKey: key, isSecret: true), !value.isEmpty { return value }
            if let secrets, let text = try? String(contentsOf: secrets.appendingPathComponent(file), encoding: .utf8) {
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { return trimmed }
            }
            throw ConfigurationError(description: "CHORUS_\(key.components.joined(separator: "_").uppercased()) is not set and \(file) is not in CHORUS_SECRETS_DIR")
        }

        guard let databaseText = config.string(forKey: "database.url", isSecret: true) else {
            throw ConfigurationError(description: "CHORUS_DATABASE_URL is not set")
        }
        let redisText = config.string(forKey: "redis.url", default: "redis://127.0.0.1:6379/0")

        let keysFolder = config.string(forKey: "jwt.keys.dir").map { URL(fileURLWithPath: $0) }
            ?? secrets?.appendingPathComponent("jwt")
        guard let keysFolder else {
            throw ConfigurationError(description: "neither CHORUS_JWT_KEYS_DIR nor CHORUS_SECRETS_DIR is set")
        }
        let keys = try Self.loadSigningKeys(from: keysFolder)
        guard let newest = keys.map(\.id).max() else {
            throw ConfigurationError(description: "no *.pem key in \(keysFolder.path)")
        }
        let signingKeyID = config.string(forKey: "jwt.signing.kid", default: newest)

        guard let pepper = Base64URL.decode(try secret("api.key.pepper", file: "api-key-pepper")), pepper.count >= 32
        else {
            throw ConfigurationError(description: "the API key pepper must be at least 32 bytes of base64url")
        }
        guard let auditKeyBytes = Base64URL.decode(try secret("audit.signing.key", file: "audit-signing-key")),
            let auditKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: auditKeyBytes)
        else {
            throw ConfigurationError(description: "the audit signing key must be a raw Ed25519 private key in base64url")
        }
        let masterKeys: MasterKeyRing
        if let single = config.string(forKey: "master.key", isSecret: true) {
            masterKeys = try Self.masterKeyRing([1: single], source: "CHORUS_MASTER_KEY")
        } else {
            let folder = config.string(forKey: "master.keys.dir").map { URL(fileURLWithPath: $0) }
                ?? secrets?.appendingPathComponent("master-keys")
            guard let folder else {
                throw ConfigurationError(description: "set CHORUS_MASTER_KEY, CHORUS_MASTER_KEYS_DIR or CHORUS_SECRETS_DIR")
            }
            masterKeys = try Self.masterKeyRing(try Self.readMasterKeys(folder), source: folder.path)
        }
        guard let level = Logger.Level(rawValue: config.string(forKey: "log.level", default: "info")) else {
            throw ConfigurationError(description: "CHORUS_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
        }
        var rateLimits = RateLimitSettings()
        if let overrides = config.string(forKey: "rate.limits"), !overrides.isEmpty {
            rateLimits = try rateLimits.overridden(by: overrides)
        }
        var trustedProxies: [IPNetwork] = []
        for entry in config.string(forKey: "trusted.proxies", default: "").split(separator: ",") {
            let text = entry.trimmingCharacters(in: .whitespaces)
            guard let network = IPNetwork(text) else {
                throw ConfigurationError(description: "CHORUS_TRUSTED_PROXIES: \(text) is not an address or network such as 10.0.0.0/8")
            }
            trustedProxies.append(network)
        }
        do {
            self.init(
                host: config.string(forKey: "http.host", default: "127.0.0.1"),
                port: config.int(forKey: "http.port", default: 8080),
                database: try DatabaseURL(databaseText),
                databaseMaxConnections: config.int(forKey: "database.max.connections", default: 10),
                redis: try RedisConfiguration(url: redisText),
                operatorToken: try secret("operator.token", file: "operator-token"),
                signingKeys: keys,
                signingKeyID: signingKeyID,
                issuer: config.string(forKey: "jwt.issuer", default: "chorus"),
                audience: config.string(forKey: "jwt.audience", default: "chorus-api"),
                accessTokenLifetime: TimeInterval(config.int(forKey: "jwt.access.ttl", default: 900)),
                refreshTokenLifetime: TimeInterval(config.int(forKey: "refresh.ttl", default: 30 * 24 * 3600)),
                invitationLifetime: TimeInterval(config.int(forKey: "invitation.ttl", default: 7 * 24 * 3600)),
                apiKeyPepper: SymmetricKey(data: pepper),
                auditSigningKey: auditKey,
                masterKeys: masterKeys,
                bcryptCost: UInt8(clamping: config.int(forKey: "bcrypt.cost", default: 12)),
                maxBodyBytes: config.int(forKey: "http.max.body.bytes", default: 1 << 20),
                logLevel: level,
                rateLimits: rateLimits,
                trustedProxies: trustedProxies
            )
        } catch let error as StorageError {
            throw ConfigurationError(description: "CHORUS_DATABASE_URL: \(error.message)")
        } catch let error as RedisError {
            throw ConfigurationError(description: "CHORUS_REDIS_URL: \(error.message)")
        }
    }

    /// Reads `v<N>.key` files (base64url of 32 bytes) from a folder, by version.
    public static func readMasterKeys(_ folder: URL) throws -> [Int: String] {
        var keys: [Int: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            guard name.hasPrefix("v"), name.hasSuffix(".key"), let version = Int(name.dropFirst().dropLast(4)),
                version > 0
            else { continue }
            keys[version] = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return keys
    }

    /// A ring from base64url keys by version.
    public static func masterKeyRing(_ texts: [Int: String], source: String) throws -> MasterKeyRing {
        var keys: [Int: SymmetricKey] = [:]
        for (version, text) in texts {
            guard let bytes = Base64URL.decode(text), bytes.count == 32 else {
                throw ConfigurationError(description: "\(source): master key v\(version) must be 32 bytes of base64url")
            }
            keys[version] = SymmetricKey(data: bytes)
        }
        do {
            return try MasterKeyRing(keys: keys)
        } catch {
            throw ConfigurationError(description: "\(source): no master key (v1.key, v2.key, …)")
        }
    }

    /// Reads every `<kid>.pem` in a folder.
    static func loadSigningKeys(from folder: URL) throws -> [SigningKey] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return try names.filter { $0.hasSuffix(".pem") }.sorted().map { name in
            let pem = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            do {
                return try SigningKey(id: String(name.dropLast(4)), pem: pem)
            } catch {
                throw ConfigurationError(description: "\(name) is not a P-256 private key in PEM")
            }
        }
    }
}
