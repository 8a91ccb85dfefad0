public import Crypto
public import Foundation
public import Hiredis
public import Logging
public import SecurityHub
public import Storage

/// Everything the server needs to start. Read from the environment by `init(reader:)`; built directly in tests.
public struct ServerConfiguration: Sendable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on; 0 picks a free one.
    public var port: Int
    /// PostgreSQL as the application role.
    public var database: DatabaseURL
    /// Most PostgreSQL connections in the pool.
    public var databaseMaxConnections: Int
    /// Redis.
    public var redis: RedisConfiguration
    /// The bearer token of the operator API.
    public var operatorToken: String
    /// Keys whose access tokens are accepted.
    public var signingKeys: [SigningKey]
    /// The key that signs new access tokens.
    public var signingKeyID: String
    /// `iss` of access tokens.
    public var issuer: String
    /// `aud` of access tokens.
    public var audience: String
    /// Access-token lifetime in seconds (at most 900).
    public var accessTokenLifetime: TimeInterval
    /// Refresh-token lifetime in seconds.
    public var refreshTokenLifetime: TimeInterval
    /// Invitation lifetime in seconds.
    public var invitationLifetime: TimeInterval
    /// Key of the API-key HMAC.
    public var apiKeyPepper: SymmetricKey
    /// Ed25519 key that signs audit checkpoints.
    public var auditSigningKey: Curve25519.Signing.PrivateKey
    /// Versioned master keys that wrap the tenants' data keys.
    public var masterKeys: MasterKeyRing
    /// bcrypt cost for passwords.
    public var bcryptCost: UInt8
    /// Largest accepted request body, in bytes.
    public var maxBodyBytes: Int
    /// Log level.
    public var logLevel: Logger.Level
    /// Rate limits by plan and for the auth routes.
    public var rateLimits: RateLimitSettings
    /// Proxies whose `X-Forwarded-For` is believed (load balancers, ingress controllers).
    public var trustedProxies: [IPNetwork]

    /// Creates a configuration; the defaults are the production ones.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        database: DatabaseURL,
        databaseMaxConnections: Int = 10,
        redis: RedisConfiguration,
        operatorToken: String,
        signingKeys: [SigningKey],
        signingKeyID: String,
        issuer: String = "chorus",
        audience: String = "chorus-api",
        accessTokenLifetime: TimeInterval = 900,
        refreshTokenLifetime: TimeInterval = 30 * 24 * 3600,
        invitationLifetime: TimeInterval = 7 * 24 * 3600,
        apiKeyPepper: SymmetricKey,
        auditSigningKey: Curve25519.Signing.PrivateKey,
        masterKeys: MasterKeyRing,
        bcryptCost: UInt8 = 12,
        maxBodyBytes: Int = 1 << 20,
        logLevel: Logger.Level = .info,
        rateLimits: RateLimitSettings = RateLimitSettings(),
        trustedProxies: [IPNetwork] = []
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.databaseMaxConnections = databaseMaxConnections
        self.redis = redis
        self.operatorToken = operatorToken
        self.signingKeys = signingKeys
        self.signingKeyID = signingKeyID
        self.issuer = issuer
        self.audience = audience
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.invitationLifetime = invitationLifetime
        self.apiKeyPepper = apiKeyPepper
        self.auditSigningKey = auditSigningKey
        self.masterKeys = masterKeys
        self.bcryptCost = bcryptCost
        self.maxBodyBytes = maxBodyBytes
        self.logLevel = logLevel
        self.rateLimits = rateLimits
        self.trustedProxies = trustedProxies
    }
}
