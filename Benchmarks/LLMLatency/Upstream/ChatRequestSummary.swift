/// The few fields of a chat-completion request that change the simulator's answer.
///
/// The simulator must cost next to nothing per request, so it reads the body once, in place, and keeps only what it
/// needs: the model name (echoed back as OpenAI does), whether to stream, and whether the stream ends with usage.
/// Every other field is skipped without being decoded.
struct ChatRequestSummary {
    /// The byte range of the `model` string's contents in the body, still JSON-escaped, so it can be copied into
    /// the answer as it is.
    var model: Range<Int>?
    /// `"stream": true`.
    var stream = false
    /// `"stream_options": {"include_usage": true}`.
    var includeUsage = false

    /// Reads a request body.
    ///
    /// - Parameter body: the request's bytes.
    /// - Returns: `nil` when the body is not one well-formed JSON object at the top level.
    init?(body: UnsafeRawBufferPointer) {
        var cursor = JSONCursor(bytes: body)
        guard cursor.consume(.openBrace) else { return nil }
        if cursor.consume(.closeBrace) { return }
        repeat {
            guard let key = cursor.string(), cursor.consume(.colon) else { return nil }
            if cursor.bytes(in: key, equal: "model") {
                guard let value = cursor.string() else { return nil }
                model = value
            } else if cursor.bytes(in: key, equal: "stream") {
                if cursor.literal("true") {
                    stream = true
                } else if !cursor.skipValue() {
                    return nil
                }
            } else if cursor.bytes(in: key, equal: "stream_options"), cursor.peek() == .openBrace {
                guard let include = Self.includeUsage(&cursor) else { return nil }
                includeUsage = include
            } else if !cursor.skipValue() {
                return nil
            }
        } while cursor.consume(.comma)
        guard cursor.consume(.closeBrace) else { return nil }
        cursor.skipWhitespace()
        guard cursor.atEnd else { return nil }
    }

    private static func includeUsage(_ cursor: inout JSONCursor) -> Bool? {
        guard cursor.consume(.openBrace) else { return nil }
        var include = false
        if cursor.consume(.closeBrace) { return false }
        repeat {
            guard let key = cursor.string(), cursor.consume(.colon) else { return nil }
            if cursor.bytes(in: key, equal: "include_usage"), cursor.literal("true") {
                include = true
            } else if !cursor.skipValue() {
                return nil
            }
        } while cursor.consume(.comma)
        guard cursor.consume(.closeBrace) else { return nil }
        return include
    }
}
