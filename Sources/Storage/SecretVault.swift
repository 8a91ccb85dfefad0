public import Crypto
public import Foundation
import PostgresNIO
public import SecurityHub

/// The one way to keep a secret (channel tokens, provider keys, integration credentials): envelope encryption
/// with a per-tenant data key wrapped by the configured master key ring. Callers store the sealed text in their
/// own column and never return the plaintext through the API after it is set.
public struct SecretVault: Sendable {
    /// The master keys.
    public let ring: MasterKeyRing

    /// Creates a vault over a master key ring.
    public init(ring: MasterKeyRing) {
        self.ring = ring
    }

    /// Encrypts `plaintext` for `context` with the tenant's current data key, creating it on first use.
    public func seal(_ plaintext: String, context: SecretContext, in tx: TenantTransaction) async throws -> String {
        let (version, key) = try await currentDataKey(in: tx)
        return try SecretEnvelope.seal(plaintext, context: context, dataKey: key, dataKeyVersion: version)
    }

    /// Decrypts a sealed secret of the transaction's tenant.
    /// - Throws: `SecretError` when it was tampered with, moved to another row or tenant, or its key is unknown.
    public func open(_ sealed: String, context: SecretContext, in tx: TenantTransaction) async throws -> String {
        guard context.tenantID == tx.tenantID else { throw SecretError(reason: "context names another tenant") }
        let version = try SecretEnvelope.dataKeyVersion(of: sealed)
        guard let row = try await tx.dataKey(version: version) else { throw SecretError(reason: "unknown data key") }
        let key = try ring.unwrap(row.wrapped, masterVersion: row.masterVersion, tenantID: tx.tenantID, dataKeyVersion: version)
        return try SecretEnvelope.open(sealed, context: context, dataKey: key)
    }

    /// Re-wraps every data key of the transaction's tenant that is not under the active master key.
    /// - Returns: how many were re-wrapped.
    public func rewrap(in tx: TenantTransaction) async throws -> Int {
        var count = 0
        for row in try await tx.dataKeys() where row.masterVersion != ring.activeVersion {
            let key = try ring.unwrap(row.wrapped, masterVersion: row.masterVersion, tenantID: tx.tenantID,
                                      dataKeyVersion: row.version)
            let wrapped = try ring.wrap(key, tenantID: tx.tenantID, dataKeyVersion: row.version)
            try await tx.replaceWrappedDataKey(version: row.version, masterVersion: wrapped.masterVersion,
                                               wrapped: wrapped.wrapped)
            count += 1
        }
        return count
    }

    private func currentDataKey(in tx: TenantTransaction) async throws -> (Int, SymmetricKey) {
        if let row = try await tx.newestDataKey() {
            return (row.version, try ring.unwrap(row.wrapped, masterVersion: row.masterVersion, tenantID: tx.tenantID,
                                                  dataKeyVersion: row.version))
        }
        let key = SymmetricKey(size: .bits256)
        let wrapped = try ring.wrap(key, tenantID: tx.tenantID, dataKeyVersion: 1)
        // Two first uses racing: the loser's insert conflicts and it reads the winner's key.
        if try await tx.insertDataKey(version: 1, masterVersion: wrapped.masterVersion, wrapped: wrapped.wrapped) {
            return (1, key)
        }
        guard let row = try await tx.newestDataKey() else { throw SecretError(reason: "data key vanished") }
        return (row.version, try ring.unwrap(row.wrapped, masterVersion: row.masterVersion, tenantID: tx.tenantID,
                                              dataKeyVersion: row.version))
    }
}

/// A stored data key, still wrapped.
public struct DataKeyRow: Sendable {
    /// The data key's version within its tenant.
    public var version: Int
    /// The master key version that wraps it.
    public var masterVersion: Int
    /// The wrapped key.
    public var wrapped: String
}

extension TenantTransaction {
    func newestDataKey() async throws -> DataKeyRow? {
        try await dataKeyRows("SELECT version, master_version, wrapped_key FROM tenant_data_keys ORDER BY version DESC LIMIT 1").first
    }

    func dataKey(version: Int) async throws -> DataKeyRow? {
        try await dataKeyRows(
            "SELECT version, master_version, wrapped_key FROM tenant_data_keys WHERE version = \(Int32(clamping: version))"
        ).first
    }

    /// Every data key of the tenant, with the master version that wraps it.
    public func dataKeys() async throws -> [DataKeyRow] {
        try await dataKeyRows("SELECT version, master_version, wrapped_key FROM tenant_data_keys ORDER BY version")
    }

    func insertDataKey(version: Int, masterVersion: Int, wrapped: String) async throws -> Bool {
        let rows = try await query(
            """
            INSERT INTO tenant_data_keys (tenant_id, version, master_version, wrapped_key)
            VALUES (\(tenantID), \(Int32(clamping: version)), \(Int32(clamping: masterVersion)), \(wrapped))
            ON CONFLICT DO NOTHING RETURNING version
            """
        )
        for try await _ in rows { return true }
        return false
    }

    func replaceWrappedDataKey(version: Int, masterVersion: Int, wrapped: String) async throws {
        _ = try await query(
            """
            UPDATE tenant_data_keys SET master_version = \(Int32(clamping: masterVersion)), wrapped_key = \(wrapped),
                   rewrapped_at = now()
             WHERE version = \(Int32(clamping: version))
            """
        ).collect()
    }

    private func dataKeyRows(_ statement: PostgresQuery) async throws -> [DataKeyRow] {
        var rows: [DataKeyRow] = []
        for try await (version, master, wrapped) in try await query(statement).decode((Int32, Int32, String).self) {
            rows.append(DataKeyRow(version: Int(version), masterVersion: Int(master), wrapped: wrapped))
        }
        return rows
    }

    /// Stores a named tenant secret, sealed; only its last four characters stay readable.
    public func putSecret(name: String, plaintext: String, vault: SecretVault) async throws {
        let context = SecretContext(tenantID: tenantID, table: "tenant_secrets", column: "sealed", row: name)
        let sealed = try await vault.seal(plaintext, context: context, in: self)
        _ = try await query(
            """
            INSERT INTO tenant_secrets (tenant_id, name, sealed, last4) VALUES (\(tenantID), \(name), \(sealed),
                   \(SecretEnvelope.hint(plaintext)))
            ON CONFLICT (tenant_id, name) DO UPDATE SET sealed = excluded.sealed, last4 = excluded.last4, updated_at = now()
            """
        ).collect()
    }

    /// Decrypts a named tenant secret, for the server's own use (never for an API response).
    public func revealSecret(name: String, vault: SecretVault) async throws -> String? {
        var sealed: String?
        for try await value in try await query("SELECT sealed FROM tenant_secrets WHERE name = \(name)").decode(String.self) {
            sealed = value
        }
        guard let sealed else { return nil }
        let context = SecretContext(tenantID: tenantID, table: "tenant_secrets", column: "sealed", row: name)
        return try await vault.open(sealed, context: context, in: self)
    }
}
