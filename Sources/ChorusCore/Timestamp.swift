public import Foundation

/// RFC 3339 timestamps as the API reads and writes them.
public enum Timestamp {
    /// The latest instant accepted: the end of year 9999, as RFC 3339 allows and PostgreSQL stores in
    /// microseconds without overflow.
    public static let latest = Date(timeIntervalSince1970: 253_402_300_799)

    /// Parses `2026-01-31T12:00:00Z`, with or without fractional seconds, with any offset; nil outside the years
    /// 0001 to 9999.
    public static func parse(_ text: String) -> Date? {
        let date =
            (try? Date(text, strategy: .iso8601))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        guard let date, date <= latest, date.timeIntervalSince1970 > -62_135_596_800 else { return nil }
        return date
    }
}
