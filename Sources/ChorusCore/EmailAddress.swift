/// A deliberately simple email syntax check: one `@`, a non-empty local part, a dotted domain, no spaces.
/// Deliverability is proven by the invitation, not by a pattern.
public enum EmailAddress {
    /// Whether `text` looks like an address someone could receive mail at.
    public static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64 else { return false }
        let domain = parts[1]
        guard domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else {
            return false
        }
        return !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," })
    }
}
