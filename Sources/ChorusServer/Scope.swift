import ChorusCore
import FlowEngine
import Foundation
import HTTPTypes
import Hummingbird
import SecurityHub
import Storage

/// What a route handler works with: the request, its body, the services, and — for tenant routes — the
/// verified principal and the open tenant transaction.
struct Scope: Sendable {
    let request: Request
    let context: ChorusRequestContext
    let body: Data
    let services: AppServices

    /// The body as a validating reader.
    func reader() throws -> BodyReader { try BodyReader(data: body) }

    /// A path parameter that must be a UUID; a malformed one is a 404 for `resource`.
    func id(_ name: String, resource: String) throws -> UUID {
        guard let text = context.parameters.get(name), let id = UUID(uuidString: text) else {
            throw Problem.notFound("No \(resource) has this id.")
        }
        return id
    }

    /// A query parameter.
    func query(_ name: String) -> String? { request.uri.queryParameters.get(name) }

    /// A path parameter that names something by slug (a route, a provider, a prompt): a malformed one is `notFound`
    /// when reading, and a validation error at `/<name>` when writing, since the write would create it.
    func slug(_ name: String, notFound: Problem, forWriting: Bool = false) throws -> String {
        let slug = context.parameters.get(name) ?? ""
        guard FlowDefinition.isValidID(slug) else {
            guard forWriting else { throw notFound }
            throw Problem.validation([.init(
                pointer: "/\(name)",
                detail: "A \(name) name is 1 to 64 lower-case letters, digits, dashes and underscores, starting with a letter or digit.",
                code: "format"
            )])
        }
        return slug
    }
}

/// A tenant route's scope: the caller's principal, narrowed to what their credential grants now, inside a
/// transaction confined to their tenant.
struct TenantScope: Sendable {
    let scope: Scope
    let principal: Principal
    let tx: TenantTransaction

    var services: AppServices { scope.services }
    func reader() throws -> BodyReader { try scope.reader() }
    func id(_ name: String, resource: String) throws -> UUID { try scope.id(name, resource: resource) }
}
