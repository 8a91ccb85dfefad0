import ChorusCore
import Foundation
import Hummingbird
import SecurityHub
import Storage

/// The tenant's audit log: list and filter entries, verify the chain, and fetch a signed checkpoint of its head.
struct AuditController {
    struct Entry: Codable, Sendable {
        var seq: Int64
        var occurredAt: Date
        var actorType: String
        var actorId: String?
        var action: String
        var resourceType: String
        var resourceId: String?
        var requestId: String?
        var clientAddress: String?
        var summary: JSONValue
        var previousHash: String
        var hash: String

        init(_ link: AuditChain.Link) {
            let r = link.record
            seq = r.seq
            occurredAt = Date(timeIntervalSince1970: Double(r.occurredAtMicros) / 1_000_000)
            actorType = r.actorType
            actorId = r.actorID
            action = r.action
            resourceType = r.resourceType
            resourceId = r.resourceID
            requestId = r.requestID
            clientAddress = r.clientAddress
            summary = (try? JSONValue.parse(Data(r.summary.utf8))) ?? .string(r.summary)
            previousHash = link.previous
            hash = link.hash
        }
    }

    struct Verification: Codable, Sendable {
        var valid: Bool
        var entries: Int
        var headSeq: Int64
        var headHash: String
        var firstBroken: AuditChain.Break?
    }

    func register(on api: APIRoutes) {
        api.add(.get, "/api/v2/audit", .auditRead, list)
        api.add(.get, "/api/v2/audit/verify", .auditRead, verify)
        api.add(.get, "/api/v2/audit/checkpoint", .auditRead, checkpoint)
    }

    @Sendable func list(_ scope: TenantScope) async throws -> Reply {
        var errors: [Problem.FieldError] = []
        let limit = scope.scope.query("limit").map { Int($0) ?? -1 } ?? 100
        if !(1...500).contains(limit) {
            errors.append(.init(pointer: "/limit", detail: "limit must be an integer from 1 to 500.", code: "range"))
        }
        let cursor = scope.scope.query("cursor")
        let after = cursor.map { Int64($0) ?? -1 } ?? 0
        if after < 0 {
            errors.append(.init(pointer: "/cursor", detail: "cursor is not one this API returned.", code: "format"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        let links = try await scope.tx.auditEntries(
            afterSeq: after,
            limit: limit,
            action: scope.scope.query("action"),
            actorID: scope.scope.query("actorId")?.lowercased(),
            resourceType: scope.scope.query("resourceType")
        )
        let next = links.count == limit ? links.last.map { String($0.record.seq) } : nil
        return try .json(ListDTO(items: links.map(Entry.init), nextCursor: next))
    }

    @Sendable func verify(_ scope: TenantScope) async throws -> Reply {
        let chain = try await scope.tx.auditChain()
        let broken = AuditChain.verify(chain)
        return try .json(
            Verification(
                valid: broken == nil,
                entries: chain.count,
                headSeq: chain.last?.record.seq ?? 0,
                headHash: chain.last?.hash ?? AuditChain.genesis,
                firstBroken: broken
            )
        )
    }

    @Sendable func checkpoint(_ scope: TenantScope) async throws -> Reply {
        let head = try await scope.tx.auditHead()
        return try .json(
            try scope.services.auditSigner.checkpoint(
                tenantID: scope.tx.tenantID,
                seq: head?.record.seq ?? 0,
                hash: head?.hash ?? AuditChain.genesis
            )
        )
    }
}
