public import Foundation
import PostgresNIO

/// A flow as stored: its draft document as submitted, and what it has published.
public struct FlowRecord: Sendable, Equatable {
    /// Its id, a slug unique within the tenant.
    public var id: String
    /// Its display name, taken from the draft.
    public var name: String
    /// The draft document, byte for byte as submitted; `nil` when a listing left it out.
    public var draft: String?
    /// When the draft was last saved.
    public var draftUpdatedAt: Date
    /// Who last saved the draft, as `member:<id>` or `api_key:<id>`.
    public var draftUpdatedBy: String
    /// The version new conversations start on, if one is live.
    public var liveVersion: Int?
    /// The highest published version, if any.
    public var latestVersion: Int?
    /// The running experiment, if any.
    public var runningExperimentID: UUID?
    /// When the flow was created.
    public var createdAt: Date
}

/// A published version of a flow. Versions never change once written.
public struct FlowVersionRecord: Sendable, Equatable {
    /// The flow's id.
    public var flowID: String
    /// The version number, from 1.
    public var version: Int
    /// The document as it was published; `nil` when a listing left it out.
    public var definition: String?
    /// What the publisher said about the change.
    public var message: String
    /// Who published it, as `member:<id>` or `api_key:<id>`.
    public var author: String
    /// When it was published.
    public var createdAt: Date
}

/// An experiment between published versions of a flow.
public struct FlowExperimentRecord: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// The flow's id.
    public var flowID: String
    /// A name its starter chose.
    public var name: String
    /// The arms as JSON: `[{"version": 2, "weight": 90}, …]`.
    public var arms: String
    /// `running` or `stopped`.
    public var status: String
    /// When it started.
    public var startedAt: Date
    /// Who started it.
    public var startedBy: String
    /// When it stopped, if it has.
    public var stoppedAt: Date?
    /// Who stopped it, if it has stopped.
    public var stoppedBy: String?
}

/// Which flow a channel starts, and which keywords start other flows on it.
public struct FlowBindingRecord: Sendable, Equatable {
    /// The channel's key, such as `web` or `whatsapp-main`.
    public var channel: String
    /// The flow a new conversation on the channel starts, if any.
    public var entryFlow: String?
    /// The triggers as JSON: `[{"keyword": "order status", "flow": "order-status"}, …]`.
    public var triggers: String
    /// When the binding was last set.
    public var updatedAt: Date
    /// Who last set it.
    public var updatedBy: String
}

extension TenantTransaction {
    private static let flowSummaryColumns = """
        f.flow_id, f.name, f.draft_updated_at, f.draft_updated_by, f.live_version, f.created_at,
        (SELECT max(v.version) FROM flow_versions v WHERE v.tenant_id = f.tenant_id AND v.flow_id = f.flow_id),
        (SELECT e.experiment_id FROM flow_experiments e
          WHERE e.tenant_id = f.tenant_id AND e.flow_id = f.flow_id AND e.status = 'running')
        """

    private func flows(_ query: PostgresQuery, withDraft: Bool) async throws -> [FlowRecord] {
        var result: [FlowRecord] = []
        let rows = try await self.query(query)
        if withDraft {
            for try await (id, name, updatedAt, updatedBy, live, created, latest, experiment, draft) in rows
                .decode((String, String, Date, String, Int32?, Date, Int32?, UUID?, String).self)
            {
                result.append(FlowRecord(
                    id: id, name: name, draft: draft, draftUpdatedAt: updatedAt, draftUpdatedBy: updatedBy,
                    liveVersion: live.map(Int.init), latestVersion: latest.map(Int.init),
                    runningExperimentID: experiment, createdAt: created
                ))
            }
        } else {
            for try await (id, name, updatedAt, updatedBy, live, created, latest, experiment) in rows
                .decode((String, String, Date, String, Int32?, Date, Int32?, UUID?).self)
            {
                result.append(FlowRecord(
                    id: id, name: name, draft: nil, draftUpdatedAt: updatedAt, draftUpdatedBy: updatedBy,
                    liveVersion: live.map(Int.init), latestVersion: latest.map(Int.init),
                    runningExperimentID: experiment, createdAt: created
                ))
            }
        }
        return result
    }

    /// Every flow of the tenant by id, without drafts.
    public func flows() async throws -> [FlowRecord] {
        try await flows(
            "SELECT \(unescaped: Self.flowSummaryColumns) FROM flows f ORDER BY f.flow_id", withDraft: false
        )
    }

    /// One flow with its draft.
    /// - Parameter lock: whether to lock the flow's row until the transaction ends, so that publishing, rolling
    ///   back and saving the draft of one flow happen one at a time.
    public func flow(id: String, lock: Bool = false) async throws -> FlowRecord? {
        try await flows(
            """
            SELECT \(unescaped: Self.flowSummaryColumns), f.draft FROM flows f WHERE f.flow_id = \(id)
            \(unescaped: lock ? "FOR UPDATE OF f" : "")
            """,
            withDraft: true
        ).first
    }

