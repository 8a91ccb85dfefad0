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

    /// Feeds `stream` whole and in every chunk size, expects the same events each time, and returns them.
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
        let differing = (1..<max(bytes.count, 1)).filter { decode(size: $0) != whole }
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
