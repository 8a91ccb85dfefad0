/// Kinds of personal data the detector recognises.
public enum PIIEntity: String, Sendable, CaseIterable, Codable {
    case email
    case phone
    case creditCard = "credit_card"
    case iban
    case ipAddress = "ip_address"
    case usSSN = "us_ssn"
    case dateOfBirth = "date_of_birth"

    /// The placeholder a redacted value becomes, for example `[EMAIL]`.
    public var placeholder: String { "[\(rawValue.uppercased())]" }
}

/// One piece of personal data found in a text.
public struct PIIMatch: Sendable, Equatable {
    /// What it is.
    public var entity: PIIEntity
    /// Where it is, as UTF-8 byte offsets into the text.
    public var range: Range<Int>
    /// How sure the recognizer is, 0 to 1. Checksummed entities (cards, IBANs) score highest.
    public var score: Double

    /// Creates a match.
    public init(entity: PIIEntity, range: Range<Int>, score: Double) {
        self.entity = entity
        self.range = range
        self.score = score
    }
}
