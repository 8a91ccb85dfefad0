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
}

/// What entering a tenant read for a credential, kept for a second for the routes registered with
/// `APIRoutes.call` (model calls), so that a busy client costs no database round trip per call. The credential's
/// secret is still checked against the entry on every request; a revoked key, a removed member, a role change or a
/// suspended tenant applies to these routes within ``lifetime``. Bounded: when full it starts over.
final class RecentEntries: Sendable {
    static let lifetime: Double = 1
    static let capacity = 10_000
    private let entries = Mutex<[String: (entry: TenantEntry, readAt: Double)]>([:])

    static func key(_ credential: Authenticator.Credential) -> String {
        switch credential {
        case .member(_, let memberID, let tenantID): "m:\(tenantID.uuidString):\(memberID.uuidString)"
        case .apiKey(_, let keyID, let tenantID): "k:\(tenantID.uuidString):\(keyID.uuidString)"
        }
    }

    /// The entry read for `credential` less than ``lifetime`` ago, if any.
    func entry(for credential: Authenticator.Credential) -> TenantEntry? {
        let now = ProcessInfo.processInfo.systemUptime
        return entries.withLock { entries in
            guard let found = entries[Self.key(credential)], now - found.readAt < Self.lifetime else { return nil }
            return found.entry
        }
    }

    func remember(_ entry: TenantEntry, for credential: Authenticator.Credential) {
        let now = ProcessInfo.processInfo.systemUptime
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[Self.key(credential)] = (entry, now)
        }
    }
}

/// API-key prefix → (tenant, key), as the directory answered. Bounded: when full it starts over.
final class KeyLocations: Sendable {
    static let capacity = 10_000
    private let locations = Mutex<[String: (UUID, UUID)]>([:])

    func location(of prefix: String) -> (UUID, UUID)? {
        locations.withLock { $0[prefix] }
    }

    func remember(_ prefix: String, _ location: (UUID, UUID)) {
        locations.withLock { locations in
            if locations.count >= Self.capacity { locations.removeAll(keepingCapacity: true) }
            locations[prefix] = location
        }
    }
}
