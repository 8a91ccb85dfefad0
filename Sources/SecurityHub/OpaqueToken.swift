import ChorusCore
public import Foundation
import Crypto

/// Opaque bearer secrets that carry their tenant in the clear: refresh tokens (`crt_`) and invitations (`cin_`).
///
/// The tenant part lets the server open the right tenant transaction without any cross-tenant lookup; the secret
/// part is 256 random bits; only its SHA-256 is stored. Changing the tenant part only sends the lookup to a
/// tenant where the hash does not exist.
public struct OpaqueToken: Sendable, Equatable {
    /// What the token is for.
    public enum Kind: String, Sendable {
        case refresh = "crt"
        case invitation = "cin"
    }

    /// What the token is for.
    public let kind: Kind
    /// The tenant it belongs to.
    public let tenantID: UUID
    /// The whole token, as given to the client.
    public let value: String

    /// Makes a new random token.
    public static func generate(_ kind: Kind, tenantID: UUID) -> OpaqueToken {
        let value = "\(kind.rawValue)_\(tenantID.compactHex)_\(Base64URL.random(bytes: 32))"
        return OpaqueToken(kind: kind, tenantID: tenantID, value: value)
    }

    /// Reads a token of the expected kind; nil when it is malformed.
    public init?(_ text: String, kind: Kind) {
        let parts = text.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == kind.rawValue, parts[1].count == 32, parts[2].count == 43,
            Base64URL.decode(parts[2]) != nil
        else { return nil }
        let hex = Array(parts[1])
        let dashed = String(hex[0..<8]) + "-" + String(hex[8..<12]) + "-" + String(hex[12..<16]) + "-"
            + String(hex[16..<20]) + "-" + String(hex[20..<32])
        guard let tenantID = UUID(uuidString: dashed) else { return nil }
        self.init(kind: kind, tenantID: tenantID, value: text)
    }

    private init(kind: Kind, tenantID: UUID, value: String) {
        self.kind = kind
        self.tenantID = tenantID
        self.value = value
    }

    /// The hex SHA-256 stored in place of the token.
    public var hash: String {
        SHA256.hash(data: Data(value.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
