import Crypto
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
}
