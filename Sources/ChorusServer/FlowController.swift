import ChorusCore
import Crypto
import FlowEngine
import Foundation
import HTTPTypes
import Hummingbird
import SecurityHub
import Storage

/// A tenant's flows: drafts saved even while they are work in progress, published versions that never change,
/// rollbacks, experiments between versions, the flows each channel starts, and a simulator to try a flow before
/// publishing it (`FlowController+Simulation.swift`).
struct FlowController {
    struct FlowDTO: Codable, Sendable {
        var id: String
        var name: String
        var liveVersion: Int?
        var latestVersion: Int?
        var runningExperimentId: String?
        var draftUpdatedAt: Date
        var draftUpdatedBy: String
        var createdAt: Date
        /// With the draft only: whether it could be published now.
        var valid: Bool?
        /// With the draft only: every error and warning, with its JSON pointer into the draft.
        var problems: [FlowProblem]?

        init(_ record: FlowRecord, validation: FlowValidation? = nil) {
            id = record.id
            name = record.name
            liveVersion = record.liveVersion
            latestVersion = record.latestVersion
            runningExperimentId = record.runningExperimentID?.lowercased
            draftUpdatedAt = record.draftUpdatedAt
            draftUpdatedBy = record.draftUpdatedBy
            createdAt = record.createdAt
            valid = validation?.isValid
            problems = validation?.problems
        }
    }

    struct ValidationDTO: Codable, Sendable {
        var valid: Bool
        var problems: [FlowProblem]
    }

    struct VersionDTO: Codable, Sendable {
        var flowId: String
        var version: Int
        var message: String
        var author: String
        var createdAt: Date
        /// Whether new conversations start on this version.
        var live: Bool

        init(_ record: FlowVersionRecord, liveVersion: Int?) {
            flowId = record.flowID
            version = record.version
            message = record.message
            author = record.author
            createdAt = record.createdAt
            live = record.version == liveVersion
        }
    }

    struct DiffDTO: Codable, Sendable {
        var flowId: String
        var version: Int
        /// The version compared with; absent when comparing with the draft, or version 1 with nothing.
        var againstVersion: Int?
        var againstDraft: Bool
        /// The changes that turn the document compared with into `version`.
        var changes: [FlowDiff.Change]
        var statesAdded: [String]
        var statesRemoved: [String]
        var statesChanged: [String]
    }

    struct ExperimentDTO: Codable, Sendable {
        var id: String
        var flowId: String
        var name: String
        var arms: [Experiment.Arm]
        var status: String
        var startedAt: Date
        var startedBy: String
        var stoppedAt: Date?
        var stoppedBy: String?

        init(_ record: FlowExperimentRecord) throws {
            id = record.id.lowercased
            flowId = record.flowID
            name = record.name
            arms = try JSONDecoder().decode([Experiment.Arm].self, from: Data(record.arms.utf8))
            status = record.status
            startedAt = record.startedAt
            startedBy = record.startedBy
            stoppedAt = record.stoppedAt
            stoppedBy = record.stoppedBy
        }
    }

    struct Trigger: Codable, Sendable {
        /// Lower-cased, trimmed, inner spaces collapsed.
        var keyword: String
        var flow: String
    }

    struct BindingDTO: Codable, Sendable {
        var channel: String
        var entryFlow: String?
        var triggers: [Trigger]
        var updatedAt: Date
        var updatedBy: String

        init(_ record: FlowBindingRecord) throws {
            channel = record.channel
            entryFlow = record.entryFlow
            triggers = try JSONDecoder().decode([Trigger].self, from: Data(record.triggers.utf8))
            updatedAt = record.updatedAt
            updatedBy = record.updatedBy
        }
    }

