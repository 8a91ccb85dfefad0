import ChorusCore
import Foundation

/// Reading and writing providers' JSON, shared by the codecs. A provider's body is untrusted input: nothing here
/// traps on what a peer sends.
enum WireJSON {
    /// The body as JSON, or `nil` when it is not JSON.
    static func parse(_ data: Data) -> JSONValue? {
        JSONValue.read(data)
    }

    /// A request body; a number JSON cannot express (infinite, not a number) is the caller's mistake.
    static func requestBody(_ value: JSONValue) throws(ModelError) -> Data {
        guard value.isFinite else {
            throw ModelError(.invalidRequest, message: "The request cannot be written as JSON (a number that is not finite?).")
        }
        return value.jsonData
    }

    static func string(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { text } else { nil }
    }

    /// A non-negative whole number, or `nil` for anything else (a peer's counts are not trusted to fit).
    static func count(_ value: JSONValue?) -> Int? {
        guard case .number(let number)? = value, number >= 0, number < 1e15, number.rounded() == number else {
            return nil
        }
        return Int(number)
    }

    /// ``count(_:)``, with 0 for a missing or unusable count.
    static func countOrZero(_ value: JSONValue?) -> Int { count(value) ?? 0 }

    /// A JSON value as compact text with sorted keys, the form tool arguments take.
    static func jsonText(_ value: JSONValue) -> String {
        value.isFinite ? value.jsonText : "{}"
    }
}

extension JSONValue {
    /// Whether every number in it is finite, so that it can be written as JSON.
    var isFinite: Bool {
        switch self {
        case .number(let number): number.isFinite
        case .array(let elements): elements.allSatisfy(\.isFinite)
        case .object(let members): members.values.allSatisfy(\.isFinite)
        case .null, .bool, .string: true
        }
    }
}
