/// A kind of personal data: one of the built-in ones, or one a tenant defines with its own recognizer (for
/// example `employee_id`). Names are 1 to 40 lower-case letters, digits and underscores, starting with a letter.
public struct PIIEntity: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// The entity named `rawValue`, if the name is well formed.
    public init?(rawValue: String) {
        guard Self.isValidName(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    private init(builtIn name: String) { rawValue = name }

    public static let email = PIIEntity(builtIn: "email")
    public static let phone = PIIEntity(builtIn: "phone")
    public static let creditCard = PIIEntity(builtIn: "credit_card")
    public static let iban = PIIEntity(builtIn: "iban")
    public static let ipAddress = PIIEntity(builtIn: "ip_address")
    public static let usSSN = PIIEntity(builtIn: "us_ssn")
    public static let dateOfBirth = PIIEntity(builtIn: "date_of_birth")

    /// The entities the built-in recognizers find.
    public static let builtIn: [PIIEntity] = [.email, .phone, .creditCard, .iban, .ipAddress, .usSSN, .dateOfBirth]

    /// Whether a built-in recognizer finds this entity.
    public var isBuiltIn: Bool { Self.builtIn.contains(self) }

    /// The placeholder a redacted value becomes, for example `[EMAIL]`.
    public var placeholder: String { "[\(rawValue.uppercased())]" }

    public var description: String { rawValue }

    /// Whether `name` is a well-formed entity name.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...40).contains(bytes.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]) else {
            return false
        }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_")
        }
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let entity = PIIEntity(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad entity name \(name)"))
        }
        self = entity
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
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

extension PIIMatch {
    /// `text` with each of `matches` (ordered, not overlapping, as `PIIDetector.detect` returns them) replaced by
    /// what `replacement` returns for the match and its value.
    static func replace(_ matches: [PIIMatch], in text: String, _ replacement: (PIIMatch, String) -> String) -> String {
        guard !matches.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var cursor = 0
        for match in matches {
            out += bytes[cursor..<match.range.lowerBound]
            out += Array(replacement(match, String(decoding: bytes[match.range], as: UTF8.self)).utf8)
            cursor = match.range.upperBound
        }
        out += bytes[cursor...]
        return String(decoding: out, as: UTF8.self)
    }
}
