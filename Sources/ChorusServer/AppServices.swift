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
