public import Crypto
public import Foundation

/// Where a secret lives. It is bound into the ciphertext as associated data, so a ciphertext copied to another
/// row, column, table or tenant does not decrypt.
public struct SecretContext: Sendable, Equatable {
    /// The tenant that owns the secret.
    public var tenantID: UUID
    /// The table, for example `channels`.
    public var table: String
    /// The column, for example `access_token`.
    public var column: String
    /// The row's key, for example the channel id.
    public var row: String

    /// Creates a context.
    public init(tenantID: UUID, table: String, column: String, row: String) {
        self.tenantID = tenantID
        self.table = table
        self.column = column
        self.row = row
    }

    var associatedData: Data {
        Data("chorus.secret.v1\u{0}\(tenantID.uuidString.lowercased())\u{0}\(table)\u{0}\(column)\u{0}\(row)".utf8)
    }
}

/// Why a secret could not be sealed or opened. Deliberately coarse: a caller learns nothing about which check
/// failed.
public struct SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What failed, for logs.
    public var reason: String
    public var description: String { "secret: \(reason)" }

    /// Creates an error.
    public init(reason: String) {
        self.reason = reason
    }
}

/// The platform's master keys, by version. The newest wraps new tenant data keys; older versions stay
/// decrypt-only until no data key is wrapped by them.
public struct MasterKeyRing: Sendable {
    private let keys: [Int: SymmetricKey]
    /// The version that wraps new data keys.
    public let activeVersion: Int

    /// Creates a ring from versioned 256-bit keys.
    /// - Throws: `SecretError` when there is no key or one is not 32 bytes.
    public init(keys: [Int: SymmetricKey]) throws {
        guard let newest = keys.keys.max() else { throw SecretError(reason: "no master key") }
        guard keys.values.allSatisfy({ $0.bitCount == 256 }) else {
            throw SecretError(reason: "master keys must be 32 bytes")
        }
        self.keys = keys
        self.activeVersion = newest
    }

    /// Every version in the ring.
    public var versions: [Int] { keys.keys.sorted() }

    /// Wraps a tenant data key under the active master key.
    public func wrap(_ dataKey: SymmetricKey, tenantID: UUID, dataKeyVersion: Int) throws -> (masterVersion: Int, wrapped: String) {
        guard let master = keys[activeVersion] else { throw SecretError(reason: "no active master key") }
        let box = try AES.GCM.seal(
            dataKey.withUnsafeBytes { Data($0) },
            using: master,
            authenticating: Self.wrapContext(tenantID, dataKeyVersion)
        )
        guard let combined = box.combined else { throw SecretError(reason: "sealing failed") }
        return (activeVersion, Base64URL.encode(combined))
    }

    /// Unwraps a tenant data key.
    public func unwrap(_ wrapped: String, masterVersion: Int, tenantID: UUID, dataKeyVersion: Int) throws -> SymmetricKey {
        guard let master = keys[masterVersion] else {
            throw SecretError(reason: "master key version \(masterVersion) is not configured")
        }
        guard let combined = Base64URL.decode(wrapped), let box = try? AES.GCM.SealedBox(combined: combined),
            let raw = try? AES.GCM.open(box, using: master, authenticating: Self.wrapContext(tenantID, dataKeyVersion))
        else { throw SecretError(reason: "data key does not unwrap") }
        return SymmetricKey(data: raw)
    }

    private static func wrapContext(_ tenantID: UUID, _ version: Int) -> Data {
        Data("chorus.datakey.v1\u{0}\(tenantID.uuidString.lowercased())\u{0}\(version)".utf8)
    }
}

/// Envelope encryption of secret values with AES-256-GCM under a tenant's data key.
///
/// A sealed secret reads `cs1.<data key version>.<base64url(nonce ‖ ciphertext ‖ tag)>`: it names the key
/// version it needs, carries its own random nonce, and authenticates its `SecretContext`.
public enum SecretEnvelope {
    /// Encrypts `plaintext` for `context` under a data key.
    public static func seal(_ plaintext: String, context: SecretContext, dataKey: SymmetricKey, dataKeyVersion: Int)
        throws -> String
    {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: dataKey, authenticating: context.associatedData)
        guard let combined = box.combined else { throw SecretError(reason: "sealing failed") }
        return "cs1.\(dataKeyVersion).\(Base64URL.encode(combined))"
    }

    /// The data key version a sealed secret needs.
    public static func dataKeyVersion(of sealed: String) throws -> Int {
        let parts = sealed.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "cs1", let version = Int(parts[1]) else {
            throw SecretError(reason: "not a sealed secret")
        }
        return version
    }

    /// Decrypts a sealed secret.
    /// - Throws: `SecretError` when it was tampered with, belongs to another context, or the key is wrong.
    public static func open(_ sealed: String, context: SecretContext, dataKey: SymmetricKey) throws -> String {
        let parts = sealed.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "cs1", let combined = Base64URL.decode(parts[2]),
            let box = try? AES.GCM.SealedBox(combined: combined),
            let plaintext = try? AES.GCM.open(box, using: dataKey, authenticating: context.associatedData)
        else { throw SecretError(reason: "does not decrypt in this context") }
        return String(decoding: plaintext, as: UTF8.self)
    }

    /// The last four characters, the most a secret ever shows after it is set (nil when shorter than 12).
    public static func hint(_ plaintext: String) -> String? {
        plaintext.count >= 12 ? String(plaintext.suffix(4)) : nil
    }
}
