public import Foundation

/// Reads the fields of a JSON object while collecting every validation error with its JSON pointer.
///
/// Call the typed accessors for each field the route accepts, then `finish()`: it throws one
/// `Problem.validation` listing every missing, mistyped, out-of-range and unknown field.
public final class BodyReader {
    private let object: [String: JSONValue]
    private let pointer: String
    private var read: Set<String> = []
    private let sink: ErrorSink

    final class ErrorSink {
        var errors: [Problem.FieldError] = []
    }

    /// Starts reading a request body.
    /// - Throws: `Problem.malformedBody` when the body is not JSON.
    public convenience init(data: Data) throws {
        let value = data.isEmpty ? JSONValue.object([:]) : try JSONValue.parse(data)
        self.init(value: value, pointer: "", sink: ErrorSink())
    }

    init(value: JSONValue, pointer: String, sink: ErrorSink) {
        self.pointer = pointer
        self.sink = sink
        if case .object(let object) = value {
            self.object = object
        } else {
            self.object = [:]
            sink.errors.append(.init(pointer: pointer, detail: "Expected a JSON object, got \(value.typeName).", code: "type"))
        }
    }

    /// Records an error found by the caller's own checks.
    public func fail(_ key: String, _ detail: String, code: String = "invalid") {
        sink.errors.append(.init(pointer: JSONPointer.appending(pointer, key), detail: detail, code: code))
    }

    /// Records an error at a path below this object, for example `["patterns", "0"]` for `/patterns/0`.
    public func fail(at path: [String], _ detail: String, code: String = "invalid") {
        let target = path.reduce(pointer) { JSONPointer.appending($0, $1) }
        sink.errors.append(.init(pointer: target, detail: detail, code: code))
    }

    private func value(_ key: String, required: Bool) -> JSONValue? {
        read.insert(key)
        guard let value = object[key], value != .null else {
            if required { fail(key, "\(key) is required.", code: "required") }
            return nil
        }
        return value
    }

