public import Foundation
import Crypto

/// One entry of a tenant's audit log, as it is hashed: who, acting how, did what to which resource, when, from
/// where, with a summary of the change that never holds secrets.
public struct AuditRecord: Sendable, Equatable, Codable {
    /// Position in the tenant's chain, from 1, without gaps.
    public var seq: Int64
    /// The tenant.
    public var tenantID: UUID
    /// When, in microseconds since 1970 (what PostgreSQL stores, so the hash is reproducible exactly).
    public var occurredAtMicros: Int64
    /// `member`, `api_key` or `operator`.
    public var actorType: String
    /// The member or API key id; nil for the operator.
    public var actorID: String?
    /// What happened, for example `member.invited`.
    public var action: String
    /// The kind of resource, for example `member`.
    public var resourceType: String
    /// The resource's id.
    public var resourceID: String?
    /// The request id of the change.
    public var requestID: String?
    /// The client's address.
    public var clientAddress: String?
    /// The change, as canonical JSON (sorted keys), without secrets.
    public var summary: String

    /// Creates a record.
    public init(
        seq: Int64, tenantID: UUID, occurredAtMicros: Int64, actorType: String, actorID: String?, action: String,
        resourceType: String, resourceID: String?, requestID: String?, clientAddress: String?, summary: String
    ) {
        self.seq = seq
        self.tenantID = tenantID
        self.occurredAtMicros = occurredAtMicros
        self.actorType = actorType
        self.actorID = actorID
        self.action = action
        self.resourceType = resourceType
        self.resourceID = resourceID
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.summary = summary
    }
}

/// The tenant audit log's hash chain: each entry's hash covers the previous entry's hash and the entry's own
/// canonical content, so changing, removing or reordering any entry breaks every hash after it.
public enum AuditChain {
    /// The `previous` of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The entry's canonical bytes: JSON with sorted keys and no insignificant white space.
    public static func canonical(_ record: AuditRecord) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a struct of strings and integers cannot fail.
        return (try? encoder.encode(CanonicalForm(record))) ?? Data()
    }

    /// hex(SHA-256(previous || "\n" || canonical)).
    public static func hash(previous: String, record: AuditRecord) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(previous.utf8))
        hasher.update(data: Data([0x0A]))
        hasher.update(data: canonical(record))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// A stored entry with the hashes it was stored with.
    public struct Link: Sendable, Equatable {
        /// The entry.
        public var record: AuditRecord
        /// The previous hash as stored.
        public var previous: String
        /// The hash as stored.
        public var hash: String

        /// Creates a link.
        public init(record: AuditRecord, previous: String, hash: String) {
            self.record = record
            self.previous = previous
            self.hash = hash
        }
    }

    /// Where a chain breaks.
    public struct Break: Sendable, Equatable, Codable {
        /// The first entry that does not check out.
        public var seq: Int64
        /// Why: `missing` (a gap before it), `previous-mismatch` or `hash-mismatch` (its content changed).
        public var reason: String

        /// Creates a break.
        public init(seq: Int64, reason: String) {
            self.seq = seq
            self.reason = reason
        }
    }

    /// Recomputes a chain given in `seq` order, from the first entry.
    /// - Returns: the first break, or nil when every entry checks out.
    public static func verify(_ links: [Link]) -> Break? {
        var previous = genesis
        var expected: Int64 = 1
        for link in links {
            if link.record.seq != expected { return Break(seq: expected, reason: "missing") }
            if link.previous != previous { return Break(seq: link.record.seq, reason: "previous-mismatch") }
            if hash(previous: previous, record: link.record) != link.hash {
                return Break(seq: link.record.seq, reason: "hash-mismatch")
            }
            previous = link.hash
            expected += 1
        }
        return nil
    }

    /// The field names of the canonical form are part of the format: never rename them.
    private struct CanonicalForm: Encodable {
        var seq: Int64
        var tenant: String
        var at: Int64
        var actor_type: String
        var actor_id: String?
        var action: String
        var resource_type: String
        var resource_id: String?
        var request_id: String?
        var client_address: String?
        var summary: String

        init(_ r: AuditRecord) {
            seq = r.seq
            tenant = r.tenantID.uuidString.lowercased()
            at = r.occurredAtMicros
            actor_type = r.actorType
            actor_id = r.actorID
            action = r.action
            resource_type = r.resourceType
            resource_id = r.resourceID
            request_id = r.requestID
            client_address = r.clientAddress
            summary = r.summary
        }

        func encode(to encoder: any Encoder) throws {
            // Explicit nulls, so an absent field and an empty one hash differently and stay stable.
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(seq, forKey: .seq)
            try c.encode(tenant, forKey: .tenant)
            try c.encode(at, forKey: .at)
            try c.encode(actor_type, forKey: .actor_type)
            try c.encode(actor_id, forKey: .actor_id)
            try c.encode(action, forKey: .action)
            try c.encode(resource_type, forKey: .resource_type)
            try c.encode(resource_id, forKey: .resource_id)
            try c.encode(request_id, forKey: .request_id)
            try c.encode(client_address, forKey: .client_address)
            try c.encode(summary, forKey: .summary)
        }

        enum Key: String, CodingKey {
            case seq, tenant, at, actor_type, actor_id, action, resource_type, resource_id, request_id
            case client_address, summary
        }
    }
}
