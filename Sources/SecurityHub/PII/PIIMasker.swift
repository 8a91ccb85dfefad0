public import Crypto
import Foundation

/// How one kind of personal data is masked.
public enum MaskOperator: Sendable, Equatable {
    /// `[EMAIL]`.
    case redact
    /// Stars and the last `keep` characters, for example `****1234`.
    case partial(keep: Int)
    /// `[EMAIL:3f2a…]`, stable for a value within a tenant, so analytics can still count distinct values.
    case keyedHash
    /// `[EMAIL#…]`, reversible by `PIIMasker.unmask` with the tenant's key (a permission decides who may).
    case encrypt
}

/// Replaces personal data in text according to a tenant's policy.
public struct PIIMasker: Sendable {
    private let hashKey: SymmetricKey
    private let encryptionKey: SymmetricKey
    /// What each entity becomes; entities not listed are redacted.
    public var policy: [PIIEntity: MaskOperator]
    /// The detector used to find what to mask.
    public var detector: PIIDetector

    /// Creates a masker with a tenant's keys.
    /// - Parameters:
    ///   - tenantKey: a per-tenant secret; the hash and encryption keys are derived from it with HKDF.
    ///   - policy: the operator per entity.
    public init(tenantKey: SymmetricKey, policy: [PIIEntity: MaskOperator] = [:], detector: PIIDetector = PIIDetector()) {
        self.hashKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: tenantKey, info: Data("chorus.pii.hash".utf8), outputByteCount: 32)
        self.encryptionKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: tenantKey, info: Data("chorus.pii.encrypt".utf8), outputByteCount: 32)
        self.policy = policy
        self.detector = detector
    }

    /// `text` with every detected entity replaced.
    public func mask(_ text: String) -> String {
        PIIMatch.replace(detector.detect(text), in: text) { replacement(for: $1, entity: $0.entity) }
    }

    func replacement(for value: String, entity: PIIEntity) -> String {
        switch policy[entity] ?? .redact {
        case .redact:
            return entity.placeholder
        case .partial(let keep):
            let kept = value.filter { $0.isLetter || $0.isNumber }.suffix(max(0, keep))
            return String(repeating: "*", count: 4) + kept
        case .keyedHash:
            let code = HMAC<SHA256>.authenticationCode(for: Data("\(entity.rawValue):\(value)".utf8), using: hashKey)
            return "[\(entity.rawValue.uppercased()):\(code.prefix(8).map { String(format: "%02x", $0) }.joined())]"
        case .encrypt:
            guard let box = try? AES.GCM.seal(Data(value.utf8), using: encryptionKey, authenticating: Data(entity.rawValue.utf8)),
                let combined = box.combined
            else { return entity.placeholder }
            return "[\(entity.rawValue.uppercased())#\(Base64URL.encode(combined))]"
        }
    }

    /// `text` with every `[ENTITY#…]` token made by `.encrypt` under this tenant's key restored; tokens of other
    /// tenants, or tampered ones, stay as they are.
    public func unmask(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "[") {
            result += rest[..<open]
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "]"), let hash = after[..<close].firstIndex(of: "#"),
                let entity = PIIEntity(rawValue: after[..<hash].lowercased()),
                let combined = Base64URL.decode(after[after.index(after: hash)..<close]),
                let box = try? AES.GCM.SealedBox(combined: combined),
                let plain = try? AES.GCM.open(box, using: encryptionKey, authenticating: Data(entity.rawValue.utf8))
            else {
                result += "["
                rest = after
                continue
            }
            result += String(decoding: plain, as: UTF8.self)
            rest = after[after.index(after: close)...]
        }
        return result + rest
    }
}
