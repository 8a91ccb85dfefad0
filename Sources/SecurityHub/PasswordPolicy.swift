/// What a password must be. Length over composition rules, as NIST SP 800-63B recommends.
public enum PasswordPolicy {
    /// The shortest accepted password.
    public static let minimumLength = 12
    /// The longest accepted password; bcrypt reads only the first 72 bytes.
    public static let maximumBytes = 72

    /// An error message for an unacceptable password, or nil when it is acceptable.
    public static func problem(with password: String, email: String?) -> String? {
        if password.count < minimumLength { return "must have at least \(minimumLength) characters." }
        if password.utf8.count > maximumBytes { return "must be at most \(maximumBytes) bytes." }
        if let email, password.lowercased() == email.lowercased() { return "must not be the email address." }
        if Set(password).count < 4 { return "is too repetitive." }
        return nil
    }
}
