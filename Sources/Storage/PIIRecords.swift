public import Foundation
import PostgresNIO

/// A tenant's recognizer as stored: its definition is JSON (`PIIRecognizerDefinition`), kept as written.
public struct PIIRecognizerRecord: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// Its name, unique within the tenant.
    public var name: String
    /// The definition, as JSON text.
    public var definition: String
    /// When it was created.
    public var createdAt: Date
    /// When it was last changed.
    public var updatedAt: Date
}

extension TenantTransaction {
    private static let recognizerColumns = "recognizer_id, name, definition::text, created_at, updated_at"

    private func recognizers(_ query: PostgresQuery) async throws -> [PIIRecognizerRecord] {
        var result: [PIIRecognizerRecord] = []
        for try await (id, name, definition, created, updated) in try await self.query(query)
            .decode((UUID, String, String, Date, Date).self)
        {
            result.append(PIIRecognizerRecord(id: id, name: name, definition: definition, createdAt: created, updatedAt: updated))
        }
        return result
    }

    /// Every recognizer of the tenant, by name.
    public func piiRecognizers() async throws -> [PIIRecognizerRecord] {
        try await recognizers("SELECT \(unescaped: Self.recognizerColumns) FROM pii_recognizers ORDER BY name")
    }

    /// One recognizer.
    public func piiRecognizer(id: UUID) async throws -> PIIRecognizerRecord? {
        try await recognizers(
            "SELECT \(unescaped: Self.recognizerColumns) FROM pii_recognizers WHERE recognizer_id = \(id)"
        ).first
    }

    /// Stores a new recognizer.
    /// - Throws: `StorageError.uniqueViolation` when the name is taken.
    public func insertPIIRecognizer(id: UUID, name: String, definition: String) async throws -> PIIRecognizerRecord {
        try await execute(
            """
            INSERT INTO pii_recognizers (tenant_id, recognizer_id, name, definition)
            VALUES (\(tenantID), \(id), \(name), \(definition)::jsonb)
            """,
            conflict: "a recognizer with this name already exists"
        )
        guard let record = try await piiRecognizer(id: id) else { throw StorageError(.tenantNotFound, "recognizer vanished") }
        return record
    }

    /// Replaces a recognizer's name and definition; nil when there is no such recognizer.
    public func updatePIIRecognizer(id: UUID, name: String, definition: String) async throws -> PIIRecognizerRecord? {
        do {
            return try await recognizers(
                """
                UPDATE pii_recognizers SET name = \(name), definition = \(definition)::jsonb, updated_at = now()
                WHERE recognizer_id = \(id) RETURNING \(unescaped: Self.recognizerColumns)
                """
            ).first
        } catch let error as PSQLError where error.isUniqueViolation {
            throw StorageError(.uniqueViolation, "a recognizer with this name already exists")
        }
    }

    /// Deletes a recognizer; false when there was none.
    public func deletePIIRecognizer(id: UUID) async throws -> Bool {
        try await !recognizers(
            "DELETE FROM pii_recognizers WHERE recognizer_id = \(id) RETURNING \(unescaped: Self.recognizerColumns)"
        ).isEmpty
    }

    /// The tenant's PII policy as JSON, nil when it has not set one.
    public func piiPolicy() async throws -> String? {
        for try await (policy) in try await query("SELECT policy::text FROM pii_policies").decode(String.self) {
            return policy
        }
        return nil
    }

    /// Sets the tenant's PII policy.
    public func setPIIPolicy(_ policy: String) async throws {
        _ = try await query(
            """
            INSERT INTO pii_policies (tenant_id, policy) VALUES (\(tenantID), \(policy)::jsonb)
            ON CONFLICT (tenant_id) DO UPDATE SET policy = EXCLUDED.policy, updated_at = now()
            """
        ).collect()
    }
}
