import Foundation
import HTTPTypes
public import Hummingbird
import Logging

/// The request context of every route: the request id and the body limit. The authenticated identity is not
/// stored here; routes receive it from the access check that runs before them (see `APIRoutes`).
public struct ChorusRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The id quoted in logs, in `X-Request-Id` and in problem responses.
    public var requestID: String
    /// Largest accepted request body.
    public var maxUploadSize: Int
    /// The peer's IP address, for the audit log.
    public var clientAddress: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.maxUploadSize = 1 << 20
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }
}
