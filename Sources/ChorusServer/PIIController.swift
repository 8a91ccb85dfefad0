import ChorusCore
import Crypto
import Foundation
import Hummingbird
import SecurityHub
import Storage

/// A tenant's PII settings: its own recognizers (validated before they are saved), its policy, and tools to try
/// them (`analyze`) and to restore reversibly masked values (`unmask`, with its own permission).
struct PIIController {
    struct RecognizerDTO: Codable, Sendable {
        var id: String
        var name: String
        var entity: String
        var patterns: [String]
        var denyList: [String]
        var contextWords: [String]
        var contextRequired: Bool
        var score: Double
        var createdAt: Date
        var updatedAt: Date

        init(_ record: PIIRecognizerRecord) throws {
            let definition = try JSONDecoder().decode(PIIRecognizerDefinition.self, from: Data(record.definition.utf8))
            id = record.id.lowercased
            name = record.name
            entity = definition.entity.rawValue
            patterns = definition.patterns
            denyList = definition.denyList
            contextWords = definition.contextWords
            contextRequired = definition.contextRequired
            score = definition.score
            createdAt = record.createdAt
            updatedAt = record.updatedAt
        }
    }

    struct Found: Codable, Sendable {
        var entity: String
        /// Offsets in Unicode scalars (code points), end exclusive.
        var start: Int
        var end: Int
        var score: Double
        var text: String
    }

    struct Analysis: Codable, Sendable {
        var entities: [Found]
        var masked: String
    }

    func register(on api: APIRoutes) {
        api.add(.get, "/api/v2/pii/recognizers", .piiRead, list)
        api.add(.post, "/api/v2/pii/recognizers", .piiWrite, create)
        api.add(.get, "/api/v2/pii/recognizers/{recognizerId}", .piiRead, get)
        api.add(.put, "/api/v2/pii/recognizers/{recognizerId}", .piiWrite, replace)
        api.add(.delete, "/api/v2/pii/recognizers/{recognizerId}", .piiWrite, delete)
        api.add(.get, "/api/v2/pii/policy", .piiRead, policy)
        api.add(.put, "/api/v2/pii/policy", .piiWrite, setPolicy)
        api.add(.post, "/api/v2/pii/analyze", .piiRead, analyze)
        api.add(.post, "/api/v2/pii/unmask", .piiUnmask, unmask)
    }

    static let noRecognizer = Problem.notFound("No PII recognizer has this id.")

    @Sendable func list(_ scope: TenantScope) async throws -> Reply {
        try .json(ListDTO(items: try await scope.tx.piiRecognizers().map(RecognizerDTO.init), nextCursor: nil))
    }

    @Sendable func get(_ scope: TenantScope) async throws -> Reply {
        guard let record = try await scope.tx.piiRecognizer(id: try scope.id("recognizerId", resource: "PII recognizer"))
        else { throw Self.noRecognizer }
        return try .json(RecognizerDTO(record))
    }

    /// Reads and validates a definition: every problem, pattern syntax included, with its pointer.
    static func definition(_ body: BodyReader) throws -> PIIRecognizerDefinition {
        let name = body.string("name", maxLength: 100)
        let entity = body.string("entity", maxLength: 40)
        if let entity, !PIIEntity.isValidName(entity) {
            body.fail("entity", "entity must be 1 to 40 lower-case letters, digits and underscores, starting with a letter.")
        }
        let patterns = body.stringArray("patterns", required: false, maxCount: PIIRecognizerDefinition.maximumPatterns)
        let denyList = body.stringArray("denyList", required: false, maxCount: PIIRecognizerDefinition.maximumDenyListTerms)
        let contextWords = body.stringArray("contextWords", required: false,
                                            maxCount: PIIRecognizerDefinition.maximumContextWords)
        let contextRequired = body.boolean("contextRequired", required: false)
        let score = body.number("score", required: false, range: 0.01...1)
        // Every problem at once: the definition's own checks run even when name or entity are wrong.
        let definition = PIIRecognizerDefinition(
            name: name ?? "", entity: entity.flatMap(PIIEntity.init(rawValue:)) ?? .email, patterns: patterns ?? [],
            denyList: denyList ?? [], contextWords: contextWords ?? [], contextRequired: contextRequired ?? false,
            score: score ?? 0.6
        )
        for problem in definition.problems where !(problem.pointer == "/score" && score == nil) {
            body.fail(at: problem.pointer.split(separator: "/").map(String.init), problem.message)
        }
        try body.finish()
        return definition
    }

    @Sendable func create(_ scope: TenantScope) async throws -> Reply {
        let definition = try Self.definition(try scope.reader())
        let record = try await scope.tx.insertPIIRecognizer(
            id: UUID(), name: definition.name, definition: try Self.encode(definition)
        )
        try await scope.audit("pii.recognizer.created", "pii_recognizer", record.id.lowercased, Self.summary(definition))
        return try .json(RecognizerDTO(record), status: .created)
    }

    @Sendable func replace(_ scope: TenantScope) async throws -> Reply {
        let id = try scope.id("recognizerId", resource: "PII recognizer")
        let definition = try Self.definition(try scope.reader())
        guard let record = try await scope.tx.updatePIIRecognizer(
            id: id, name: definition.name, definition: try Self.encode(definition)
        ) else { throw Self.noRecognizer }
        try await scope.audit("pii.recognizer.updated", "pii_recognizer", record.id.lowercased, Self.summary(definition))
        return try .json(RecognizerDTO(record))
    }