    func register(on api: APIRoutes) {
        api.add(.get, "/api/v2/flows", .flowsRead, list)
        api.add(.post, "/api/v2/flows", .flowsWrite, create)
        api.add(.get, "/api/v2/flows/{flowId}", .flowsRead, get)
        api.add(.put, "/api/v2/flows/{flowId}/draft", .flowsWrite, replaceDraft)
        api.add(.post, "/api/v2/flows/{flowId}/validate", .flowsRead, validate)
        api.add(.get, "/api/v2/flows/{flowId}/versions", .flowsRead, versions)
        api.add(.post, "/api/v2/flows/{flowId}/versions", .flowsPublish, publish)
        api.add(.get, "/api/v2/flows/{flowId}/versions/{version}", .flowsRead, version)
        api.add(.get, "/api/v2/flows/{flowId}/versions/{version}/diff", .flowsRead, diff)
        api.add(.post, "/api/v2/flows/{flowId}/rollback", .flowsPublish, rollback)
        api.add(.get, "/api/v2/flows/{flowId}/experiments", .flowsRead, experiments)
        api.add(.post, "/api/v2/flows/{flowId}/experiments", .flowsPublish, startExperiment)
        api.add(.post, "/api/v2/flows/{flowId}/experiments/{experimentId}/stop", .flowsPublish, stopExperiment)
        api.add(.post, "/api/v2/flows/{flowId}/simulate", .flowsWrite, simulate)
        api.add(.get, "/api/v2/flow-bindings", .flowsRead, bindings)
        api.add(.get, "/api/v2/flow-bindings/{channel}", .flowsRead, binding)
        api.add(.put, "/api/v2/flow-bindings/{channel}", .flowsPublish, setBinding)
        api.add(.delete, "/api/v2/flow-bindings/{channel}", .flowsPublish, deleteBinding)
    }

    static let noFlow = Problem.notFound("No flow has this id.")
    static let noVersion = Problem.notFound("The flow has no published version with this number.")
    static let noExperiment = Problem.notFound("The flow has no experiment with this id.")
    static let noBinding = Problem.notFound("No binding exists for this channel.")

    // MARK: Drafts

    @Sendable func list(_ scope: TenantScope) async throws -> Reply {
        try .json(ListDTO(items: try await scope.tx.flows().map { FlowDTO($0) }, nextCursor: nil))
    }

    @Sendable func create(_ scope: TenantScope) async throws -> Reply {
        let validation = FlowDefinition.validate(scope.scope.body, references: try await Self.references(scope.tx))
        let document = try Self.document(scope.scope.body, validation: validation)
        guard let record = try await scope.tx.insertFlow(
            id: document.id, name: document.name, draft: document.text, by: Self.author(scope.principal)
        ) else { throw Problem.conflict("A flow with this id already exists.") }
        try await scope.audit("flow.created", "flow", record.id, Self.summary(document, validation))
        return try Self.detail(record, validation, status: .created)
    }

    @Sendable func get(_ scope: TenantScope) async throws -> Reply {
        let record = try await Self.flow(scope)
        let references = try await Self.references(scope.tx)
        let validation = FlowDefinition.validate(Data((record.draft ?? "").utf8), references: references)
        return try Self.detail(record, validation)
    }