    /// Stores a new flow with its first draft.
    /// - Returns: the flow, or `nil` when the tenant already has a flow with this id.
    public func insertFlow(id: String, name: String, draft: String, by author: String) async throws -> FlowRecord? {
        let inserted = try await query(
            """
            INSERT INTO flows (tenant_id, flow_id, name, draft, draft_updated_by)
            VALUES (\(tenantID), \(id), \(name), \(draft), \(author))
            ON CONFLICT (tenant_id, flow_id) DO NOTHING RETURNING flow_id
            """
        ).collect()
        guard !inserted.isEmpty else { return nil }
        return try await flow(id: id)
    }

    /// Replaces a flow's draft and name; `nil` when there is no such flow.
    public func updateFlowDraft(id: String, name: String, draft: String, by author: String) async throws
        -> FlowRecord?
    {
        let updated = try await query(
            """
            UPDATE flows SET name = \(name), draft = \(draft), draft_updated_at = now(), draft_updated_by = \(author)
            WHERE flow_id = \(id) RETURNING flow_id
            """
        ).collect()
        guard !updated.isEmpty else { return nil }
        return try await flow(id: id)
    }

    /// Every published version of every flow of the tenant: what flows may call or link to.
    public func publishedFlowVersions() async throws -> [String: Set<Int>] {
        var result: [String: Set<Int>] = [:]
        for try await (flow, version) in try await query("SELECT flow_id, version FROM flow_versions")
            .decode((String, Int32).self)
        {
            result[flow, default: []].insert(Int(version))
        }
        return result
    }

    /// The live version of every flow that has one.
    public func liveFlowVersions() async throws -> [String: Int] {
        var result: [String: Int] = [:]
        for try await (flow, version) in try await query(
            "SELECT flow_id, live_version FROM flows WHERE live_version IS NOT NULL"
        ).decode((String, Int32).self) {
            result[flow] = Int(version)
        }
        return result
    }

    private static let versionColumns = "flow_id, version, message, author, created_at"

    private func versions(_ query: PostgresQuery, withDefinition: Bool) async throws -> [FlowVersionRecord] {
        var result: [FlowVersionRecord] = []
        let rows = try await self.query(query)
        if withDefinition {
            for try await (flow, version, message, author, created, definition) in rows
                .decode((String, Int32, String, String, Date, String).self)
            {
                result.append(FlowVersionRecord(flowID: flow, version: Int(version), definition: definition,
                                                message: message, author: author, createdAt: created))
            }
        } else {
            for try await (flow, version, message, author, created) in rows
                .decode((String, Int32, String, String, Date).self)
            {
                result.append(FlowVersionRecord(flowID: flow, version: Int(version), definition: nil,
                                                message: message, author: author, createdAt: created))
            }
        }
        return result
    }

    /// A flow's published versions, newest first, without their documents.
    public func flowVersions(flowID: String) async throws -> [FlowVersionRecord] {
        try await versions(
            """
            SELECT \(unescaped: Self.versionColumns) FROM flow_versions WHERE flow_id = \(flowID)
            ORDER BY version DESC
            """,
            withDefinition: false
        )
    }

    /// One published version with its document.
    public func flowVersion(flowID: String, version: Int) async throws -> FlowVersionRecord? {
        try await versions(
            """
            SELECT \(unescaped: Self.versionColumns), definition FROM flow_versions
            WHERE flow_id = \(flowID) AND version = \(Int32(clamping: version))
            """,
            withDefinition: true
        ).first
    }

    /// Publishes a flow's next version, numbered one past its latest. Call it with the flow's row locked (see
    /// ``flow(id:lock:)``), so that concurrent publishes of one flow take turns instead of colliding.
    /// - Parameter makeLive: whether new conversations start on it from now on.
    public func publishFlowVersion(
        flowID: String,
        definition: String,
        message: String,
        by author: String,
        makeLive: Bool
    ) async throws -> FlowVersionRecord {
        guard let published = try await versions(
            """
            INSERT INTO flow_versions (tenant_id, flow_id, version, definition, message, author)
            SELECT \(tenantID), \(flowID), coalesce(max(version), 0) + 1, \(definition), \(message), \(author)
              FROM flow_versions WHERE flow_id = \(flowID)
            RETURNING \(unescaped: Self.versionColumns), definition
            """,
            withDefinition: true
        ).first else { throw StorageError(.tenantNotFound, "published version vanished") }
        if makeLive { try await setLiveFlowVersion(flowID: flowID, version: published.version) }
        return published
    }

    /// Makes an existing version the one new conversations start on.
    public func setLiveFlowVersion(flowID: String, version: Int) async throws {
        _ = try await query(
            "UPDATE flows SET live_version = \(Int32(clamping: version)) WHERE flow_id = \(flowID)"
        ).collect()
    }

    private static let experimentColumns = """
        experiment_id, flow_id, name, arms::text, status, started_at, started_by, stopped_at, stopped_by
        """

