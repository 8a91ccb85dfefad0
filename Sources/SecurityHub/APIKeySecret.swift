import Foundation
public import Crypto

/// An API key: `chk_` + a 12-character visible prefix + `_` + 256 random bits.
///
/// The prefix finds the key (and its tenant) before anything else is known; the stored hash is an HMAC-SHA256
/// keyed by a server-side pepper, so a leaked database alone cannot be used to test guesses.
public struct APIKeySecret: Sendable, Equatable {
    /// The visible prefix, safe to show and log, for example `chk_4zq7m2xk9p3d`.
    public let prefix: String
    /// The whole key, shown once at creation.
    public let value: String

    private static let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
    private static let alphabetBytes = Set("abcdefghijkmnpqrstuvwxyz23456789".utf8)

    /// Makes a new random key.
    public static func generate() -> APIKeySecret {
        var generator = SystemRandomNumberGenerator()
        let visible = String((0..<12).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        let prefix = "chk_" + visible
        return APIKeySecret(prefix: prefix, value: prefix + "_" + Base64URL.random(bytes: 32))
    }

    /// Reads a key; nil when the text is not shaped like one.
    public init?(_ text: String) {
        // Byte work: a key is read on every request that presents one.
        let bytes = Array(text.utf8)
        guard bytes.count == 4 + 12 + 1 + 43, bytes.starts(with: "chk_".utf8), bytes[16] == UInt8(ascii: "_"),
            bytes[4..<16].allSatisfy({ Self.alphabetBytes.contains($0) }),
            Base64URL.decode(Substring(text.utf8.dropFirst(17))) != nil
        else { return nil }
        self.init(prefix: String(decoding: bytes[0..<16], as: UTF8.self), value: text)
    }

    private init(prefix: String, value: String) {
        self.prefix = prefix
        self.value = value
    }

    /// The hex HMAC-SHA256 of the key under `pepper`.
    public func hash(pepper: SymmetricKey) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: pepper) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// Compares a stored hash with this key's hash in constant time.
    public func matches(_ storedHash: String, pepper: SymmetricKey) -> Bool {
        Self.hashesMatch(hash(pepper: pepper), storedHash)
    }

    /// Compares a hash computed with ``hash(pepper:)`` with a stored one in constant time, for callers that check
    /// one presented key more than once.
    public static func hashesMatch(_ computedHash: String, _ storedHash: String) -> Bool {
        let computed = Array(computedHash.utf8)
        let stored = Array(storedHash.utf8)
        guard computed.count == stored.count else { return false }
        var difference: UInt8 = 0
        for index in computed.indices { difference |= computed[index] ^ stored[index] }
        return difference == 0
    }
}
