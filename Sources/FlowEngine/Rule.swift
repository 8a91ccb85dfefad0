/// A condition of a `choice` state, written as data in the manner of Amazon States Language:
/// `{"var": "order.status", "equals": "shipped"}`, `{"and": [...]}`, `{"not": {...}}`.
public indirect enum Rule: Sendable {
    case compare(VariablePath, Comparison, ignoreCase: Bool)
    case exists(VariablePath, Bool)
    case and([Rule])
    case or([Rule])
    case not(Rule)

    /// A test of one value against an operand. String operands are templates.
    public enum Comparison: Sendable {
        case equals(ValueTemplate)
        case notEquals(ValueTemplate)
        case oneOf([ValueTemplate])
        case contains(ValueTemplate)
        case matches(MessagePattern)
        case greaterThan(ValueTemplate)
        case greaterThanOrEqual(ValueTemplate)
        case lessThan(ValueTemplate)
        case lessThanOrEqual(ValueTemplate)
    }

    /// The operator names a comparison may use, as written in JSON.
    static let comparisonNames = ["equals", "notEquals", "in", "contains", "matches", "gt", "gte", "lt", "lte"]

    /// Whether the rule holds in `scope`.
    public func holds(in scope: RenderScope) -> Bool {
        switch self {
        case .compare(let path, let comparison, let ignoreCase):
            guard let value = scope.value(at: path) else { return false }
            return comparison.holds(for: value, ignoreCase: ignoreCase, scope: scope)
        case .exists(let path, let expected):
            let present = scope.value(at: path)?.isPresent ?? false
            return present == expected
        case .and(let rules):
            return rules.allSatisfy { $0.holds(in: scope) }
        case .or(let rules):
            return rules.contains { $0.holds(in: scope) }
        case .not(let rule):
            return !rule.holds(in: scope)
        }
    }
}

extension Rule.Comparison {
    func holds(for value: FlowValue, ignoreCase: Bool, scope: RenderScope) -> Bool {
        switch self {
        case .equals(let operand):
            return Self.equal(value, operand.evaluate(in: scope), ignoreCase: ignoreCase)
        case .notEquals(let operand):
            return !Self.equal(value, operand.evaluate(in: scope), ignoreCase: ignoreCase)
        case .oneOf(let operands):
            return operands.contains { Self.equal(value, $0.evaluate(in: scope), ignoreCase: ignoreCase) }
        case .contains(let operand):
            let needle = operand.evaluate(in: scope)
            switch value {
            case .string(let text):
                guard case .string(let part) = needle else { return text.contains(needle.text) }
                return ignoreCase ? text.lowercased().contains(part.lowercased()) : text.contains(part)
            case .array(let elements):
                return elements.contains { Self.equal($0, needle, ignoreCase: ignoreCase) }
            case .object(let members):
                return members[needle.text] != nil
            case .null, .bool, .number:
                return false
            }
        case .matches(let pattern):
            guard case .string(let text) = value else { return value.isPresent && pattern.matches(value.text) }
            return pattern.matches(text)
        case .greaterThan(let operand):
            return Self.order(value, operand.evaluate(in: scope)).map { $0 > 0 } ?? false
        case .greaterThanOrEqual(let operand):
            return Self.order(value, operand.evaluate(in: scope)).map { $0 >= 0 } ?? false
        case .lessThan(let operand):
            return Self.order(value, operand.evaluate(in: scope)).map { $0 < 0 } ?? false
        case .lessThanOrEqual(let operand):
            return Self.order(value, operand.evaluate(in: scope)).map { $0 <= 0 } ?? false
        }
    }

    /// Equality that treats `"42"` and `42` as equal, since chat answers arrive as text.
    static func equal(_ lhs: FlowValue, _ rhs: FlowValue, ignoreCase: Bool) -> Bool {
        switch (lhs, rhs) {
        case (.string(let left), .string(let right)):
            return ignoreCase ? left.lowercased() == right.lowercased() : left == right
        case (.number(let left), .number(let right)):
            return left == right
        case (.number, .string), (.string, .number):
            guard let left = lhs.numberValue, let right = rhs.numberValue else { return false }
            return left == right
        default:
            return lhs == rhs
        }
    }

    /// -1, 0 or 1 comparing numbers (or text that reads as numbers), else text such as ISO dates; `nil` when the
    /// two cannot be ordered.
    static func order(_ lhs: FlowValue, _ rhs: FlowValue) -> Int? {
        if let left = lhs.numberValue, let right = rhs.numberValue {
            return left < right ? -1 : (left > right ? 1 : 0)
        }
        if case .string(let left) = lhs, case .string(let right) = rhs {
            return left < right ? -1 : (left > right ? 1 : 0)
        }
        return nil
    }
}

extension ValueTemplate {
    /// The value this produces in `scope`.
    public func evaluate(in scope: RenderScope) -> FlowValue {
        switch self {
        case .literal(let value): return value
        case .template(let template): return .string(template.render(scope))
        case .reference(let path): return scope.value(at: path) ?? .null
        case .array(let elements): return .array(elements.map { $0.evaluate(in: scope) })
        case .object(let members):
            var object: [String: FlowValue] = [:]
            object.reserveCapacity(members.count)
            for member in members { object[member.key] = member.value.evaluate(in: scope) }
            return .object(object)
        }
    }

    /// Every template inside, for validation.
    var templates: [Template] {
        switch self {
        case .literal: return []
        case .template(let template): return [template]
        case .reference: return []
        case .array(let elements): return elements.flatMap(\.templates)
        case .object(let members): return members.flatMap(\.value.templates)
        }
    }

    /// Every variable path read, for validation.
    var references: [VariablePath] {
        switch self {
        case .literal: return []
        case .template(let template): return template.references
        case .reference(let path): return [path]
        case .array(let elements): return elements.flatMap(\.references)
        case .object(let members): return members.flatMap(\.value.references)
        }
    }
}
