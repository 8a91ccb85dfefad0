/// Finds personal data in chat text with hand-written scanners over UTF-8 bytes: no regular expressions on the
/// hot path, one pass per recognizer, and checksums (Luhn, mod-97) as part of detection.
public struct PIIDetector: Sendable {
    /// The built-in entities to look for.
    public var entities: Set<PIIEntity>
    /// The tenant's own recognizers, run after the built-in ones.
    public var recognizers: [PIIRecognizer]
    /// Values never reported, compared ignoring ASCII case (for example the company's own support number).
    public var allowList: Set<String>

    /// Creates a detector for the built-in `entities` (all by default), a tenant's recognizers and allow-list.
    public init(
        entities: Set<PIIEntity> = Set(PIIEntity.builtIn),
        recognizers: [PIIRecognizer] = [],
        allowList: [String] = []
    ) {
        self.entities = entities
        self.recognizers = recognizers
        self.allowList = Set(allowList.map { $0.lowercased() })
    }

    /// Every match in `text`, ordered by position, without overlaps (the higher score wins an overlap).
    public func detect(_ text: String) -> [PIIMatch] {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer in detect(UnsafeBufferPointer(buffer)) }
    }

    func detect(_ b: UnsafeBufferPointer<UInt8>) -> [PIIMatch] {
        var found: [PIIMatch] = []
        if entities.contains(.email) { Scanners.emails(b, into: &found) }
        if entities.contains(.creditCard) || entities.contains(.phone) || entities.contains(.usSSN) {
            Scanners.digitRuns(b, entities: entities, into: &found)
        }
        if entities.contains(.iban) { Scanners.ibans(b, into: &found) }
        if entities.contains(.ipAddress) { Scanners.ipv4(b, into: &found); Scanners.ipv6(b, into: &found) }
        if entities.contains(.dateOfBirth) { Scanners.datesOfBirth(b, into: &found) }
        for recognizer in recognizers { recognizer.detect(b, into: &found) }
        let resolved = Self.resolve(found)
        guard !allowList.isEmpty else { return resolved }
        return resolved.filter { match in
            !allowList.contains(String(decoding: UnsafeBufferPointer(rebasing: b[match.range]), as: UTF8.self).lowercased())
        }
    }

    /// Keeps the best of overlapping matches.
    static func resolve(_ matches: [PIIMatch]) -> [PIIMatch] {
        let ordered = matches.sorted { $0.score != $1.score ? $0.score > $1.score : $0.range.count > $1.range.count }
        var kept: [PIIMatch] = []
        for match in ordered where !kept.contains(where: { $0.range.overlaps(match.range) }) {
            kept.append(match)
        }
        return kept.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }
}
