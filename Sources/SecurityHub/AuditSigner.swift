public import Crypto
public import Foundation

/// A signed statement of a tenant's audit-chain head. A tenant stores checkpoints elsewhere; a later chain that
/// no longer contains a checkpointed entry with the same hash proves that the log was truncated or rewritten.
public struct AuditCheckpoint: Sendable, Equatable, Codable {
    /// The tenant.
    public var tenantId: String
    /// The head's sequence number (0 for an empty log).
    public var seq: Int64
    /// The head's hash.
    public var hash: String
    /// When the checkpoint was signed.
    public var signedAt: String
    /// `Ed25519`.
    public var algorithm: String
    /// Names the signing key.
    public var keyId: String
    /// The raw Ed25519 public key, base64url.
    public var publicKey: String
    /// The signature over the canonical statement, base64url.
    public var signature: String

    /// The bytes that are signed: canonical JSON of the tenant, sequence, hash, time and key id.
    var statement: Data {
        let fields: [String: String] = [
            "tenant": tenantId, "seq": String(seq), "hash": hash, "signed_at": signedAt, "key_id": keyId,
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(fields)) ?? Data()
    }
}

/// Signs audit checkpoints with the platform's Ed25519 key.
public struct AuditSigner: Sendable {
    private let key: Curve25519.Signing.PrivateKey
    /// The first 16 hex digits of the public key's SHA-256.
    public let keyID: String

    /// Creates a signer from a key.
    public init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
        self.keyID = SHA256.hash(data: key.publicKey.rawRepresentation).prefix(8)
            .map { String(format: "%02x", $0) }.joined()
    }

    /// Signs the head of a tenant's chain.
    /// - Throws: when the signature cannot be made (the key is unusable).
    public func checkpoint(tenantID: UUID, seq: Int64, hash: String, now: Date = Date()) throws -> AuditCheckpoint {
        var checkpoint = AuditCheckpoint(
            tenantId: tenantID.uuidString.lowercased(),
            seq: seq,
            hash: hash,
            signedAt: now.formatted(Date.ISO8601FormatStyle()),
            algorithm: "Ed25519",
            keyId: keyID,
            publicKey: Base64URL.encode(key.publicKey.rawRepresentation),
            signature: ""
        )
        checkpoint.signature = Base64URL.encode(try key.signature(for: checkpoint.statement))
        return checkpoint
    }

    /// Whether a checkpoint's signature is valid for the public key it names.
    public static func isValid(_ checkpoint: AuditCheckpoint) -> Bool {
        guard checkpoint.algorithm == "Ed25519", let raw = Base64URL.decode(checkpoint.publicKey),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
            let signature = Base64URL.decode(checkpoint.signature)
        else { return false }
        return key.isValidSignature(signature, for: checkpoint.statement)
    }
}
