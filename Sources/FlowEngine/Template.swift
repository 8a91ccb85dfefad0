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
    /// For a template of text and plain variable tags only (most chat messages), its pieces in order, rendered
    /// without the general renderer's dynamic lookups; `nil` when sections or transforms need swift-mustache.
    let segments: [Segment]?

    enum Segment: Sendable {
        case text(String)
        case value(VariablePath)
    }

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
        guard Self.hasTags(source) else {
            compiled = nil
            references = []
            segments = nil
            return
        }
        let scanned = try Self.scan(source)
        references = scanned.references
        segments = scanned.segments
        do {
            compiled = try MustacheTemplate(string: scanned.text)
        } catch {
            throw TemplateError("the mustache syntax does not parse (\(Self.describe(error)))")
        }
    }

    /// Renders against a scope.
    public func render(_ scope: RenderScope) -> String {
        guard let compiled else { return source }
        let text: String
        if let segments {
            var out = ""
            for segment in segments {
                switch segment {
                case .text(let piece): out += piece
                case .value(let path): scope.value(at: path)?.write(text: &out)
                }
            }
            text = out
        } else {
            text = compiled.render(TemplateRoot(scope: scope))
        }
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
            inner.first != ".", !Self.hasTags(String(trimmed.dropFirst(2)))
        else { return nil }
        return inner
    }

    /// The first occurrence of an ASCII `needle` in `text`.
    private static func find(_ needle: StaticString, in text: Substring) -> Range<Substring.Index>? {
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        let utf8 = text.utf8
        var index = utf8.startIndex
        while index != utf8.endIndex {
            var probe = index
            var matched = 0
            while matched < pattern.count, probe != utf8.endIndex, utf8[probe] == pattern[matched] {
                matched += 1
                probe = utf8.index(after: probe)
            }
            if matched == pattern.count { return index..<probe }
            index = utf8.index(after: index)
        }
        return nil
    }

    private static func describe(_ error: any Error) -> String {
        if let parserError = error as? MustacheTemplate.ParserError {
            return "\(parserError.error) at line \(parserError.context.lineNumber), column \(parserError.context.columnNumber)"
        }
        return "\(error)"
    }

    /// Whether `text` contains `{{`, by bytes: Foundation's substring search costs more than the rest of reading a
    /// typical string.
    static func hasTags(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "{") && previous == UInt8(ascii: "{") { return true }
            previous = byte
        }
        return false
    }

    /// Finds every tag, refuses the ones the sandbox does not allow, lists top-level variable paths, and rewrites
    /// plain `{{name}}` tags as `{{&name}}`: chat text is never HTML-escaped, and rewriting costs less than the
    /// `CONTENT_TYPE` pragma, which takes a third of mustache's parsing time.
    private static func scan(_ source: String) throws(TemplateError) -> (references: [VariablePath], text: String, segments: [Segment]?) {
        var references: [VariablePath] = []
        var segments: [Segment]? = []
        var text = ""
        text.reserveCapacity(source.utf8.count + 8)
        var depth = 0
        var rest = Substring(source)
        while let open = Self.find("{{", in: rest) {
            text += rest[..<open.lowerBound]
            if !rest[..<open.lowerBound].isEmpty { segments?.append(.text(String(rest[..<open.lowerBound]))) }
            let afterOpen = rest[open.upperBound...]
            let triple = afterOpen.hasPrefix("{")
            guard let close = triple ? Self.find("}}}", in: afterOpen) : Self.find("}}", in: afterOpen) else {
                throw TemplateError("a `{{` tag is not closed")
            }
            let whole = rest[open.lowerBound..<close.upperBound]
            var tag = afterOpen[..<close.lowerBound]
            rest = afterOpen[close.upperBound...]
            if triple { tag = tag.dropFirst() }
            tag = tag.trimmingWhitespace[...]
            guard let sigil = tag.first else { throw TemplateError("an empty `{{}}` tag") }
            var name: Substring
            switch sigil {
            case "!":
                continue
            case ">", "<", "$":
                throw TemplateError("partials and template inheritance (`{{\(sigil)`) are not available in flows")
            case "=": throw TemplateError("changing delimiters (`{{=`) is not available in flows")
            case "%": throw TemplateError("pragmas (`{{%`) are not available in flows")
            case "/":
                depth -= 1
                text += whole
                continue
            case "#", "^":
                segments = nil
                name = tag.dropFirst().trimmingWhitespace[...]
                if depth == 0, let path = VariablePath(stripping: name) { references.append(path) }
                depth += 1
                text += whole
                continue
            case "&":
                name = tag.dropFirst().trimmingWhitespace[...]
                text += whole
            default:
                name = tag
                if triple {
                    text += whole
                } else {
                    text += "{{&"
                    text += tag
                    text += "}}"
                }
            }
            if depth == 0, let path = VariablePath(stripping: name) { references.append(path) }
            if name.contains("(") || name.first == "." {
                segments = nil
            } else if let path = VariablePath(name) {
                segments?.append(.value(path))
            } else {
                segments = nil
            }
        }
        text += rest
        if !rest.isEmpty { segments?.append(.text(String(rest))) }
        return (references, text, segments)
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
        case .number: return TemplateText(text: value.text)
        case .string(let text): return text.isEmpty ? nil : TemplateText(text: text)
        case .array(let elements): return TemplateArray(elements: elements)
        case .object(let members): return TemplateObject(members: members)
        }
    }
}

/// An array seen by mustache: a sequence for sections, JSON when shown whole (as the plain-tag path shows it).
struct TemplateArray: MustacheSequence, MustacheCustomRenderable, MustacheParent, MustacheTransformable {
    let elements: [FlowValue]
    /// Elements by index, so that `{{items.0.sku}}` reads as it does in rules.
    func child(named name: String) -> Any? {
        guard let index = Int(name), elements.indices.contains(index) else { return nil }
        return TemplateObject.mustacheValue(elements[index])
    }
    func makeIterator() -> some IteratorProtocol<TemplateElement> { elements.lazy.map { TemplateElement(value: $0) }.makeIterator() }
    var renderText: String { FlowValue.array(elements).json }
    var isNull: Bool { false }
    /// `count`, `first`, `last`, `reversed`, `empty`, as mustache offers on arrays.
    func transform(_ name: String) -> Any? { elements.map { TemplateElement(value: $0) }.transform(name) }
}

/// Text seen by mustache. Wrapping it spares the renderer its slowest path, `String(describing:)` behind two failed
/// casts, for every variable; transforms such as `uppercased` still apply.
struct TemplateText: MustacheCustomRenderable, MustacheTransformable {
    let text: String
    var renderText: String { text }
    var isNull: Bool { false }
    func transform(_ name: String) -> Any? {
        let result = text.transform(name)
        if let string = result as? String { return TemplateText(text: string) }
        return result
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
