-- The tenant audit log: an append-only hash chain per tenant. The application role may insert and read,
-- never update or delete; changes made behind its back (by the owner role, or on disk) are found by
-- recomputing the chain.

CREATE TABLE audit_log (
    tenant_id          uuid   NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    seq                bigint NOT NULL CHECK (seq > 0),
    occurred_at_micros bigint NOT NULL,
    actor_type         text   NOT NULL CHECK (actor_type IN ('member', 'api_key', 'operator')),
    actor_id           text,
    action             text   NOT NULL,
    resource_type      text   NOT NULL,
    resource_id        text,
    request_id         text,
    client_address     text,
    summary            text   NOT NULL,
    previous_hash      text   NOT NULL,
    hash               text   NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_action ON audit_log (tenant_id, action, seq);
CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor_id, seq);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT ON audit_log TO chorus_app;
