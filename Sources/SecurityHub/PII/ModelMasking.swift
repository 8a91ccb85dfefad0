/// Personal data taken out of a conversation before it leaves for a language-model provider, and put back into
/// the model's reply.
///
/// Each distinct value becomes a numbered placeholder such as `<EMAIL_1>`, the same one wherever it appears in the
/// request, so the model can still refer to "the same address". The values stay in this object, in memory, for
/// the length of one call; nothing is sent or stored.
public struct ModelMasking: Sendable {
    /// Placeholder → original value.
    public private(set) var values: [String: String] = [:]
    private var placeholders: [String: String] = [:]
    private var counters: [PIIEntity: Int] = [:]
    private let detector: PIIDetector

    /// Starts a masking session with the tenant's detector (built-in and tenant recognizers, allow-list).
    public init(detector: PIIDetector) {
        self.detector = detector
    }

    /// `text` with its personal data replaced by placeholders; call it for every message of the request.
    public mutating func mask(_ text: String) -> String {
        PIIMatch.replace(detector.detect(text), in: text) { match, value in
            let key = "\(match.entity.rawValue)\u{0}\(value)"
            if let known = placeholders[key] { return known }
            let number = counters[match.entity, default: 0] + 1
            counters[match.entity] = number
            let placeholder = "<\(match.entity.rawValue.uppercased())_\(number)>"
            placeholders[key] = placeholder
            values[placeholder] = value
            return placeholder
        }
    }

    /// `reply` with every placeholder of this session restored; anything else that looks like one is left alone.
    public func unmask(_ reply: String) -> String {
        guard !values.isEmpty else { return reply }
        var result = ""
        var rest = Substring(reply)
        while let open = rest.firstIndex(of: "<") {
            result += rest[..<open]
            let tail = rest[open...]
            if let close = tail.firstIndex(of: ">"), tail.distance(from: tail.startIndex, to: close) <= Self.longest,
                let value = values[String(tail[...close])]
            {
                result += value
                rest = tail[tail.index(after: close)...]
            } else {
                result += "<"
                rest = tail.dropFirst()
            }
        }
        return result + rest
    }

    /// The longest placeholder: `<` + a 40-character entity + `_` + a number + `>`.
    static let longest = 60

    /// Restores placeholders in a streamed reply, chunk by chunk: a placeholder split across chunks is held back
    /// until it is complete, so the caller never shows half of one.
    public struct Stream: Sendable {
        private let masking: ModelMasking
        private var pending = ""

        /// Starts restoring for `masking`.
        public init(_ masking: ModelMasking) { self.masking = masking }

        /// The text to pass on for this chunk (possibly empty while a placeholder is incomplete).
        public mutating func next(_ chunk: String) -> String {
            let text = pending + chunk
            // Hold back from the last `<` that has no `>` after it, if it could still become a placeholder.
            if let open = text.lastIndex(of: "<"), !text[open...].contains(">"),
                text.distance(from: open, to: text.endIndex) <= ModelMasking.longest
            {
                pending = String(text[open...])
                return masking.unmask(String(text[..<open]))
            }
            pending = ""
            return masking.unmask(text)
        }

        /// What is left at the end of the stream.
        public mutating func finish() -> String {
            defer { pending = "" }
            return masking.unmask(pending)
        }
    }
}
