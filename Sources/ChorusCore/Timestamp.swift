public import Foundation

/// RFC 3339 timestamps as the API reads and writes them.
public enum Timestamp {
    /// Parses `2026-01-31T12:00:00Z`, with or without fractional seconds, with any offset.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
