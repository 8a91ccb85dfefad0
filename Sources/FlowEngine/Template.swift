import Foundation
import Mustache

/// A mustache template in a flow: message text, a button title, an input value, a prompt message.
///
/// Templates render chat text, so nothing is HTML-escaped. They run in a sandbox: a template sees only the
/// conversation's variables (`vars`, and each variable by its bare name), `contact`, `channel` and `tenant`; partials,
/// template inheritance, delimiter changes and pragmas are refused when the flow is read, and there are no lambdas,
/// so rendering cannot read anything else or run anything.
public struct Template: Sendable {
    /// The template as written.
    public let source: String
    /// `nil` when the source has no tags, so rendering is a copy.
    let compiled: MustacheTemplate?
    /// The variable paths the template reads outside sections' inner scopes, for validation.
    let references: [VariablePath]

    /// The longest template accepted, in UTF-8 bytes.
    public static let maximumLength = 16_384
    /// The longest text one rendering may produce, in UTF-8 bytes; the rest is cut.
    public static let maximumOutput = 65_536

    /// Reads a template.
    /// - Throws: ``TemplateError`` for a tag the sandbox refuses or mustache syntax that does not parse.
    public init(_ source: String) throws(TemplateError) {
        self.source = source
        guard source.utf8.count <= Self.maximumLength else {
            throw TemplateError("longer than \(Self.maximumLength) bytes")
        }
        guard source.contains("{{") else {
            compiled = nil
            references = []
            return
        }
        references = try Self.scan(source)
        do {
            compiled = try MustacheTemplate(string: "{{%CONTENT_TYPE:TEXT}}" + source)
        } catch {
            throw TemplateError("the mustache syntax does not parse (\(Self.describe(error)))")
        }
    }

    /// Renders against a scope.
    public func render(_ scope: RenderScope) -> String {
        guard let compiled else { return source }
        let text = compiled.render(TemplateRoot(scope: scope))
        if text.utf8.count <= Self.maximumOutput { return text }
        var end = text.utf8.index(text.utf8.startIndex, offsetBy: Self.maximumOutput)
        while !text.unicodeScalars.indices.contains(end) { end = text.utf8.index(before: end) }
        return String(text[..<end])
    }

    /// Whether the template is exactly one variable tag, such as `{{order}}`, and which path it names.
    var soleReference: String? {
        guard compiled != nil else { return nil }
        let trimmed = source.trimmingWhitespace
        guard trimmed.hasPrefix("{{"), trimmed.hasSuffix("}}"), !trimmed.hasPrefix("{{{") else { return nil }
        let inner = trimmed.dropFirst(2).dropLast(2).trimmingWhitespace
        guard !inner.isEmpty, inner.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }),
            inner.first != ".", !trimmed.dropFirst(2).contains("{{")
        else { return nil }
        return inner
    }

    private static func describe(_ error: any Error) -> String {
        if let parserError = error as? MustacheTemplate.ParserError {
            return "\(parserError.error) at line \(parserError.context.lineNumber), column \(parserError.context.columnNumber)"
        }
        return "\(error)"
    }

    /// Finds every tag, refuses the ones the sandbox does not allow, and lists top-level variable paths.
    private static func scan(_ source: String) throws(TemplateError) -> [VariablePath] {
        var references: [VariablePath] = []
        var depth = 0
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            let afterOpen = rest[open.upperBound...]
            let triple = afterOpen.hasPrefix("{")
            let closeToken = triple ? "}}}" : "}}"
            guard let close = afterOpen.range(of: closeToken) else { throw TemplateError("a `{{` tag is not closed") }
            var tag = afterOpen[..<close.lowerBound]
            rest = afterOpen[close.upperBound...]
            if triple { tag = tag.dropFirst() }
            tag = tag.trimmingWhitespace[...]
            guard let sigil = tag.first else { throw TemplateError("an empty `{{}}` tag") }
            var name: Substring
            switch sigil {
            case "!": continue
            case ">", "<", "$": throw TemplateError("partials and template inheritance (`{{\(sigil)`) are not available in flows")
            case "=": throw TemplateError("changing delimiters (`{{=`) is not available in flows")
            case "%": throw TemplateError("pragmas (`{{%`) are not available in flows")
            case "/":
                depth -= 1
                continue
            case "#", "^":
                name = tag.dropFirst().trimmingWhitespace[...]
                if depth == 0, let path = VariablePath(stripping: name) { references.append(path) }
                depth += 1
                continue
            case "&": name = tag.dropFirst().trimmingWhitespace[...]
            default: name = tag
            }
            if depth == 0, let path = VariablePath(stripping: name) { references.append(path) }
        }
        return references
    }
}

