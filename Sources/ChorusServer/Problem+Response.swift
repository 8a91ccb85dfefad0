import ChorusCore
import Foundation
import NIOFoundationCompat
import HTTPTypes
import Hummingbird

extension Problem {
    /// The tenant exists but the operator has suspended it.
    static let tenantSuspended = Problem(
        code: "tenant-suspended",
        title: "Tenant suspended",
        status: 403,
        detail: "This tenant is suspended. Contact the platform operator."
    )

    /// The problem as an `application/problem+json` response.
    func response(requestID: String) -> Response {
        var problem = self
        problem.requestId = requestID
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(problem)) ?? Data(#"{"status":500,"title":"Internal error"}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if let retryAfter {
            headers[.retryAfter] = String(retryAfter)
        }
        if status == 401 {
            headers[.wwwAuthenticate] = #"Bearer realm="chorus""#
        }
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(data: body))
        )
    }
}
