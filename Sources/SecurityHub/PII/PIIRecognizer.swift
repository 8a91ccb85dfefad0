import Foundation
import TextPatterns

/// A tenant's own recognizer, as the admin API stores it: patterns (see `TextPattern`), an optional deny-list of
/// values that are always reported, and optional context words near a match that raise its score or are
/// required.
public struct PIIRecognizerDefinition: Sendable, Codable, Equatable {
    /// A name unique within the tenant.
    public var name: String
    /// What the matches are: a tenant entity such as `employee_id`, or a built-in one (extra phone formats).
    public var entity: PIIEntity
    /// Patterns in `TextPattern` syntax.
    public var patterns: [String]
    /// Values reported wherever they occur as whole words, ignoring ASCII case (for example code names).
    public var denyList: [String]
    /// Words that, within a few words before or after a pattern match, make it more certain.
    public var contextWords: [String]
    /// Whether a pattern match counts only with a context word near it.
    public var contextRequired: Bool
    /// The score of a pattern match without context, 0.01 to 1; a context word adds 0.3.
    public var score: Double

    /// Creates a definition.
    public init(
        name: String,
        entity: PIIEntity,
        patterns: [String] = [],
        denyList: [String] = [],
        contextWords: [String] = [],
        contextRequired: Bool = false,
        score: Double = 0.6
    ) {
        self.name = name
        self.entity = entity
        self.patterns = patterns
        self.denyList = denyList
        self.contextWords = contextWords
        self.contextRequired = contextRequired
        self.score = score
    }

    /// Limits on what a tenant may define.
    public static let maximumPatterns = 10
    public static let maximumDenyListTerms = 1000
    public static let maximumTermLength = 100
    public static let maximumContextWords = 20

    /// Every problem with this definition, each with a JSON pointer (relative to the definition) and a message.
    public var problems: [(pointer: String, message: String)] {
        var found: [(String, String)] = []
        if patterns.isEmpty && denyList.isEmpty {
            found.append(("/patterns", "give at least one pattern or one denyList value."))
        }
        if patterns.count > Self.maximumPatterns {
            found.append(("/patterns", "at most \(Self.maximumPatterns) patterns."))
        }
        for (index, source) in patterns.enumerated().prefix(Self.maximumPatterns) {
            do {
                _ = try TextPattern(source)
            } catch {
                found.append(("/patterns/\(index)", error.description))
            }
        }
        if denyList.count > Self.maximumDenyListTerms {
            found.append(("/denyList", "at most \(Self.maximumDenyListTerms) values."))
        }
        for (index, term) in denyList.enumerated().prefix(Self.maximumDenyListTerms) {
            let trimmed = term.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.count > Self.maximumTermLength {
                found.append(("/denyList/\(index)", "each value must be 1 to \(Self.maximumTermLength) characters, not blank."))
            }
        }
        if contextWords.count > Self.maximumContextWords {
            found.append(("/contextWords", "at most \(Self.maximumContextWords) words."))
        }
        for (index, word) in contextWords.enumerated().prefix(Self.maximumContextWords) {
            if word.trimmingCharacters(in: .whitespaces).isEmpty || word.count > 40 {
                found.append(("/contextWords/\(index)", "each context word must be 1 to 40 characters, not blank."))
            }
        }
        if contextRequired && contextWords.isEmpty {
            found.append(("/contextRequired", "contextRequired needs at least one context word."))
        }
        if !(0.01...1).contains(score) {
            found.append(("/score", "score must be between 0.01 and 1."))
        }
        return found
    }
}

/// A definition compiled for detection.
public struct PIIRecognizer: Sendable {
    /// What it was compiled from.
    public let definition: PIIRecognizerDefinition
    private let patterns: [TextPattern]
    /// Deny-list values in lower-case ASCII, by first byte.
    private let terms: [UInt8: [[UInt8]]]
    private let context: [[UInt8]]

    /// A recognizer that cannot be compiled.
    public struct Invalid: Error, Sendable {
        /// The definition's problems, as `PIIRecognizerDefinition.problems` lists them.
        public let problems: [String]
    }

    /// Compiles a definition.
    /// - Throws: `Invalid` when the definition has problems.
    public init(_ definition: PIIRecognizerDefinition) throws(Invalid) {
        let problems = definition.problems
        guard problems.isEmpty else { throw Invalid(problems: problems.map { "\($0.pointer): \($0.message)" }) }
        var patterns: [TextPattern] = []
        for source in definition.patterns {
            do { patterns.append(try TextPattern(source)) } catch { throw Invalid(problems: [error.description]) }
        }
        var terms: [UInt8: [[UInt8]]] = [:]
        for term in definition.denyList {
            let bytes = Array(term.trimmingCharacters(in: .whitespaces).utf8).map(Scanners.lower)
            terms[bytes[0], default: []].append(bytes)
        }
        self.definition = definition
        self.patterns = patterns
        self.terms = terms.mapValues { $0.sorted { $0.count > $1.count } }
        self.context = definition.contextWords.map { Array($0.trimmingCharacters(in: .whitespaces).lowercased().utf8) }
    }

    /// Appends this recognizer's matches in `b`.
    func detect(_ b: UnsafeBufferPointer<UInt8>, into found: inout [PIIMatch]) {
        for pattern in patterns {
            for range in pattern.matches(in: b) {
                var score = definition.score
                if !context.isEmpty {
                    let near = Scanners.context(b, before: range.lowerBound, window: 48, context)
                        || Scanners.context(b, after: range.upperBound, window: 32, context)
                    if definition.contextRequired && !near { continue }
                    if near { score = min(1, score + 0.3) }
                }
                found.append(PIIMatch(entity: definition.entity, range: range, score: score))
            }
        }
        guard !terms.isEmpty else { return }
        var i = 0
        while i < b.count {
            guard i == 0 || !Scanners.isAlnum(b[i - 1]), let candidates = terms[Scanners.lower(b[i])] else {
                i += 1
                continue
            }
            var matched = 0
            for term in candidates where i + term.count <= b.count {
                var j = 1
                while j < term.count && Scanners.lower(b[i + j]) == term[j] { j += 1 }
                let end = i + term.count
                if j == term.count && (end == b.count || !Scanners.isAlnum(b[end]) || !Scanners.isAlnum(term[term.count - 1])) {
                    matched = term.count
                    break
                }
            }
            if matched > 0 {
                found.append(PIIMatch(entity: definition.entity, range: i..<(i + matched), score: 1))
                i += matched
            } else {
                i += 1
            }
        }
    }
}
