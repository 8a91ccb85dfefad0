extension StringProtocol {
    /// The text without leading and trailing white space (Unicode's White_Space, the characters Foundation's
    /// `.whitespacesAndNewlines` names), copied only when there is some to remove. Foundation's trimming goes through
    /// `NSString` and copies every time, which shows on paths that run for every model call.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return String(self) }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
