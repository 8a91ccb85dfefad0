public import Crypto

/// A tenant's choices about personal data: how each entity is masked, which built-in entities are not looked
/// for, values that are never personal data, and whether text is masked before it leaves for a model provider.
public struct PIIPolicy: Sendable, Codable, Equatable {
    /// The operator per entity name; entities not listed are redacted.
    public var operators: [String: MaskOperator]
    /// Built-in entities the tenant does not want detected (for example `ip_address`).
    public var disabledEntities: [PIIEntity]
    /// Values never reported (ignoring ASCII case), such as the tenant's own support number.
    public var allowList: [String]
    /// Whether text is masked with placeholders before it leaves for a language-model provider, and restored in
    /// the reply (see `ModelMasking`).
    public var maskBeforeModels: Bool

    /// Creates a policy; the default redacts everything and does not mask model calls.
    public init(
        operators: [String: MaskOperator] = [:],
        disabledEntities: [PIIEntity] = [],
        allowList: [String] = [],
        maskBeforeModels: Bool = false
    ) {
        self.operators = operators
        self.disabledEntities = disabledEntities
        self.allowList = allowList
        self.maskBeforeModels = maskBeforeModels
    }

    /// The detector this policy and the tenant's recognizers make.
    public func detector(recognizers: [PIIRecognizer]) -> PIIDetector {
        PIIDetector(
            entities: Set(PIIEntity.builtIn).subtracting(disabledEntities),
            recognizers: recognizers,
            allowList: allowList
        )
    }

    /// The masker this policy makes with the tenant's masking key.
    public func masker(tenantKey: SymmetricKey, recognizers: [PIIRecognizer]) -> PIIMasker {
        var byEntity: [PIIEntity: MaskOperator] = [:]
        for (name, op) in operators { if let entity = PIIEntity(rawValue: name) { byEntity[entity] = op } }
        return PIIMasker(tenantKey: tenantKey, policy: byEntity, detector: detector(recognizers: recognizers))
    }
}

extension MaskOperator: Codable {
    private enum CodingKeys: String, CodingKey { case type, keep }

    /// The operator's name in JSON: `redact`, `partial`, `hash` or `encrypt`.
    public var name: String {
        switch self {
        case .redact: "redact"
        case .partial: "partial"
        case .keyedHash: "hash"
        case .encrypt: "encrypt"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "redact": self = .redact
        case "partial": self = .partial(keep: try container.decodeIfPresent(Int.self, forKey: .keep) ?? 4)
        case "hash": self = .keyedHash
        case "encrypt": self = .encrypt
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "unknown operator \(other)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .type)
        if case .partial(let keep) = self { try container.encode(keep, forKey: .keep) }
    }
}