    /// A string field, trimmed of surrounding whitespace.
    public func string(_ key: String, required: Bool = true, minLength: Int = 1, maxLength: Int = 200) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let raw) = value else {
            fail(key, "\(key) must be a string, got \(value.typeName).", code: "type")
            return nil
        }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = Self.controlCharacterProblem(text, key: key, allowNewlines: false) {
            fail(key, problem, code: "control_character")
            return nil
        }
        if text.unicodeScalars.count < minLength {
            fail(key, minLength == 1 ? "\(key) must not be empty." : "\(key) must have at least \(minLength) characters.", code: "too_short")
            return nil
        }
        if text.unicodeScalars.count > maxLength {
            fail(key, "\(key) must have at most \(maxLength) characters.", code: "too_long")
            return nil
        }
        return text
    }

    /// A multi-line text field (a prompt, a message), kept exactly as sent: line breaks (`\n`, `\r\n`) and tabs are
    /// allowed, other control characters are not, and it must not be only whitespace.
    public func text(_ key: String, required: Bool = true, maxLength: Int = 16_384) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(key, "\(key) must be a string, got \(value.typeName).", code: "type")
            return nil
        }
        let withoutReturns = text.replacingOccurrences(of: "\r\n", with: "\n")
        if let problem = Self.controlCharacterProblem(withoutReturns, key: key, allowNewlines: true) {
            fail(key, problem, code: "control_character")
            return nil
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            fail(key, "\(key) must not be empty.", code: "too_short")
            return nil
        }
        if text.unicodeScalars.count > maxLength {
            fail(key, "\(key) must have at most \(maxLength) characters.", code: "too_long")
            return nil
        }
        return withoutReturns
    }

    /// Control characters have no place in names, emails or secrets; NUL in particular is refused by PostgreSQL
    /// and silently ends a bcrypt password.
    static func controlCharacterProblem(_ text: String, key: String, allowNewlines: Bool) -> String? {
        let bad = text.unicodeScalars.contains { scalar in
            scalar.properties.generalCategory == .control && !(allowNewlines && (scalar == "\n" || scalar == "\t"))
        }
        return bad ? "\(key) must not contain control characters." : nil
    }

    /// A string field without trimming (passwords, tokens).
    public func secret(_ key: String, required: Bool = true, minLength: Int = 1, maxLength: Int = 1024) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard case .string(let text) = value else {
            fail(key, "\(key) must be a string, got \(value.typeName).", code: "type")
            return nil
        }
        if let problem = Self.controlCharacterProblem(text, key: key, allowNewlines: false) {
            fail(key, problem, code: "control_character")
            return nil
        }
        if text.count < minLength {
            fail(key, "\(key) must have at least \(minLength) characters.", code: "too_short")
            return nil
        }
        if text.unicodeScalars.count > maxLength {
            fail(key, "\(key) must have at most \(maxLength) characters.", code: "too_long")
            return nil
        }
        return text
    }

    /// A string field that must be one of the raw values of `T`.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type, required: Bool = true) -> T?
    where T.RawValue == String {
        guard let text = string(key, required: required) else { return nil }
        guard let parsed = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            fail(key, "\(key) must be one of: \(allowed).", code: "enum")
            return nil
        }
        return parsed
    }

    /// An email address, lower-cased.
    public func email(_ key: String, required: Bool = true) -> String? {
        guard let text = string(key, required: required, maxLength: 254) else { return nil }
        guard EmailAddress.isValid(text) else {
            fail(key, "\(key) must be an email address.", code: "format")
            return nil
        }
        return text.lowercased()
    }

    /// An integer field within a range.
    public func integer(_ key: String, required: Bool = true, range: ClosedRange<Int>) -> Int? {
        guard let value = value(key, required: required) else { return nil }
        guard case .number(let number) = value, number.rounded() == number, number.magnitude < 1e15 else {
            fail(key, "\(key) must be an integer.", code: "type")
            return nil
        }
        let int = Int(number)
        guard range.contains(int) else {
            fail(key, "\(key) must be between \(range.lowerBound) and \(range.upperBound).", code: "range")
            return nil
        }
        return int
    }

    /// A number field within a range.
    public func number(_ key: String, required: Bool = true, range: ClosedRange<Double>) -> Double? {
        guard let value = value(key, required: required) else { return nil }
        guard case .number(let number) = value else {
            fail(key, "\(key) must be a number.", code: "type")
            return nil
        }
        guard range.contains(number) else {
            fail(key, "\(key) must be between \(range.lowerBound) and \(range.upperBound).", code: "range")
            return nil
        }
        return number
    }

    /// A boolean field.
    public func boolean(_ key: String, required: Bool = true) -> Bool? {
        guard let value = value(key, required: required) else { return nil }
        guard case .bool(let flag) = value else {
            fail(key, "\(key) must be true or false.", code: "type")
            return nil
        }
        return flag
    }

    /// An object used as a map: each member's value is read as an object by `body`, which gets its key.
    public func map<T>(_ key: String, required: Bool = true, maxCount: Int = 100, _ body: (String, BodyReader) -> T?)
        -> [String: T]?
    {
        guard let value = value(key, required: required) else { return nil }
        guard case .object(let members) = value else {
            fail(key, "\(key) must be an object, got \(value.typeName).", code: "type")
            return nil
        }
        if members.count > maxCount {
            fail(key, "\(key) must have at most \(maxCount) members.", code: "too_long")
            return nil
        }
        let container = BodyReader(value: value, pointer: JSONPointer.appending(pointer, key), sink: sink)
        var result: [String: T] = [:]
        for name in members.keys.sorted() {
            if let item = container.object(name, { body(name, $0) }) { result[name] = item }
        }
        return result
    }

    /// An RFC 3339 timestamp.
    public func timestamp(_ key: String, required: Bool = true) -> Date? {
        guard let text = string(key, required: required, maxLength: 64) else { return nil }
        guard let date = Timestamp.parse(text) else {
            fail(key, "\(key) must be an RFC 3339 timestamp such as 2026-01-31T12:00:00Z.", code: "format")
            return nil
        }
        return date
    }

    /// An array of strings; each element is validated by `element`, which returns an error message or nil.
    public func stringArray(
        _ key: String,
        required: Bool = true,
        maxCount: Int = 100,
        element: (String) -> String? = { _ in nil }
    ) -> [String]? {
        guard let value = value(key, required: required) else { return nil }
        guard case .array(let items) = value else {
            fail(key, "\(key) must be an array, got \(value.typeName).", code: "type")
            return nil
        }
        if items.count > maxCount {
            fail(key, "\(key) must have at most \(maxCount) elements.", code: "too_long")
            return nil
        }
        var result: [String] = []
        var valid = true
        for (index, item) in items.enumerated() {
            let itemPointer = JSONPointer.appending(JSONPointer.appending(pointer, key), String(index))
            guard case .string(let text) = item else {
                sink.errors.append(.init(pointer: itemPointer, detail: "Expected a string, got \(item.typeName).", code: "type"))
                valid = false
                continue
            }
            if let message = element(text) {
                sink.errors.append(.init(pointer: itemPointer, detail: message, code: "invalid"))
                valid = false
                continue
            }
            result.append(text)
        }
        return valid ? result : nil
    }

    /// An array of objects, each read by `body` with its index; elements that are not objects are errors.
    public func objects<T>(
        _ key: String,
        required: Bool = true,
        maxCount: Int = 100,
        _ body: (Int, BodyReader) -> T?
    ) -> [T?]? {
        guard let value = value(key, required: required) else { return nil }
        guard case .array(let items) = value else {
            fail(key, "\(key) must be an array, got \(value.typeName).", code: "type")
            return nil
        }
        if items.count > maxCount {
            fail(key, "\(key) must have at most \(maxCount) elements.", code: "too_long")
            return nil
        }
        let arrayPointer = JSONPointer.appending(pointer, key)
        return items.enumerated().map { index, item in
            let itemPointer = JSONPointer.appending(arrayPointer, String(index))
            let element = BodyReader(value: item, pointer: itemPointer, sink: sink)
            guard case .object = item else { return nil }
            let result = body(index, element)
            element.rejectUnknown()
            return result
        }
    }

    /// A field of any JSON type, as it is; the caller checks it.
    public func json(_ key: String, required: Bool = true) -> JSONValue? {
        value(key, required: required)
    }

    /// A nested object, read by `body`.
    public func object<T>(_ key: String, required: Bool = true, _ body: (BodyReader) -> T?) -> T? {
        guard let value = value(key, required: required) else { return nil }
        let nested = BodyReader(value: value, pointer: JSONPointer.appending(pointer, key), sink: sink)
        guard case .object = value else { return nil }
        let result = body(nested)
        nested.rejectUnknown()
        return result
    }

    private func rejectUnknown() {
        for key in object.keys.sorted() where !read.contains(key) {
            fail(key, "\(key) is not a known field.", code: "unknown_field")
        }
    }

    /// Ends reading.
    /// - Throws: `Problem.validation` with every error found, unknown fields included.
    public func finish() throws {
        rejectUnknown()
        if !sink.errors.isEmpty { throw Problem.validation(sink.errors) }
    }
}
