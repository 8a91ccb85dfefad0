/// A Server-Sent Events parser (the WHATWG `text/event-stream` format) fed bytes in arbitrary pieces.
///
/// It handles `\n`, `\r\n` and `\r` line ends, multi-line `data`, comments (`:` lines, which OpenAI and others use
/// as keep-alives), and `event` names (which Anthropic uses for its event types).
public struct ServerSentEvents: Sendable {
    /// One dispatched event.
    public struct Event: Sendable, Equatable {
        /// The `event` field, or `message` when absent.
        public var name: String
        /// The `data` lines joined with `\n`.
        public var data: String
    }

    private var line: [UInt8] = []
    private var lastWasCarriageReturn = false
    private var name = ""
    private var data: [String] = []
    private var hasData = false

    /// The longest line kept; longer ones are cut, so that a broken peer cannot grow memory without bound.
    public static let maximumLineBytes = 4 << 20

    public init() {}

    /// Feeds bytes; returns the events they complete.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if byte == 0x0A && lastWasCarriageReturn {
                lastWasCarriageReturn = false
                continue
            }
            lastWasCarriageReturn = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if let event = endLine() { events.append(event) }
            } else if line.count < Self.maximumLineBytes {
                line.append(byte)
            }
        }
        return events
    }

    /// The stream ended: an event without its final blank line is dropped, as the format says.
    public mutating func finish() -> [Event] {
        line.removeAll()
        data.removeAll()
        hasData = false
        return []
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard hasData else {
                name = ""
                return nil
            }
            let event = Event(name: name.isEmpty ? "message" : name, data: data.joined(separator: "\n"))
            name = ""
            data.removeAll(keepingCapacity: true)
            hasData = false
            return event
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "data":
            data.append(String(value))
            hasData = true
        case "event":
            name = String(value)
        default:
            break  // `id` and `retry` do not matter for one request's response
        }
        return nil
    }
}

/// Splits a byte stream into lines (newline-delimited JSON, as Ollama streams).
public struct LineSplitter: Sendable {
    private var line: [UInt8] = []

    public init() {}

    /// Feeds bytes; returns the complete non-empty lines.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == 0x0A {
                if line.last == 0x0D { line.removeLast() }
                if !line.isEmpty { lines.append(line) }
                line.removeAll(keepingCapacity: true)
            } else if line.count < ServerSentEvents.maximumLineBytes {
                line.append(byte)
            }
        }
        return lines
    }

    /// The stream ended: the last line, if it had no newline.
    public mutating func finish() -> [[UInt8]] {
        defer { line.removeAll() }
        return line.isEmpty ? [] : [line]
    }
}
