import ChorusCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO
import Storage

/// The outermost middleware: gives every request an id, writes one access-log line, and turns every error, from
/// any layer, into an `application/problem+json` response. Nothing a client sends can produce an HTML error or a
/// dropped connection.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = ChorusRequestContext

    let maxBodyBytes: Int
    let trustedProxies: [IPNetwork]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        context.requestID = Self.requestID(from: request)
        context.maxUploadSize = maxBodyBytes
        context.clientAddress = ClientAddress.resolve(
            peer: context.clientAddress, forwardedFor: request.headers[.xForwardedFor], trusted: trustedProxies
        )
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        let start = ContinuousClock.now
        var response: Response
        do {
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
                throw Problem.payloadTooLarge(limit: maxBodyBytes)
            }
            response = try await next(request, context)
        } catch let error as ErrorWithHeaders {
            let problem = Self.problem(for: error.error, logger: context.logger, maxBodyBytes: maxBodyBytes)
            response = problem.response(requestID: context.requestID)
            for field in error.headers { response.headers[field.name] = field.value }
        } catch {
            let problem = Self.problem(for: error, logger: context.logger, maxBodyBytes: maxBodyBytes)
            response = problem.response(requestID: context.requestID)
        }
        response.headers[.requestID] = context.requestID
        let elapsed = ContinuousClock.now - start
        context.logger.log(
            level: response.status.code >= 500 ? .error : .info,
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.2f", Double(elapsed.components.attoseconds) / 1e15
                    + Double(elapsed.components.seconds) * 1000)),
            ]
        )
        return response
    }

    /// A client's `X-Request-Id` when it is short and plain, otherwise a new one.
    static func requestID(from request: Request) -> String {
        if let given = request.headers[.requestID], (1...128).contains(given.count),
            given.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) })
        {
            return given
        }
        return UUID.random().uuidString.lowercased()
    }

    /// Maps any error to the problem a client sees. Unexpected errors are logged with their details and answered
    /// with a generic 500 that reveals nothing.
    static func problem(for error: any Error, logger: Logger, maxBodyBytes: Int) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as StorageError:
            switch error.code {
            case .uniqueViolation: return .conflict(error.message)
            case .tenantNotFound: return .unauthenticated("The credential's tenant no longer exists.")
            case .unavailable:
                logger.error("database unavailable", metadata: ["error": "\(error)"])
                return .unavailable("The database is not reachable.")
            case .configuration, .migration:
                logger.error("storage error", metadata: ["error": "\(error)"])
                return .internal()
            }
        case let error as PSQLError where error.code == .connectionError || error.code == .poolClosed
            || error.code == .serverClosedConnection || error.code == .clientClosedConnection:
            logger.error("database unavailable", metadata: ["error": "\(String(reflecting: error))"])
            return .unavailable("The database is not reachable.")
        case let error as PSQLError where error.serverInfo?[.sqlState]?.hasPrefix("22") == true
            || error.serverInfo?[.sqlState] == "23514":
            // A value the database refuses (bad encoding, out of range, a CHECK): the client's input, not our fault.
            logger.notice("database refused a value", metadata: ["sqlstate": "\(error.serverInfo?[.sqlState] ?? "")"])
            return Problem(code: "unacceptable-value", title: "A value is not acceptable", status: 422,
                           detail: "A value in the request is outside what can be stored.")
        case let error as PSQLError where error.serverInfo?[.sqlState] == "40001"
            || error.serverInfo?[.sqlState] == "40P01":
            var problem = Problem.conflict(code: "concurrent-change", "A concurrent change got in the way; retry the request.")
            problem.retryAfter = 1
            return problem
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge: return .payloadTooLarge(limit: maxBodyBytes)
            case .notFound: return .notFound("No route matches this path.")
            case .badRequest: return .malformedBody(error.body ?? "The request could not be read.")
            default:
                return Problem(code: "http-\(error.status.code)", title: error.status.reasonPhrase,
                               status: error.status.code, detail: error.body ?? error.status.reasonPhrase)
            }
        default:
            logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return .internal()
        }
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
    static let apiKey = Self("X-API-Key")!
    static let xForwardedFor = Self("X-Forwarded-For")!
}
