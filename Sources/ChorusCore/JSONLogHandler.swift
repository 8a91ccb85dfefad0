public import Logging
public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one JSON object per line to standard output: time, level, label, message
/// and metadata as top-level keys, so log shippers need no parsing rules.
public struct JSONLogHandler: LogHandler {
    /// Metadata of this handler, merged under the per-call metadata.
    public var metadata: Logger.Metadata = [:]
    /// Messages below this level are dropped.
    public var logLevel: Logger.Level
    private let label: String
    private let scrub: (@Sendable (String) -> String)?

    /// Creates a handler for `label` at `level`.
    /// - Parameter scrub: applied to the message and every string value before it is written, so personal data
    ///   (an email in an error, a phone in a payload) never reaches a log line unmasked.
    public init(label: String, level: Logger.Level = .info, scrub: (@Sendable (String) -> String)? = nil) {
        self.label = label
        self.logLevel = level
        self.scrub = scrub
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        guard var line = render(event) else { return }
        line.append(0x0A)
        line.withUnsafeBytes { bytes in
            // One write(2) per line keeps lines from concurrent tasks whole.
            _ = write(STDOUT_FILENO, bytes.baseAddress, bytes.count)
        }
    }

    /// The JSON line for an event, without its newline.
    public func render(_ event: LogEvent) -> Data? {
        let clean: (String) -> String = scrub ?? { $0 }
        var fields: [String: JSONValue] = [
            "time": .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
            "level": .string(event.level.rawValue),
            "label": .string(label),
            "message": .string(clean(event.message.description)),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for (key, value) in merged where fields[key] == nil {
            fields[key] = Self.json(value, clean)
        }
        if event.level >= .error || event.level == .trace {
            fields["source"] = .string("\(event.file):\(event.line)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try? encoder.encode(JSONValue.object(fields))
    }

    private static func json(_ value: Logger.MetadataValue, _ clean: (String) -> String) -> JSONValue {
        switch value {
        case .string(let text): .string(clean(text))
        case .stringConvertible(let value): .string(clean(value.description))
        case .array(let values): .array(values.map { json($0, clean) })
        case .dictionary(let values): .object(values.mapValues { json($0, clean) })
        }
    }
}
