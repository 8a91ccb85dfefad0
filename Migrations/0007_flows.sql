-- Each tenant's flows: the draft being edited, the versions it published (never changed once written),
-- experiments that split new conversations between versions, and which flow each channel starts.

CREATE TABLE flows (
    tenant_id        uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    flow_id          text        NOT NULL CHECK (flow_id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The document as submitted, not jsonb: jsonb reorders keys and keeps one of duplicate keys, and validation
    -- reports duplicates and lists problems in the order of the document.
    draft            text        NOT NULL,
    draft_updated_at timestamptz NOT NULL DEFAULT now(),
    draft_updated_by text        NOT NULL,
    live_version     integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, flow_id)
);
ALTER TABLE flows ENABLE ROW LEVEL SECURITY;
ALTER TABLE flows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON flows
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
-- No DELETE: deleting a flow would cascade away its published versions; flows are kept.
GRANT SELECT, INSERT, UPDATE ON flows TO chorus_app;

CREATE TABLE flow_versions (
    tenant_id  uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    flow_id    text        NOT NULL,
    version    integer     NOT NULL CHECK (version > 0),
    definition text        NOT NULL,
    message    text        NOT NULL CHECK (length(message) BETWEEN 1 AND 1000),
    author     text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, flow_id, version),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, flow_id) ON DELETE CASCADE
);
ALTER TABLE flow_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON flow_versions
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
-- Append-only, like the audit log: a conversation names the exact version it runs, so a published version must
-- read the same for as long as it exists.
GRANT SELECT, INSERT ON flow_versions TO chorus_app;

-- The owner role is refused too. Only deleting the flow or its tenant, which cascades here, removes versions.
CREATE FUNCTION flow_versions_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'published flow versions cannot be changed or deleted' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER flow_versions_immutable BEFORE UPDATE OR DELETE ON flow_versions
    FOR EACH ROW EXECUTE FUNCTION flow_versions_immutable();

ALTER TABLE flows ADD FOREIGN KEY (tenant_id, flow_id, live_version)
    REFERENCES flow_versions (tenant_id, flow_id, version);

CREATE TABLE flow_experiments (
    tenant_id     uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    experiment_id uuid        NOT NULL,
    flow_id       text        NOT NULL,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- [{"version": 2, "weight": 90}, {"version": 3, "weight": 10}]
    arms          jsonb       NOT NULL,
    status        text        NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'stopped')),
    started_at    timestamptz NOT NULL DEFAULT now(),
    started_by    text        NOT NULL,
    stopped_at    timestamptz,
    stopped_by    text,
    PRIMARY KEY (tenant_id, experiment_id),
    FOREIGN KEY (tenant_id, flow_id) REFERENCES flows (tenant_id, flow_id) ON DELETE CASCADE,
    CHECK ((status = 'stopped') = (stopped_at IS NOT NULL))
);
CREATE INDEX flow_experiments_flow ON flow_experiments (tenant_id, flow_id, started_at);
CREATE UNIQUE INDEX flow_experiments_running ON flow_experiments (tenant_id, flow_id) WHERE status = 'running';
ALTER TABLE flow_experiments ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow_experiments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON flow_experiments
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON flow_experiments TO chorus_app;

-- A channel's key is free text until channels have a table of their own.
CREATE TABLE flow_bindings (
    tenant_id  uuid        NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    channel    text        NOT NULL CHECK (length(channel) BETWEEN 1 AND 128),
    entry_flow text,
    -- [{"keyword": "order status", "flow": "order-status"}], keywords normalized
    triggers   jsonb       NOT NULL DEFAULT '[]',
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text        NOT NULL,
    PRIMARY KEY (tenant_id, channel)
);
ALTER TABLE flow_bindings ENABLE ROW LEVEL SECURITY;
ALTER TABLE flow_bindings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON flow_bindings
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON flow_bindings TO chorus_app;
