import TextPatterns

/// A pattern in a flow (`collect` validation, a `matches` rule, an interrupt), in the linear-time syntax of
/// `TextPattern`, so that no pattern a tenant writes can make matching slow.
///
/// Found anywhere in a message, a match never starts or ends inside a word. Written between `^` and `$`, the
/// pattern must match the whole message instead; a `collect` pattern always must, with or without them.
public struct MessagePattern: Sendable {
    /// The pattern as written.
    public let source: String
    /// Whether the pattern is anchored with `^…$`.
    public let isWhole: Bool
    let pattern: TextPattern

    /// Reads a pattern.
    /// - Throws: ``TemplateError`` describing what the syntax does not allow and where.
    public init(_ source: String) throws(TemplateError) {
        self.source = source
        var body = Substring(source)
        var prefix = ""
        if body.hasPrefix("(?i)") {
            prefix = "(?i)"
            body = body.dropFirst(4)
        }
        let opens = body.hasPrefix("^")
        var closes = false
        if body.hasSuffix("$") {
            var backslashes = 0
            var index = body.index(before: body.endIndex)
            while index > body.startIndex {
                index = body.index(before: index)
                if body[index] == "\\" { backslashes += 1 } else { break }
            }
            closes = backslashes % 2 == 0
        }
        guard opens == closes else {
            throw TemplateError("`^` and `$` come as a pair, around a pattern that must match the whole message")
        }
        if opens { body = body.dropFirst().dropLast() }
        isWhole = opens
        do {
            pattern = try TextPattern(prefix + body)
        } catch {
            throw TemplateError("\(error.message) (at character \(error.offset + (opens ? 1 : 0)))")
        }
    }

    /// Whether the pattern is found in `text` (or matches all of it, for `^…$`).
    public func matches(_ text: String) -> Bool {
        isWhole ? matchesWhole(text) : !pattern.matches(in: text).isEmpty
    }

    /// Whether the pattern matches all of `text`.
    public func matchesWhole(_ text: String) -> Bool {
        let count = text.utf8.count
        guard count > 0 else { return false }
        // Leftmost-longest: a match that spans the whole text is the first one found when there is one.
        return pattern.matches(in: text).first == 0..<count
    }
}
