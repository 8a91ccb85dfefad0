import Crypto
import Foundation
import Synchronization
import Hiredis
import SecurityHub
import Storage

/// The long-lived parts every route uses, built once at start-up.
struct AppServices: Sendable {
    let configuration: ServerConfiguration
    let database: Database
    let redis: RedisClient
    let tokens: TokenService
    let passwords: PasswordHasher
    let auditSigner: AuditSigner
    let vault: SecretVault
    let admission: Admission
    let models: ModelService
    let keyLocations = KeyLocations()
    let entries = RecentEntries()
    /// Presented API keys whose prefix exists, read and hashed: a busy key is hashed once, not on every request.
    /// Whether the hash matches the stored one is still checked on every request.
    let presentedKeys = BoundedMap<String, PresentedKey>(capacity: 10_000)
}

/// A map under a lock that holds at most `capacity` entries: when full, it starts over. For caches of things that
/// are cheap to read again (a key's location, a tenant entry, a prompt version).
final class BoundedMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let capacity: Int
    private let entries = Mutex<[Key: Value]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    subscript(key: Key) -> Value? {
        get { entries.withLock { $0[key] } }
        set {
            entries.withLock { entries in
                if entries.count >= capacity {
                    entries.removeAll(keepingCapacity: true)
                }
                entries[key] = newValue
            }
        }
    }
}

/// What entering a tenant read for a credential, kept for a second for the routes registered with
/// `APIRoutes.call` (model calls), so that a busy client costs no database round trip per call. The credential's
/// secret is still checked against the entry on every request; a revoked key, a removed member, a role change or a
/// suspended tenant applies to these routes within ``lifetime``. Bounded: when full it starts over.
final class RecentEntries: Sendable {
    static let lifetime: Double = 1
    static let capacity = 10_000
    private let entries = BoundedMap<Key, (entry: TenantEntry, readAt: Double)>(capacity: capacity)

    /// Whose entry it is: a member or an API key, of a tenant.
    struct Key: Hashable, Sendable {
        var isAPIKey: Bool
        var tenant: UUID
        var subject: UUID
    }

    static func key(_ credential: Authenticator.Credential) -> Key {
        switch credential {
        case .member(_, let memberID, let tenantID): Key(isAPIKey: false, tenant: tenantID, subject: memberID)
        case .apiKey(_, let keyID, let tenantID): Key(isAPIKey: true, tenant: tenantID, subject: keyID)
        }
    }

    /// The entry read for `credential` less than ``lifetime`` ago, if any.
    func entry(for credential: Authenticator.Credential) -> TenantEntry? {
        guard let found = entries[Self.key(credential)],
            ProcessInfo.processInfo.systemUptime - found.readAt < Self.lifetime
        else { return nil }
        return found.entry
    }

    func remember(_ entry: TenantEntry, for credential: Authenticator.Credential) {
        entries[Self.key(credential)] = (entry, ProcessInfo.processInfo.systemUptime)
    }
}

/// API-key prefix → (tenant, key), as the directory answered. Bounded: when full it starts over.
final class KeyLocations: Sendable {
    static let capacity = 10_000
    private let locations = BoundedMap<String, (UUID, UUID)>(capacity: capacity)

    func location(of prefix: String) -> (UUID, UUID)? {
        locations[prefix]
    }

    func remember(_ prefix: String, _ location: (UUID, UUID)) {
        locations[prefix] = location
    }
}
