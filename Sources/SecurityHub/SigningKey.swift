import Foundation
import Crypto

/// An ES256 (ECDSA P-256, SHA-256) key pair with its key id. The algorithm is fixed per key: a token is only
/// ever verified with the algorithm its key was made for, never with one named by the token.
public struct SigningKey: Sendable {
    /// The key id, written as `kid` in token headers and the JWKS.
    public let id: String
    let privateKey: P256.Signing.PrivateKey

    /// The one algorithm this key signs and verifies with.
    public static let algorithm = "ES256"

    /// Reads a PEM private key (PKCS#8 or SEC1).
    /// - Throws: when the PEM is not a P-256 private key.
    public init(id: String, pem: String) throws {
        self.id = id
        self.privateKey = try P256.Signing.PrivateKey(pemRepresentation: pem)
    }

    /// Makes a new random key.
    public static func generate(id: String) -> (key: SigningKey, pem: String) {
        let privateKey = P256.Signing.PrivateKey()
        let pem = privateKey.pemRepresentation
        // A freshly generated key always parses back.
        return (SigningKey(id: id, privateKey: privateKey), pem)
    }

    private init(id: String, privateKey: P256.Signing.PrivateKey) {
        self.id = id
        self.privateKey = privateKey
    }

    /// The public half as a JWK.
    public var jwk: [String: String] {
        let raw = privateKey.publicKey.x963Representation  // 0x04 || x || y
        return [
            "kty": "EC",
            "crv": "P-256",
            "alg": Self.algorithm,
            "use": "sig",
            "kid": id,
            "x": Base64URL.encode(raw[1..<33]),
            "y": Base64URL.encode(raw[33..<65]),
        ]
    }
}