/// Why a template was refused.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A path to a value a conversation holds: `order.status` (a variable), `vars.order.status`, `contact.name`,
/// `channel.type` or `tenant.supportEmail`.
public struct VariablePath: Sendable, Hashable, CustomStringConvertible {
    /// Where a path starts.
    public enum Root: String, Sendable, Hashable { case vars, contact, channel, tenant }
    public var root: Root
    /// The parts after the root; for `vars`, the first is the variable's name.
    public var parts: [Substring]

    /// Reads a dotted path.
    public init?(_ text: some StringProtocol) {
        let all = text.split(separator: ".", omittingEmptySubsequences: false).map { Substring($0) }
        guard let first = all.first, !first.isEmpty, all.allSatisfy({ !$0.isEmpty }) else { return nil }
        if let root = Root(rawValue: String(first)) {
            self.root = root
            self.parts = Array(all.dropFirst())
            if root == .vars && parts.isEmpty { return nil }
        } else {
            self.root = .vars
            self.parts = all
        }
    }

    /// Reads a tag name, unwrapping transforms such as `uppercased(name)`; `nil` for `.`.
    init?(stripping name: Substring) {
        var name = name
        while let open = name.firstIndex(of: "("), name.last == ")" {
            name = name[name.index(after: open)..<name.index(before: name.endIndex)]
        }
        if name.isEmpty || name.first == "." { return nil }
        self.init(name)
    }

    /// The variable a `vars` path reads.
    public var variable: String? { root == .vars ? parts.first.map(String.init) : nil }

    public var description: String { ([root.rawValue] + parts.map(String.init)).joined(separator: ".") }
}

/// What a template and a rule may read: the conversation's variables, contact, channel and tenant settings.
public struct RenderScope: Sendable {
    public var vars: [String: FlowValue]
    public var contact: [String: FlowValue]
    public var channel: [String: FlowValue]
    public var tenant: [String: FlowValue]

    /// Creates a scope.
    public init(
        vars: [String: FlowValue] = [:],
        contact: [String: FlowValue] = [:],
        channel: [String: FlowValue] = [:],
        tenant: [String: FlowValue] = [:]
    ) {
        self.vars = vars
        self.contact = contact
        self.channel = channel
        self.tenant = tenant
    }

    /// The value at a path, or `nil`.
    public func value(at path: VariablePath) -> FlowValue? {
        let members: [String: FlowValue]
        switch path.root {
        case .vars: members = vars
        case .contact: members = contact
        case .channel: members = channel
        case .tenant: members = tenant
        }
        guard let first = path.parts.first else { return .object(members) }
        guard let value = members[String(first)] else { return nil }
        return path.parts.count == 1 ? value : value.value(at: path.parts.dropFirst())
    }

}

/// The root object mustache renders: the four roots, then variables by bare name.
struct TemplateRoot: MustacheParent {
    let scope: RenderScope

    func child(named name: String) -> Any? {
        switch name {
        case "vars": return TemplateObject(members: scope.vars)
        case "contact": return TemplateObject(members: scope.contact)
        case "channel": return TemplateObject(members: scope.channel)
        case "tenant": return TemplateObject(members: scope.tenant)
        default: return scope.vars[name].flatMap(TemplateObject.mustacheValue)
        }
    }
}

/// An object value seen by mustache: members by name, rendered as JSON when shown whole.
struct TemplateObject: MustacheParent, MustacheCustomRenderable {
    let members: [String: FlowValue]

    func child(named name: String) -> Any? { members[name].flatMap(Self.mustacheValue) }
    var renderText: String { FlowValue.object(members).json }
    var isNull: Bool { false }

    /// What mustache sees for a value: strings and numbers as text, booleans as `Bool` (so sections test them),
    /// arrays as sequences, objects as parents, and null or empty text as absent.
    static func mustacheValue(_ value: FlowValue) -> Any? {
        switch value {
        case .null: return nil
        case .bool(let flag): return flag
        case .number: return value.text
        case .string(let text): return text.isEmpty ? nil : text
        case .array(let elements): return elements.map { TemplateElement(value: $0) }
        case .object(let members): return TemplateObject(members: members)
        }
    }
}

/// An array element seen by mustache, so `{{.}}` shows it and `{{name}}` reads its members.
struct TemplateElement: MustacheParent, MustacheCustomRenderable {
    let value: FlowValue
    func child(named name: String) -> Any? {
        guard case .object(let members) = value else { return nil }
        return members[name].flatMap(TemplateObject.mustacheValue)
    }
    var renderText: String { value.text }
    var isNull: Bool { value == .null }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace and newlines.
    var trimmingWhitespace: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
