import ChorusCore
import Foundation
import HTTPTypes
import Hummingbird
import ModelOrchestrator
import NIOCore
import SecurityHub

/// `POST /api/v2/llm/chat/completions`: OpenAI's Chat Completions API, so that OpenAI SDKs use Chorus as their
/// gateway by changing only the base URL and key. `model` names one of the tenant's routes; the route's policy,
/// fallback chains, cache, budgets and limits apply as they do for flows.
///
/// Errors are problem details that also carry OpenAI's `error` object, so both Chorus clients and OpenAI SDKs read
/// them. A stream that fails after its first token ends with an `error` event and no `[DONE]`.
struct ChatCompletionsController {
    func register(on api: APIRoutes) {
        api.call(.post, "/api/v2/llm/chat/completions", .modelsUse, complete)
    }

    @Sendable func complete(_ scope: Scope, _ principal: Principal) async throws -> Reply {
        let call: GatewayRequest
        switch GatewayRequest.parse(scope.body) {
        case .failure(let error):
            let fields = error.errors.map { Problem.FieldError(pointer: $0.pointer, detail: $0.message, code: $0.code.rawValue) }
            var problem = Problem.validation(fields)
            problem.status = 400
            return Self.reply(problem, GatewayError(error), requestID: scope.context.requestID)
        case .success(let parsed):
            call = parsed
        }
        let models = scope.services.models
        let id = "chatcmpl-" + UUID.random().compactHex
        let created = Int(Date().timeIntervalSince1970)
        if !call.stream {
            switch await models.complete(call.request, route: call.model, tenant: principal.tenantID) {
            case .failure(let error):
                return Self.reply(ModelController.problem(for: error), GatewayError(error), requestID: scope.context.requestID)
            case .success(let outcome):
                var reply = Reply(
                    status: .ok,
                    body: GatewayEncoding.completion(outcome.response, id: id, model: call.model, created: created),
                    headers: [.contentType: "application/json", .cacheControl: "no-store"]
                )
                Self.describe(&reply.headers, target: outcome.target, cacheHit: outcome.cacheHit)
                return reply
            }
        }
        let routed: AsyncStream<RouteStreamEvent>
        switch await models.stream(call.request, route: call.model, tenant: principal.tenantID) {
        case .failure(let error):
            return Self.reply(ModelController.problem(for: error), GatewayError(error), requestID: scope.context.requestID)
        case .success(let stream):
            routed = stream
        }
        let events = HandedOver(routed.makeAsyncIterator())
        // The answering target is known before the first byte, so it can go in a header.
        var target: RouteTarget?
        while let event = await events.iterator.next() {
            if case .answering(let answering) = event {
                target = answering
                break
            }
        }
        let frames = AsyncStream<ByteBuffer> { continuation in
            let task = Task {
                var encoder = GatewayStreamEncoder(id: id, model: call.model, created: created, includeUsage: call.includeUsage)
                while let event = await events.iterator.next() {
                    guard case .event(let event) = event else { continue }
                    for frame in encoder.frames(for: event) { continuation.yield(ByteBuffer(string: frame)) }
                }
                for frame in encoder.end() { continuation.yield(ByteBuffer(string: frame)) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        Self.describe(&headers, target: target, cacheHit: false)
        return Reply(status: .ok, body: nil, headers: headers, stream: ResponseBody(asyncSequence: frames))
    }

    /// Says who answered, for callers that want to know (`X-Chorus-Target`, `X-Chorus-Cache`).
    static func describe(_ headers: inout HTTPFields, target: RouteTarget?, cacheHit: Bool) {
        headers[HTTPField.Name("X-Chorus-Target")!] = target?.id ?? "last-resort"
        headers[HTTPField.Name("X-Chorus-Cache")!] = cacheHit ? "hit" : "miss"
    }

    /// A problem-details answer that also carries OpenAI's `error` object.
    static func reply(_ problem: Problem, _ error: GatewayError, requestID: String?) -> Reply {
        var problem = problem
        problem.status = error.status
        problem.requestId = requestID
        var members: [String: JSONValue] = [:]
        if let data = try? Reply.encoder.encode(problem), case .object(let fields)? = try? JSONValue.parse(data) {
            members = fields
        }
        if case .object(let openAI)? = try? JSONValue.parse(error.body) {
            members.merge(openAI) { _, new in new }
        }
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if let retry = error.retryAfter ?? problem.retryAfter.map(Double.init) {
            headers[.retryAfter] = String(Int(retry.rounded(.up)))
        }
        let body = (try? Reply.encoder.encode(JSONValue.object(members))) ?? Data()
        return Reply(status: HTTPResponse.Status(code: error.status), body: body, headers: headers)
    }
}

/// An iterator read first by the handler and then by the task that writes the body, never by both at once.
private final class HandedOver<Iterator: AsyncIteratorProtocol>: @unchecked Sendable {
    var iterator: Iterator

    init(_ iterator: Iterator) {
        self.iterator = iterator
    }
}
