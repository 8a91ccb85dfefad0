import ChorusCore
import Foundation
import NIOFoundationCompat
import HTTPTypes
import Hummingbird
import PostgresNIO
import Storage

/// What a route answers: a status and an optional JSON body.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var body: Data?
    var headers: HTTPFields = [:]
    /// A body written as it is produced (server-sent events), instead of `body`.
    var stream: ResponseBody?

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A JSON body.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Reply {
        Reply(status: status, body: try encoder.encode(value), headers: [.cacheControl: "no-store"])
    }

    /// A JSON object body with members whose values are JSON documents kept byte for byte, so that a stored flow
    /// document comes back with its key order, duplicate keys and spacing as it was sent.
    /// - Parameter documents: member name → a JSON document; each must already have been read as JSON.
    static func json(
        _ value: some Encodable,
        embedding documents: KeyValuePairs<String, String>,
        status: HTTPResponse.Status = .ok
    ) throws -> Reply {
        guard !documents.isEmpty else { return try json(value, status: status) }
        let encoded = try encoder.encode(value)
        guard encoded.first == UInt8(ascii: "{"), encoded.last == UInt8(ascii: "}") else { throw Problem.internal() }
        var body = Data("{".utf8)
        for (name, document) in documents {
            body += try encoder.encode(name)
            body += Data(":".utf8) + Data(document.utf8) + Data(",".utf8)
        }
        if encoded.count == 2 {
            body[body.count - 1] = UInt8(ascii: "}")
        } else {
            body += encoded.dropFirst()
        }
        return Reply(status: status, body: body, headers: [.cacheControl: "no-store"])
    }

    /// 204 No Content.
    static let noContent = Reply(status: .noContent, body: nil)

    var response: Response {
        var headers = self.headers
        if let stream { return Response(status: status, headers: headers, body: stream) }
        guard let body else { return Response(status: status, headers: headers) }
        if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }
}

/// A tenant read that reads nothing: entering the tenant alone confirms a credential in one statement.
struct EntryOnly: TenantRead {
    static let name = "entry-only"
    static let sql = "SELECT 1 AS one WHERE false"

    static func decode(_ row: PostgresRandomAccessRow, from offset: Int) throws -> Int {
        try row.value(offset, as: Int.self)
    }
}
