import Foundation

/// One thing wrong with a flow definition, where it is, and what to do about it.
///
/// Errors stop a flow from being published or run; warnings are worth a look but do not.
public struct FlowProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How serious a problem is.
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    /// `error` or `warning`.
    public var severity: Severity
    /// A JSON pointer (RFC 6901) to the offending member; `""` is the whole document.
    public var pointer: String
    /// A stable machine-readable code, such as `dangling-transition`; the list is in `docs/flows.md`.
    public var code: String
    /// A plain-language explanation.
    public var message: String

    /// Creates a problem.
    public init(_ severity: Severity, _ pointer: String, _ code: String, _ message: String) {
        self.severity = severity
        self.pointer = pointer
        self.code = code
        self.message = message
    }

    /// `pointer: message` with the severity, for logs and the command line.
    public var description: String { "\(severity.rawValue) \(pointer.isEmpty ? "/" : pointer) [\(code)]: \(message)" }

    /// Builds a pointer from reference tokens, escaping `~` and `/` (RFC 6901).
    public static func pointer<Tokens: Sequence<String>>(_ tokens: Tokens) -> String {
        var out = ""
        for token in tokens {
            out += "/"
            if token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) {
                out += token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            } else {
                out += token
            }
        }
        return out
    }
}

extension String {
    /// `self` with a reference token appended, as a JSON pointer.
    func slash(_ token: String) -> String { self + FlowProblem.pointer([token]) }
    func slash(_ index: Int) -> String { self + "/" + String(index) }
}