    @Sendable func replaceDraft(_ scope: TenantScope) async throws -> Reply {
        let current = try await Self.flow(scope, lock: true)
        // Two editors saving the same draft: with `If-Match` carrying the ETag it was read with, the second save is
        // refused instead of silently overwriting the first.
        if let expected = scope.scope.request.headers[.ifMatch], expected != "*",
            !expected.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == Self.eTag(current.draft) })
        {
            throw Problem.preconditionFailed(
                "The draft changed since it was read (by \(current.draftUpdatedBy) at \(current.draftUpdatedAt.ISO8601Format())); read it again and reapply your changes."
            )
        }
        let validation = FlowDefinition.validate(scope.scope.body, references: try await Self.references(scope.tx))
        let document = try Self.document(scope.scope.body, validation: validation, expectedID: current.id)
        guard let record = try await scope.tx.updateFlowDraft(
            id: current.id, name: document.name, draft: document.text, by: Self.author(scope.principal)
        ) else { throw Self.noFlow }
        try await scope.audit("flow.draft.updated", "flow", record.id, Self.summary(document, validation))
        return try Self.detail(record, validation)
    }

    /// Checks the draft, or the document sent instead, without saving anything.
    @Sendable func validate(_ scope: TenantScope) async throws -> Reply {
        let record = try await Self.flow(scope)
        let document = scope.scope.body.isEmpty ? Data((record.draft ?? "").utf8) : scope.scope.body
        let validation = FlowDefinition.validate(document, references: try await Self.references(scope.tx))
        return try .json(ValidationDTO(valid: validation.isValid, problems: validation.problems))
    }

    // MARK: Versions

    @Sendable func versions(_ scope: TenantScope) async throws -> Reply {
        let flow = try await Self.flow(scope)
        let versions = try await scope.tx.flowVersions(flowID: flow.id)
        let items = versions.map { VersionDTO($0, liveVersion: flow.liveVersion) }
        return try .json(ListDTO(items: items, nextCursor: nil))
    }

    @Sendable func version(_ scope: TenantScope) async throws -> Reply {
        let flow = try await Self.flow(scope)
        let number = try Self.versionNumber(scope)
        guard let record = try await scope.tx.flowVersion(flowID: flow.id, version: number),
            let definition = record.definition
        else { throw Self.noVersion }
        return try .json(VersionDTO(record, liveVersion: flow.liveVersion), embedding: ["definition": definition])
    }

    /// Publishes the draft as the next version. The flow's row stays locked until the transaction ends, so the
    /// next number is read and used by one publish at a time.
    @Sendable func publish(_ scope: TenantScope) async throws -> Reply {
        let flow = try await Self.flow(scope, lock: true)
        let body = try scope.reader()
        let message = body.string("message", maxLength: 1000)
        let makeLive = body.boolean("makeLive", required: false) ?? true
        try body.finish()
        guard let message, let draft = flow.draft else { throw Problem.internal() }
        let validation = FlowDefinition.validate(Data(draft.utf8), references: try await Self.references(scope.tx))
        guard validation.isValid else { throw Self.invalid(validation, "The draft cannot be published") }
        let published = try await scope.tx.publishFlowVersion(
            flowID: flow.id, definition: draft, message: message, by: Self.author(scope.principal), makeLive: makeLive
        )
        try await scope.audit("flow.published", "flow", flow.id, [
            "version": String(published.version), "live": String(makeLive), "message": message,
            "warnings": String(validation.warnings.count),
        ])
        let live = makeLive ? published.version : flow.liveVersion
        return try .json(VersionDTO(published, liveVersion: live), status: .created)
    }

    /// Compares a version with another (by default the one before it) or with the draft.
    @Sendable func diff(_ scope: TenantScope) async throws -> Reply {
        let flow = try await Self.flow(scope)
        let number = try Self.versionNumber(scope)
        guard let target = try await scope.tx.flowVersion(flowID: flow.id, version: number)?.definition else {
            throw Self.noVersion
        }
        var againstVersion: Int?
        let base: String
        switch scope.scope.query("against") {
        case "draft":
            base = flow.draft ?? "{}"
        case nil where number == 1:
            // Nothing came before version 1: every member of it is new.
            base = "{}"
        case let text:
            let against = text.map { Int($0) ?? 0 } ?? number - 1
            guard (1...Int(Int32.max)).contains(against) else {
                throw Self.invalidField("/against", "against is a version number or draft.", code: "format")
            }
            guard let definition = try await scope.tx.flowVersion(flowID: flow.id, version: against)?.definition else {
                throw Self.invalidField("/against", "The flow has no version \(against).")
            }
            againstVersion = against
            base = definition
        }
        let diff: FlowDiff
        do {
            diff = try FlowDiff(from: Data(base.utf8), to: Data(target.utf8))
        } catch {
            throw Problem.validation(error.problems.map(Self.fieldError))
        }
        return try .json(DiffDTO(
            flowId: flow.id, version: number, againstVersion: againstVersion,
            againstDraft: scope.scope.query("against") == "draft", changes: diff.changes,
            statesAdded: diff.statesAdded, statesRemoved: diff.statesRemoved, statesChanged: diff.statesChanged
        ))
    }

    /// Makes an earlier version live again. Conversations already running keep the version they started on.
    @Sendable func rollback(_ scope: TenantScope) async throws -> Reply {
        let flow = try await Self.flow(scope, lock: true)
        let body = try scope.reader()
        let version = body.integer("version", range: 1...Int(Int32.max))
        try body.finish()
        guard let version else { throw Problem.internal() }
        guard let live = flow.liveVersion else {
            throw Problem.conflict("The flow has no live version to roll back from; publish with makeLive to set one.")
        }
        guard try await scope.tx.flowVersion(flowID: flow.id, version: version) != nil else {
            throw Self.invalidField("/version", "The flow has no version \(version).")
        }
        guard version < live else {
            throw Self.invalidField(
                "/version",
                "version must be earlier than the live version \(live); to move forward, publish with makeLive.",
                code: "range"
            )
        }
        // New conversations in a running experiment would still reach the versions rolled back from.
        if let running = try await scope.tx.flowExperiments(flowID: flow.id).first(where: { $0.status == "running" }),
            let arms = try? JSONDecoder().decode([Experiment.Arm].self, from: Data(running.arms.utf8)),
            arms.contains(where: { $0.version > version })
        {
            throw Problem.conflict(
                "Experiment \(running.id.lowercased) still sends new conversations to versions after \(version); stop it first."
            )
        }
        try await scope.tx.setLiveFlowVersion(flowID: flow.id, version: version)
        try await scope.audit("flow.rolled_back", "flow", flow.id, ["from": String(live), "to": String(version)])
        guard let record = try await scope.tx.flow(id: flow.id) else { throw Self.noFlow }
        return try .json(FlowDTO(record))
    }

    // MARK: Experiments

    @Sendable func experiments(_ scope: TenantScope) async throws -> Reply {
        let flow = try await Self.flow(scope)
        let items = try await scope.tx.flowExperiments(flowID: flow.id).map(ExperimentDTO.init)
        return try .json(ListDTO(items: items, nextCursor: nil))
    }

    @Sendable func startExperiment(_ scope: TenantScope) async throws -> Reply {
        let flow = try await Self.flow(scope)
        let published = Set(try await scope.tx.flowVersions(flowID: flow.id).map(\.version))
        let body = try scope.reader()
        let name = body.string("name", maxLength: 100)
        var seen: Set<Int> = []
        let arms = body.objects("arms", maxCount: 10) { _, arm -> Experiment.Arm? in
            let version = arm.integer("version", range: 1...Int(Int32.max))
            let weight = arm.integer("weight", range: 1...10_000)
            guard let version else { return nil }
            if !published.contains(version) {
                arm.fail("version", "The flow has no published version \(version).")
                return nil
            }
            if !seen.insert(version).inserted {
                arm.fail("version", "Version \(version) is already an arm; each arm is a different version.")
                return nil
            }
            return weight.map { Experiment.Arm(version: version, weight: $0) }
        }
        if let arms, arms.count < 2 {
            body.fail("arms", "An experiment needs at least 2 arms.", code: "too_short")
        }
        try body.finish()
        guard let name, let arms = arms?.compactMap({ $0 }) else { throw Problem.internal() }
        guard let record = try await scope.tx.startFlowExperiment(
            id: UUID(), flowID: flow.id, name: name, arms: try Self.encode(arms), by: Self.author(scope.principal)
        ) else { throw Problem.conflict("The flow already has a running experiment; stop it first.") }
        try await scope.audit("flow.experiment.started", "flow_experiment", record.id.lowercased, [
            "flow": flow.id, "name": name, "arms": arms.map { "v\($0.version):\($0.weight)" }.joined(separator: " "),
        ])
        return try .json(ExperimentDTO(record), status: .created)
    }

    @Sendable func stopExperiment(_ scope: TenantScope) async throws -> Reply {
        let flow = try await Self.flow(scope)
        let id = try scope.id("experimentId", resource: "experiment")
        guard let current = try await scope.tx.flowExperiment(flowID: flow.id, id: id) else { throw Self.noExperiment }
        let author = Self.author(scope.principal)
        guard let record = try await scope.tx.stopFlowExperiment(flowID: flow.id, id: id, by: author) else {
            throw Problem.conflict("The experiment has already stopped.")
        }
        try await scope.audit(
            "flow.experiment.stopped", "flow_experiment", id.lowercased, ["flow": flow.id, "name": current.name]
        )
        return try .json(ExperimentDTO(record))
    }

    // MARK: Bindings

    @Sendable func bindings(_ scope: TenantScope) async throws -> Reply {
        try .json(ListDTO(items: try await scope.tx.flowBindings().map(BindingDTO.init), nextCursor: nil))
    }

    @Sendable func binding(_ scope: TenantScope) async throws -> Reply {
        let channel = try Self.channel(scope)
        guard let record = try await scope.tx.flowBinding(channel: channel) else { throw Self.noBinding }
        return try .json(BindingDTO(record))
    }

    /// Sets which flow a channel starts and which keywords start other flows on it. Every flow named must be
    /// live, so a channel never points at a flow that cannot start.
    @Sendable func setBinding(_ scope: TenantScope) async throws -> Reply {
        let channel = try Self.channel(scope)
        let live = Dictionary(uniqueKeysWithValues: try await scope.tx.flows().map { ($0.id, $0.liveVersion) })
        // Names the caller sent are not repeated back: they may be another tenant's.
        func check(_ flow: String) -> String? {
            switch live[flow] {
            case nil: "This tenant has no flow with this id."
            case .some(nil): "This flow has no live version; publish one first."
            case .some(.some(_)): nil
            }
        }
        let body = try scope.reader()
        let entryFlow = body.string("entryFlow", required: false, maxLength: 64)
        if let entryFlow, let problem = check(entryFlow) { body.fail("entryFlow", problem) }
        var keywords: [String: Int] = [:]
        let triggers = body.objects("triggers", required: false, maxCount: 200) { index, trigger -> Trigger? in
            let keyword = trigger.string("keyword", maxLength: 100).map(Self.keyword)
            let flow = trigger.string("flow", maxLength: 64)
            if let keyword, keyword.isEmpty {
                trigger.fail("keyword", "This keyword is only punctuation or spaces, which messages are compared without.")
                return nil
            }
            if let keyword {
                if let first = keywords[keyword] {
                    trigger.fail("keyword", "This keyword is already the keyword of trigger \(first) once normalized.")
                    return nil
                }
                keywords[keyword] = index
            }
            if let flow, let problem = check(flow) {
                trigger.fail("flow", problem)
                return nil
            }
            guard let keyword, let flow else { return nil }
            return Trigger(keyword: keyword, flow: flow)
        }
        try body.finish()
        let list = (triggers ?? []).compactMap { $0 }
        let record = try await scope.tx.setFlowBinding(
            channel: channel, entryFlow: entryFlow, triggers: try Self.encode(list), by: Self.author(scope.principal)
        )
        try await scope.audit("flow.binding.updated", "flow_binding", channel, [
            "entryFlow": entryFlow ?? "", "triggers": list.map { "\($0.keyword)→\($0.flow)" }.joined(separator: ", "),
        ])
        return try .json(BindingDTO(record))
    }

    @Sendable func deleteBinding(_ scope: TenantScope) async throws -> Reply {
        let channel = try Self.channel(scope)
        guard try await scope.tx.deleteFlowBinding(channel: channel) else { throw Self.noBinding }
        try await scope.audit("flow.binding.deleted", "flow_binding", channel, [:])
        return .noContent
    }

    // MARK: Shared

    /// The flow named by the path, optionally locked until the transaction ends.
    static func flow(_ scope: TenantScope, lock: Bool = false) async throws -> FlowRecord {
        guard let id = scope.scope.context.parameters.get("flowId"), isSlug(id),
            let record = try await scope.tx.flow(id: id, lock: lock)
        else { throw noFlow }
        return record
    }

    /// The version number of the path; anything but a number in range is a 404.
    static func versionNumber(_ scope: TenantScope) throws -> Int {
        guard let text = scope.scope.context.parameters.get("version"), text.utf8.count <= 10,
            text.utf8.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }), let number = Int(text),
            (1...Int(Int32.max)).contains(number)
        else { throw noVersion }
        return number
    }

    /// The channel key of the path: 1 to 128 lower-case letters, digits, `-`, `_` or `.`, starting with a letter or
    /// digit. No binding can have another key, so another is a 404.
    static func channel(_ scope: TenantScope) throws -> String {
        guard let key = scope.scope.context.parameters.get("channel"), (1...128).contains(key.utf8.count),
            let first = key.utf8.first, isLowerAlphanumeric(first),
            key.utf8.allSatisfy({ isLowerAlphanumeric($0) || "-_.".utf8.contains($0) })
        else {
            throw Problem.notFound(
                "No binding exists for this channel. Channel keys are 1 to 128 lower-case letters, digits, -, _ and ., "
                    + "starting with a letter or digit."
            )
        }
        return key
    }

    /// Flow ids as the flow document defines them.
    static func isSlug(_ text: String) -> Bool { FlowDefinition.isValidID(text) }

    /// A trigger keyword as messages are compared with it, the way interrupts compare keywords.
    static func keyword(_ text: String) -> String { Keyword.normalize(text) }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10
    }

    /// What a flow may refer to: this tenant's flows and their published versions. Model routes, prompts and
    /// integrations have no tables yet, so references to them stay unchecked (`nil`) until they do.
    static func references(_ tx: TenantTransaction) async throws -> FlowReferences {
        FlowReferences(
            routes: try await tx.llmRouteNames().union([ModelSnapshot.defaultRouteName]),
            prompts: try await tx.promptCatalog(),
            flows: try await tx.publishedFlowVersions()
        )
    }

    /// Who made a change, as flows, versions, experiments and bindings record it.
    static func author(_ principal: Principal) -> String {
        switch principal.kind {
        case .member(let id): "member:\(id.lowercased)"
        case .apiKey(let id, _): "api_key:\(id.lowercased)"
        }
    }

    /// A document sent as a draft.
    struct Document {
        var id: String
        var name: String
        var text: String
    }

    /// Reads a draft: it must be JSON, an object, and have a usable `id` (equal to `expectedID` when replacing).
    /// Anything else may still be wrong, since drafts are saved while they are work in progress.
    static func document(_ body: Data, validation: FlowValidation, expectedID: String? = nil) throws -> Document {
        if body.isEmpty { throw Problem.malformedBody("The body must be a flow document: a JSON object with an id.") }
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch {
            let syntax = validation.problems.first { $0.code == "json" }
            throw Problem.malformedBody(syntax?.message ?? "The request body is not valid JSON.")
        }
        // The engine's parser is stricter than Foundation's (it refuses a byte-order mark, for one); what it cannot
        // read must not be stored, since stored drafts are embedded in responses as they are.
        if let syntax = validation.problems.first(where: { $0.code == "json" }) {
            throw Problem.malformedBody(syntax.message)
        }
        guard case .object(let members) = value else {
            throw invalidField("", "A flow document is a JSON object, not \(value.typeName).", code: "type")
        }
        let problem: Problem.FieldError?
        switch members["id"] {
        case nil, .null?:
            problem = .init(
                pointer: "/id", detail: "id is required: the flow's id, such as order-status.", code: "required"
            )
        case .string(let id)? where !isSlug(id):
            problem = .init(
                pointer: "/id",
                detail: "id must be a lower-case letter or digit, then up to 63 lower-case letters, digits, - or _.",
                code: "format"
            )
        case .string(let id)? where expectedID != nil && id != expectedID:
            problem = .init(
                pointer: "/id", detail: "id must stay \(expectedID ?? ""): a flow's id cannot change.", code: "invalid"
            )
        case .string? where validation.problems.contains(where: { $0.pointer == "/id" && $0.code == "duplicate-id" }):
            problem = .init(pointer: "/id", detail: "id appears more than once.", code: "invalid")
        case .string?:
            problem = nil
        case let other?:
            problem = .init(pointer: "/id", detail: "id must be a string, got \(other.typeName).", code: "type")
        }
        if let problem { throw Problem.validation([problem]) }
        guard case .string(let id)? = members["id"] else { throw Problem.internal() }
        var name = id
        if case .string(let given)? = members["name"] {
            let trimmed = given.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { name = String(String.UnicodeScalarView(trimmed.unicodeScalars.prefix(200))) }
        }
        return Document(id: id, name: name, text: String(decoding: body, as: UTF8.self))
    }

    /// A flow with its draft, as it was sent, and what is wrong with the draft; the `ETag` names the draft's content
    /// for `If-Match` on the next save.
    static func detail(_ record: FlowRecord, _ validation: FlowValidation, status: HTTPResponse.Status = .ok) throws
        -> Reply
    {
        var reply = try Reply.json(FlowDTO(record, validation: validation), embedding: ["draft": record.draft ?? "{}"], status: status)
        reply.headers[.eTag] = eTag(record.draft)
        return reply
    }

    /// A strong ETag for a draft: the first 128 bits of the SHA-256 of its text.
    static func eTag(_ draft: String?) -> String {
        let digest = SHA256.hash(data: Data((draft ?? "").utf8))
        return "\"" + digest.prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// A 422 whose `errors` carry every error of the document with its pointer, message and code.
    static func invalid(_ validation: FlowValidation, _ what: String) -> Problem {
        let errors = validation.errors.map(fieldError)
        var problem = Problem.validation(errors)
        problem.detail = "\(what): it has \(errors.count) error\(errors.count == 1 ? "" : "s")."
        return problem
    }

    /// JSON for a jsonb column.
    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try Reply.encoder.encode(value), as: UTF8.self)
    }

    /// A flow problem as a field error of a 422: its pointer, its message and its code.
    static func fieldError(_ problem: FlowProblem) -> Problem.FieldError {
        Problem.FieldError(pointer: problem.pointer, detail: problem.message, code: problem.code)
    }

    /// A 422 for one field.
    static func invalidField(_ pointer: String, _ detail: String, code: String = "invalid") -> Problem {
        Problem.validation([.init(pointer: pointer, detail: detail, code: code)])
    }

    static func summary(_ document: Document, _ validation: FlowValidation) -> [String: String] {
        ["name": document.name, "errors": String(validation.errors.count), "bytes": String(document.text.utf8.count)]
    }
}
