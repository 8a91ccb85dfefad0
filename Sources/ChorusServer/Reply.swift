import Foundation
import NIOFoundationCompat
import HTTPTypes
import Hummingbird

/// What a route answers: a status and an optional JSON body.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var body: Data?
    var headers: HTTPFields = [:]

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

    /// 204 No Content.
    static let noContent = Reply(status: .noContent, body: nil)

    var response: Response {
        var headers = self.headers
        guard let body else { return Response(status: status, headers: headers) }
        if headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }
}
