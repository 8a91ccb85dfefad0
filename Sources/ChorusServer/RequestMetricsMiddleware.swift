import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import Synchronization

/// Request count, duration and errors per route and method, under the names and dimensions Hummingbird's
/// `MetricsMiddleware` uses (`hb.requests`, `http.server.request.duration`, `hb.request.errors`,
/// `http.server.active_requests`).
///
/// It differs in one way: a body already in memory is not wrapped to time its writing. Wrapping makes the server
/// write the response head and body separately, two system calls and two trips through the connection's writer per
/// response, where a whole body otherwise leaves with its head in one. A streamed body (one without a length) is
/// still timed to its end.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let cache = RequestMetricsCache()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let active = cache.active(request.method)
        active.increment()
        do {
            var response = try await next(request, context)
            let endpoint = context.endpointPath ?? "Unknown"
            let status = response.status
            let record: @Sendable () -> Void = { [cache] in
                let metrics = cache.endpoint(endpoint, request.method, status)
                metrics.requests.increment()
                metrics.duration.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
                active.decrement()
            }
            if response.body.contentLength != nil {
                record()
            } else {
                let body = response.body
                response.body = ResponseBody(contentLength: nil) { writer in
                    defer { record() }
                    try await body.write(writer)
                }
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let metrics = cache.endpoint(context.endpointPath ?? "NotFound", request.method, status)
            metrics.requests.increment()
            metrics.errors.increment()
            active.decrement()
            throw error
        }
    }
}

/// The metric handles, made once per route, method and status.
final class RequestMetricsCache: Sendable {
    struct Endpoint: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
        let errors: Counter
    }

    private struct Key: Hashable {
        let endpoint: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private let meters = Mutex<[HTTPRequest.Method: Meter]>([:])
    private let endpoints = Mutex<[Key: Endpoint]>([:])

    func active(_ method: HTTPRequest.Method) -> Meter {
        meters.withLock { meters in
            if let meter = meters[method] { return meter }
            let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
            meters[method] = meter
            return meter
        }
    }

    func endpoint(_ endpoint: String, _ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> Endpoint {
        let key = Key(endpoint: endpoint, method: method, status: status.code)
        return endpoints.withLock { endpoints in
            if let existing = endpoints[key] { return existing }
            let dimensions = [
                ("http.route", endpoint), ("http.request.method", method.rawValue),
                ("http.response.status_code", String(status.code)),
            ]
            let made = Endpoint(
                requests: Counter(label: "hb.requests", dimensions: dimensions),
                duration: Metrics.Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds),
                errors: Counter(label: "hb.request.errors", dimensions: [
                    ("http.route", endpoint), ("http.request.method", method.rawValue),
                    ("error.type", String(status.code)),
                ])
            )
            endpoints[key] = made
            return made
        }
    }
}
