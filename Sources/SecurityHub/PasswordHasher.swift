import HummingbirdBcrypt
import NIOPosix

/// bcrypt password hashing. bcrypt is slow on purpose and blocking, so it runs on the thread pool, never on an
/// event loop.
public struct PasswordHasher: Sendable {
    /// The bcrypt cost (work factor, 4...31).
    public let cost: UInt8
    /// A hash of a random password, verified against when an email is unknown so that the response time does not
    /// tell which emails exist.
    private let decoy: String

    /// Creates a hasher with a bcrypt cost.
    public init(cost: UInt8 = 12) {
        self.cost = min(max(cost, 4), 31)
        self.decoy = Bcrypt.hash("decoy-\(UInt64.random(in: .min ... .max))", cost: self.cost)
    }

    /// Hashes a password.
    public func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { [cost] in Bcrypt.hash(password, cost: cost) }
    }

    /// Checks a password against a hash; with no hash, spends the same time and fails.
    public func verify(_ password: String, hash: String?) async throws -> Bool {
        let target = hash ?? decoy
        let matches = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: target) }
        return matches && hash != nil
    }
}
