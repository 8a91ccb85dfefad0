import ChorusCore
import Foundation
import SecurityHub
import Storage

/// Who made a change, as the audit log records it.
struct AuditActor: Sendable {
    var type: String
    var id: String?
    var requestID: String?
    var clientAddress: String?

    /// The principal of a tenant route.
    init(_ principal: Principal, context: ChorusRequestContext) {
        switch principal.kind {
        case .member(let id): (type, self.id) = ("member", id.lowercased)
        case .apiKey(let id, _): (type, self.id) = ("api_key", id.lowercased)
        }
        requestID = context.requestID
        clientAddress = context.clientAddress
    }

    /// The platform operator.
    static func `operator`(_ context: ChorusRequestContext) -> AuditActor {
        AuditActor(type: "operator", id: nil, requestID: context.requestID, clientAddress: context.clientAddress)
    }

    /// `chorus seed`, which acts as the operator from the command line.
    static let seed = AuditActor(type: "operator", id: nil, requestID: nil, clientAddress: nil)

    /// A member acting for themselves outside a tenant route (accepting an invitation).
    static func member(_ id: UUID, context: ChorusRequestContext) -> AuditActor {
        AuditActor(type: "member", id: id.lowercased, requestID: context.requestID, clientAddress: context.clientAddress)
    }

    private init(type: String, id: String?, requestID: String?, clientAddress: String?) {
        self.type = type
        self.id = id
        self.requestID = requestID
        self.clientAddress = clientAddress
    }

    /// Appends an entry to the tenant's chain, in the transaction that makes the change, so the change and its
    /// record commit together or not at all. `summary` must never hold a secret.
    func record(
        _ action: String,
        _ resourceType: String,
        _ resourceID: String?,
        _ summary: [String: String],
        in tx: TenantTransaction
    ) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(summary), as: UTF8.self)
        let micros = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
        try await tx.appendAudit { seq in
            AuditRecord(
                seq: seq, tenantID: tx.tenantID, occurredAtMicros: micros, actorType: type, actorID: id,
                action: action, resourceType: resourceType, resourceID: resourceID, requestID: requestID,
                clientAddress: clientAddress, summary: text
            )
        }
    }
}

extension TenantScope {
    /// Records a change made by this route's principal.
    func audit(_ action: String, _ resourceType: String, _ resourceID: String?, _ summary: [String: String]) async throws {
        try await AuditActor(principal, context: scope.context).record(action, resourceType, resourceID, summary, in: tx)
    }
}
