import Foundation
/// Why a Chat Completions request body was refused: every problem found in it, each with the JSON pointer of the
/// member at fault.
///
/// The endpoint answers it with status 400 and an OpenAI error object (see ``GatewayError``); its `param` names the
/// top-level member of the first problem, as OpenAI's own errors do.
public struct GatewayRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem a member has. The raw values are stable: clients may match on them.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// The body is not JSON.
        case syntax
        /// A member has the wrong JSON type, or the body is not an object.
        case type
        /// A required member is missing or null.
        case required
        /// A string or array that must have content is empty.
        case empty
        /// A number is outside its range, or an array has too many elements.
        case range
        /// A value the API does not define, such as an unknown role.
        case invalid
        /// A value the API defines but this endpoint does not support, such as an image part or `n` above 1.
        case unsupported
        /// A top-level member the API does not define.
        case unknown
    }

    /// One problem with one member of the body.
    public struct FieldError: Sendable, Equatable {
        /// The JSON pointer (RFC 6901) of the member, such as `/messages/2/content/1/type`; empty for the whole body.
        public var pointer: String
        /// What kind of problem it is.
        public var code: Code
        /// What is wrong, as a plain English sentence.
        public var message: String

        /// Creates a problem report for one member.
        public init(pointer: String, code: Code, message: String) {
            self.pointer = pointer
            self.code = code
            self.message = message
        }

        /// The top-level member the pointer starts with, unescaped, such as `messages`; `nil` for the whole body.
        public var param: String? {
            guard pointer.hasPrefix("/") else { return nil }
            let token = pointer.dropFirst().prefix { $0 != "/" }
            // RFC 6901: `~1` before `~0`, so that `~01` becomes `~1` and not `/`.
            return token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// Every problem found, in the order the body was read; never empty when the error comes from parsing.
    public var errors: [FieldError]

    /// Creates an error from the problems found.
    public init(errors: [FieldError]) {
        self.errors = errors
    }

    /// OpenAI's `param` for the error: the top-level member of the first problem, such as `messages`, or `nil` when
    /// the first problem concerns the whole body (it is not JSON, or not an object).
    public var param: String? { errors.first?.param }

    /// One sentence per problem, each after its pointer, for the error object's `message`.
    public var description: String {
        errors.map { error in
            error.pointer.isEmpty ? error.message : "\(error.pointer): \(error.message)"
        }
        .joined(separator: " ")
    }
}