    private func experiments(_ query: PostgresQuery) async throws -> [FlowExperimentRecord] {
        var result: [FlowExperimentRecord] = []
        for try await (id, flow, name, arms, status, startedAt, startedBy, stoppedAt, stoppedBy) in try await self
            .query(query).decode((UUID, String, String, String, String, Date, String, Date?, String?).self)
        {
            result.append(FlowExperimentRecord(
                id: id, flowID: flow, name: name, arms: arms, status: status, startedAt: startedAt,
                startedBy: startedBy, stoppedAt: stoppedAt, stoppedBy: stoppedBy
            ))
        }
        return result
    }

    /// A flow's experiments, newest first.
    public func flowExperiments(flowID: String) async throws -> [FlowExperimentRecord] {
        try await experiments(
            """
            SELECT \(unescaped: Self.experimentColumns) FROM flow_experiments WHERE flow_id = \(flowID)
            ORDER BY started_at DESC, experiment_id
            """
        )
    }

    /// One experiment of a flow.
    public func flowExperiment(flowID: String, id: UUID) async throws -> FlowExperimentRecord? {
        try await experiments(
            """
            SELECT \(unescaped: Self.experimentColumns) FROM flow_experiments
            WHERE flow_id = \(flowID) AND experiment_id = \(id)
            """
        ).first
    }

    /// Starts an experiment.
    /// - Parameter arms: the arms as JSON.
    /// - Returns: the experiment, or `nil` when the flow already has one running.
    public func startFlowExperiment(
        id: UUID,
        flowID: String,
        name: String,
        arms: String,
        by author: String
    ) async throws -> FlowExperimentRecord? {
        try await experiments(
            """
            INSERT INTO flow_experiments (tenant_id, experiment_id, flow_id, name, arms, started_by)
            VALUES (\(tenantID), \(id), \(flowID), \(name), \(arms)::jsonb, \(author))
            ON CONFLICT (tenant_id, flow_id) WHERE status = 'running' DO NOTHING
            RETURNING \(unescaped: Self.experimentColumns)
            """
        ).first
    }

    /// Stops a running experiment.
    /// - Returns: the experiment, or `nil` when it is not running.
    public func stopFlowExperiment(flowID: String, id: UUID, by author: String) async throws -> FlowExperimentRecord? {
        try await experiments(
            """
            UPDATE flow_experiments SET status = 'stopped', stopped_at = now(), stopped_by = \(author)
            WHERE flow_id = \(flowID) AND experiment_id = \(id) AND status = 'running'
            RETURNING \(unescaped: Self.experimentColumns)
            """
        ).first
    }

    private static let bindingColumns = "channel, entry_flow, triggers::text, updated_at, updated_by"

    private func bindings(_ query: PostgresQuery) async throws -> [FlowBindingRecord] {
        var result: [FlowBindingRecord] = []
        for try await (channel, entry, triggers, updatedAt, updatedBy) in try await self.query(query)
            .decode((String, String?, String, Date, String).self)
        {
            result.append(FlowBindingRecord(channel: channel, entryFlow: entry, triggers: triggers,
                                            updatedAt: updatedAt, updatedBy: updatedBy))
        }
        return result
    }

    /// Every channel binding of the tenant, by channel.
    public func flowBindings() async throws -> [FlowBindingRecord] {
        try await bindings("SELECT \(unescaped: Self.bindingColumns) FROM flow_bindings ORDER BY channel")
    }

    /// One channel's binding.
    public func flowBinding(channel: String) async throws -> FlowBindingRecord? {
        try await bindings(
            "SELECT \(unescaped: Self.bindingColumns) FROM flow_bindings WHERE channel = \(channel)"
        ).first
    }

    /// Sets a channel's binding.
    /// - Parameter triggers: the triggers as JSON.
    public func setFlowBinding(
        channel: String,
        entryFlow: String?,
        triggers: String,
        by author: String
    ) async throws -> FlowBindingRecord {
        guard let binding = try await bindings(
            """
            INSERT INTO flow_bindings (tenant_id, channel, entry_flow, triggers, updated_by)
            VALUES (\(tenantID), \(channel), \(entryFlow), \(triggers)::jsonb, \(author))
            ON CONFLICT (tenant_id, channel) DO UPDATE
               SET entry_flow = EXCLUDED.entry_flow, triggers = EXCLUDED.triggers, updated_at = now(),
                   updated_by = EXCLUDED.updated_by
            RETURNING \(unescaped: Self.bindingColumns)
            """
        ).first else { throw StorageError(.tenantNotFound, "binding vanished") }
        return binding
    }

    /// Deletes a channel's binding; false when there was none.
    public func deleteFlowBinding(channel: String) async throws -> Bool {
        try await !bindings(
            "DELETE FROM flow_bindings WHERE channel = \(channel) RETURNING \(unescaped: Self.bindingColumns)"
        ).isEmpty
    }
}
