import ChorusCore
import Foundation
import SecurityHub

/// Field rules shared by several routes.
enum Validation {
    /// Tenant slugs: lower-case letters, digits and inner hyphens, 1 to 48 characters.
    static func slugProblem(_ slug: String) -> String? {
        let scalars = slug.unicodeScalars
        let allowed = scalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard allowed, (1...48).contains(scalars.count), !slug.hasPrefix("-"), !slug.hasSuffix("-") else {
            return "slug must be 1 to 48 lower-case letters, digits and inner hyphens."
        }
        return nil
    }

    /// Reads a password and checks it against the policy.
    static func password(_ reader: BodyReader, key: String = "password", email: String?, required: Bool = true)
        -> String?
    {
        guard let password = reader.secret(key, required: required, minLength: 1, maxLength: 1024) else { return nil }
        if let message = PasswordPolicy.problem(with: password, email: email) {
            reader.fail(key, "\(key) \(message)", code: "weak_password")
            return nil
        }
        return password
    }
}

/// Tenant plans.
enum Plan: String, CaseIterable {
    case free
    case standard
    case enterprise
}
