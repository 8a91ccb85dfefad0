import ChorusCore
import Foundation
import Testing

@testable import ModelOrchestrator

/// Helpers the codec test suites share: they conform and call them as `Self.…`.
protocol CodecTests {}

extension CodecTests {
    /// `nil` of the JSON type the documents are compared as.
    static var noJSON: JSONValue? { nil }

    static func json<Value: Decodable>(_ text: String, like _: Value? = nil) throws -> Value {
        try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }

    /// Expects `data` to be the same JSON document as `expected`, key order and spacing aside.
    static func expectJSON(_ data: Data, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        try expectSameJSON(data, expected, like: noJSON, sourceLocation: sourceLocation)
    }

    static func expectSameJSON<Value: Decodable & Equatable>(
        _ data: Data,
        _ expected: String,
        like _: Value?,
        sourceLocation: SourceLocation
    ) throws {
        let actual = try JSONDecoder().decode(Value.self, from: data)
        let wanted: Value = try json(expected)
        #expect(actual == wanted, "\(String(decoding: data, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    static func header(_ name: String, in request: ProviderHTTPRequest) -> String? {
        request.headers.first { $0.name.lowercased() == name }?.value
    }

    /// Feeds `stream` whole, a byte at a time, and in many other chunk sizes; expects the same events each time, and
    /// returns them.
    static func decodeInEveryChunkSize(_ stream: String, codec: some ProviderCodec) -> [ModelStreamEvent] {
        let bytes = Array(stream.utf8)
        func decode(size: Int) -> [ModelStreamEvent] {
            var decoder = codec.streamDecoder()
            var events: [ModelStreamEvent] = []
            var start = 0
            while start < bytes.count {
                events += decoder.feed(bytes[start..<min(start + size, bytes.count)])
                start += size
            }
            return events + decoder.finish()
        }
        let whole = decode(size: max(bytes.count, 1))
        // Size 1 splits at every byte boundary; the small sizes and a stride through the rest vary how pieces group.
        // Every size up to the length was quadratic in it and took seconds of CPU, which starved the timing-sensitive
        // suites running beside these on two cores.
        let sizes = Array(1...min(32, max(bytes.count - 1, 1))) + Array(stride(from: 33, to: max(bytes.count, 33), by: 13))
        let differing = sizes.filter { $0 < bytes.count && decode(size: $0) != whole }
        #expect(differing.isEmpty, "chunk sizes giving other events: \(differing.prefix(10))")
        return whole
    }
}

extension Result where Failure == ModelError {
    var modelError: ModelError? {
        if case .failure(let error) = self { error } else { nil }
    }
}

extension ModelStreamEvent {
    var modelError: ModelError? {
        if case .failure(let error) = self { error } else { nil }
    }
}