    @Sendable func delete(_ scope: TenantScope) async throws -> Reply {
        let id = try scope.id("recognizerId", resource: "PII recognizer")
        guard try await scope.tx.deletePIIRecognizer(id: id) else { throw Self.noRecognizer }
        try await scope.audit("pii.recognizer.deleted", "pii_recognizer", id.lowercased, [:])
        return .noContent
    }

    @Sendable func policy(_ scope: TenantScope) async throws -> Reply {
        try .json(try await Self.policy(in: scope.tx))
    }

    @Sendable func setPolicy(_ scope: TenantScope) async throws -> Reply {
        let body = try scope.reader()
        let operators = body.map("operators", required: false, maxCount: 100) { name, entry -> MaskOperator? in
            if !PIIEntity.isValidName(name) { entry.fail("type", "\(name) is not an entity name.") }
            let type = entry.string("type", maxLength: 20)
            let keep = entry.integer("keep", required: false, range: 0...8)
            switch type {
            case "redact": return .redact
            case "partial": return .partial(keep: keep ?? 4)
            case "hash": return .keyedHash
            case "encrypt": return .encrypt
            case nil: return nil
            default:
                entry.fail("type", "type must be one of redact, partial, hash, encrypt.", code: "enum")
                return nil
            }
        }
        let disabled = body.stringArray("disabledEntities", required: false, maxCount: PIIEntity.builtIn.count) { name in
            PIIEntity(rawValue: name)?.isBuiltIn == true ? nil : "\(name) is not a built-in entity."
        }
        let allowList = body.stringArray("allowList", required: false, maxCount: 1000) { value in
            (1...100).contains(value.count) ? nil : "each value must be 1 to 100 characters."
        }
        let maskBeforeModels = body.boolean("maskBeforeModels", required: false)
        try body.finish()
        let policy = PIIPolicy(
            operators: operators ?? [:],
            disabledEntities: (disabled ?? []).compactMap { PIIEntity(rawValue: $0) },
            allowList: allowList ?? [],
            maskBeforeModels: maskBeforeModels ?? false
        )
        try await scope.tx.setPIIPolicy(try Self.encode(policy))
        var summary = (policy.operators.mapValues(\.name))
        summary["maskBeforeModels"] = String(policy.maskBeforeModels)
        summary["disabledEntities"] = policy.disabledEntities.map(\.rawValue).joined(separator: " ")
        summary["allowList"] = "\(policy.allowList.count) values"
        try await scope.audit("pii.policy.updated", "pii_policy", nil, summary)
        return try .json(policy)
    }

    @Sendable func analyze(_ scope: TenantScope) async throws -> Reply {
        let body = try scope.reader()
        let text = body.secret("text", maxLength: 100_000)
        try body.finish()
        guard let text else { throw Problem.internal() }
        let masker = try await Self.masker(in: scope)
        let bytes = Array(text.utf8)
        var scalarsBefore = 0
        var cursor = 0
        var found: [Found] = []
        for match in masker.detector.detect(text) {
            scalarsBefore += String(decoding: bytes[cursor..<match.range.lowerBound], as: UTF8.self).unicodeScalars.count
            let value = String(decoding: bytes[match.range], as: UTF8.self)
            let length = value.unicodeScalars.count
            found.append(Found(entity: match.entity.rawValue, start: scalarsBefore, end: scalarsBefore + length,
                               score: (match.score * 100).rounded() / 100, text: value))
            scalarsBefore += length
            cursor = match.range.upperBound
        }
        return try .json(Analysis(entities: found, masked: masker.mask(text)))
    }

    @Sendable func unmask(_ scope: TenantScope) async throws -> Reply {
        let body = try scope.reader()
        let text = body.secret("text", maxLength: 100_000)
        try body.finish()
        guard let text else { throw Problem.internal() }
        let masker = try await Self.masker(in: scope)
        try await scope.audit("pii.unmasked", "pii", nil, ["characters": String(text.count)])
        return try .json(["text": masker.unmask(text)])
    }

    // MARK: Shared

    /// The tenant's masker: its policy, its recognizers and its masking key (created on first use, sealed in
    /// the tenant's secrets).
    static func masker(in scope: TenantScope) async throws -> PIIMasker {
        let policy = try await policy(in: scope.tx)
        let recognizers = try await scope.tx.piiRecognizers().compactMap { record -> PIIRecognizer? in
            guard let definition = try? JSONDecoder().decode(PIIRecognizerDefinition.self, from: Data(record.definition.utf8))
            else { return nil }
            return try? PIIRecognizer(definition)
        }
        let vault = scope.services.vault
        var keyText = try await scope.tx.revealSecret(name: "pii-masking-key", vault: vault)
        if keyText == nil {
            let fresh = Base64URL.random(bytes: 32)
            try await scope.tx.putSecret(name: "pii-masking-key", plaintext: fresh, vault: vault)
            keyText = fresh
        }
        guard let keyText, let key = Base64URL.decode(keyText) else { throw Problem.internal() }
        return policy.masker(tenantKey: SymmetricKey(data: key), recognizers: recognizers)
    }

    static func policy(in tx: TenantTransaction) async throws -> PIIPolicy {
        guard let text = try await tx.piiPolicy() else { return PIIPolicy() }
        return try JSONDecoder().decode(PIIPolicy.self, from: Data(text.utf8))
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func summary(_ definition: PIIRecognizerDefinition) -> [String: String] {
        ["name": definition.name, "entity": definition.entity.rawValue, "patterns": String(definition.patterns.count),
         "denyList": "\(definition.denyList.count) values", "contextWords": definition.contextWords.joined(separator: " ")]
    }
}
